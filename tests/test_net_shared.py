"""The shared HTTP layer's pieces on their own: single-flight, bounded bodies, the retry loop, limiters."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from functools import partial

import httpx
import pytest

from citecheck.net.body import BodyTooLarge, read_bounded
from citecheck.net.limits import Limiters, RateLimiter
from citecheck.net.retry import RetryPolicy, never, polite_request
from citecheck.net.singleflight import SingleFlight
from helpers import FakeTime

# -- SingleFlight ------------------------------------------------------------------------------


def test_single_flight_shares_one_call_and_forgets_it_when_done() -> None:
    calls: list[str] = []

    async def fetch(key: str) -> str:
        calls.append(key)
        await asyncio.sleep(0)
        return key.upper()

    async def go() -> tuple[list[str], int, str]:
        flight: SingleFlight[str, str] = SingleFlight()
        results = await asyncio.gather(*(flight.run(k, partial(fetch, k)) for k in ("a", "a", "b", "a")))
        in_flight = len(flight)
        again = await flight.run("a", lambda: fetch("a"))  # done: a later call asks again
        return list(results), in_flight, again

    results, in_flight, again = asyncio.run(go())
    assert results == ["A", "A", "B", "A"]
    assert in_flight == 0
    assert again == "A"
    assert calls == ["a", "b", "a"]


def test_single_flight_failure_reaches_every_waiter() -> None:
    async def fail() -> int:
        await asyncio.sleep(0)
        raise ValueError("down")

    async def go() -> tuple[int | BaseException, int | BaseException]:
        flight: SingleFlight[str, int] = SingleFlight()
        return await asyncio.gather(flight.run("k", fail), flight.run("k", fail), return_exceptions=True)

    first, second = asyncio.run(go())
    assert isinstance(first, ValueError)
    assert first is second


def test_single_flight_cancelled_waiter_does_not_cancel_the_shared_work() -> None:
    async def go() -> tuple[bool, int]:
        release = asyncio.Event()

        async def slow() -> int:
            await release.wait()
            return 7

        flight: SingleFlight[str, int] = SingleFlight()
        quitter = asyncio.ensure_future(flight.run("k", slow))
        stayer = asyncio.ensure_future(flight.run("k", slow))
        await asyncio.sleep(0)
        quitter.cancel()
        await asyncio.sleep(0)
        release.set()
        return quitter.cancelled(), await stayer

    assert asyncio.run(go()) == (True, 7)


# -- bounded bodies ----------------------------------------------------------------------------


def _client(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=handler)


def _read(response: httpx.Response, limit: int) -> bytes:
    async def go() -> bytes:
        async with (
            _client(httpx.MockTransport(lambda request: response)) as client,
            client.stream("GET", "https://archive.test/") as streamed,
        ):
            return await read_bounded(streamed, limit)

    return asyncio.run(go())


def test_bounded_read_keeps_a_body_within_the_limit() -> None:
    assert _read(httpx.Response(200, content=b"x" * 10), 10) == b"x" * 10


def test_bounded_read_refuses_a_longer_body() -> None:
    def endless() -> httpx.Response:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b"y" * 4

        return httpx.Response(200, content=chunks())

    with pytest.raises(BodyTooLarge) as raised:
        _read(endless(), 10)
    assert (raised.value.limit, raised.value.announced) == (10, None)


def test_bounded_read_refuses_an_announced_length_before_reading() -> None:
    response = httpx.Response(200, headers={"Content-Length": "1000"}, content=b"short")
    with pytest.raises(BodyTooLarge) as raised:
        _read(response, 100)
    assert raised.value.announced == 1000


# -- the retry loop ----------------------------------------------------------------------------


class Half(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


def _ask(answers: list[httpx.Response | Exception], policy: RetryPolicy, limiter: RateLimiter) -> tuple[int, int]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def go() -> int:
        async with _client(httpx.MockTransport(handler)) as client:
            reply = await polite_request(client, limiter, "GET", "https://archive.test/x", policy=policy, max_bytes=100)
            return reply.status

    return asyncio.run(go()), len(sent)


def test_retry_waits_out_retry_after_on_the_shared_limiter() -> None:
    time = FakeTime()
    limiter = time.limiters("test", 60)
    policy = RetryPolicy(sleep=time.sleep, rng=Half())
    start = time.now
    answers: list[httpx.Response | Exception] = [
        httpx.Response(429, headers={"Retry-After": "30"}),
        httpx.Response(200),
    ]
    assert _ask(answers, policy, limiter) == (200, 2)
    assert time.now - start == pytest.approx(30)  # 0.5 s of jitter, then the limiter's embargo


def test_retry_returns_the_last_busy_answer_and_does_not_wait_a_day() -> None:
    time = FakeTime()
    limiter = time.limiters("test", 60)
    busy = [httpx.Response(503, headers={"Retry-After": "86400"})]
    assert _ask(list(busy), RetryPolicy(sleep=time.sleep), limiter) == (503, 1)
    assert limiter.next_start >= time.now + 86000  # recorded for everyone, not waited for here


def test_retry_transient_errors_unless_the_policy_says_never() -> None:
    time = FakeTime()
    limiter = time.limiters("test", 60)
    flaky: list[httpx.Response | Exception] = [httpx.ConnectError("refused"), httpx.Response(200)]
    assert _ask(list(flaky), RetryPolicy(sleep=time.sleep), limiter) == (200, 2)
    with pytest.raises(httpx.ConnectError):
        _ask(list(flaky), RetryPolicy(sleep=time.sleep, retry_on=never), limiter)


# -- limiters ----------------------------------------------------------------------------------


def test_limiters_are_made_once_per_endpoint_and_pace_wins() -> None:
    limiters = Limiters(pace={"fast": 6000})
    assert limiters("slow", 24) is limiters("slow", 1)
    assert limiters["slow"].interval == pytest.approx(2.5)
    assert limiters("fast", 24).interval == pytest.approx(0.01)
    assert "fast" in limiters
    limiters.clear()
    assert "fast" not in limiters


def test_one_limiter_paces_sessions_on_different_event_loops_and_threads() -> None:
    """Process-wide limiters serve every session; each session runs its own loop in its own thread."""
    import threading

    starts: list[float] = []
    lock = threading.Lock()
    now = [0.0]  # a fake clock every thread shares: it moves only when a turn sleeps

    async def sleep(seconds: float) -> None:
        with lock:
            now[0] += seconds

    limiter = RateLimiter(600, clock=lambda: now[0], sleep=sleep)  # one start every 0.1 s

    async def five_turns() -> None:
        for _ in range(5):
            await limiter.wait()
            with lock:
                starts.append(now[0])

    threads = [threading.Thread(target=asyncio.run, args=(five_turns(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    # Ten turns, one interval apart, none shared, whichever thread took them.
    assert sorted(round(s, 6) for s in starts) == [round(0.1 * i, 6) for i in range(10)]


def test_a_deferral_holds_the_turns_after_the_one_under_way() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:
            limiter.defer(30)  # the endpoint says "come back in 30 s" while the second turn waits
        now[0] += seconds

    limiter = RateLimiter(60, clock=lambda: now[0], sleep=sleep)

    async def scenario() -> None:
        for _ in range(3):
            await limiter.wait()

    asyncio.run(scenario())
    # The first at once, the second after one interval, the third after the embargo and one more.
    assert slept == [1.0, 30.0]
    assert now[0] == 31.0
