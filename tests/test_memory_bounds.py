"""State kept per host stays bounded on runs over very many hosts, without losing a pause or a verdict."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from citecheck.check import AsyncLinkChecker, NetworkOptions, soft404
from citecheck.core.verdicts import Verdict
from citecheck.net import hosts
from citecheck.net.hosts import HostGate


def test_the_host_gate_forgets_idle_hosts_but_keeps_a_pause() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> int:
        gate = HostGate(concurrency=8, host_concurrency=2, sleep=sleep)
        gate.pause("https://paused.example/a", 20.0)
        for i in range(3 * hosts._SWEEP_AT):
            async with gate.turn(f"https://h{i}.example/a"):
                pass
        remembered = len(gate)
        async with gate.turn("https://paused.example/b"):
            pass
        return remembered

    remembered = asyncio.run(go())
    assert remembered <= 2 * hosts._SWEEP_AT
    assert len(slept) == 1
    assert slept[0] == pytest.approx(20.0, abs=2.0)  # the pause outlived every sweep


def test_a_host_in_use_is_never_forgotten() -> None:
    async def go() -> bool:
        gate = HostGate(concurrency=hosts._SWEEP_AT * 4, host_concurrency=1)
        busy = asyncio.Event()
        release = asyncio.Event()

        async def hold() -> None:
            async with gate.turn("https://busy.example/a"):
                busy.set()
                await release.wait()

        holder = asyncio.create_task(hold())
        await busy.wait()
        for i in range(2 * hosts._SWEEP_AT):
            async with gate.turn(f"https://h{i}.example/a"):
                pass
        # The held slot still counts: a second request to the busy host must wait for it.
        second = asyncio.create_task(gate.turn("https://busy.example/b").__aenter__())
        await asyncio.sleep(0.01)
        waited = not second.done()
        release.set()
        await holder
        await second
        return waited

    assert asyncio.run(go())


def test_soft_404_probes_are_forgotten_beyond_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(soft404, "_MAX_PROBES", 5)
    probes: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("-citecheck-probe"):
            probes.append(request.url.host)
            return httpx.Response(404, text="no")
        return httpx.Response(200, html="<title>An article</title><h1>Story</h1>")

    async def go() -> list[Verdict]:
        options = NetworkOptions(allow_private=True)
        async with AsyncLinkChecker(options, transport=httpx.MockTransport(serve)) as checker:
            first = [await checker.check(f"https://h{i}.example/story") for i in range(20)]
            again = await checker.check("https://h0.example/another")
            assert len(checker._soft_404._probes) <= 5
        return [r.verdict for r in [*first, again]]

    verdicts = asyncio.run(go())
    assert set(verdicts) == {Verdict.OK}
    assert len(probes) == 21  # h0 was forgotten, so it is probed again


def test_hosts_seen_stops_growing_once_a_host_answered() -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"%PDF", headers={"content-type": "application/pdf"})

    async def go() -> int:
        async with AsyncLinkChecker(transport=httpx.MockTransport(serve)) as checker:
            for i in range(50):
                await checker.check(f"https://h{i}.example/doc.pdf")
            return len(checker.hosts_seen)

    assert asyncio.run(go()) == 1
