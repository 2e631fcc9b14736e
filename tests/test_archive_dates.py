"""The store answers for the access date asked (#12 point 1), against fake archives on 127.0.0.1.

The store keeps what each archive said (its capture list, with when it was learned) and the
snapshot is chosen for each access date when asked, so two articles citing one URL years apart
get different snapshots, both from the store, with no new request while the lists are fresh.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from citecheck.core.snapshot import Snapshot
from citecheck.store.sqlite import Store
from fakeweb import FakeWeb, status
from test_archive_integration import FakeArchives, archiver, archives_fixture, run, web_fixture

__all__ = ["archives_fixture", "web_fixture"]  # the shared fixtures, used by pytest by name

URL = "https://example.com/article"
EARLY, LATE = datetime(2019, 1, 1, tzinfo=UTC), datetime(2021, 6, 1, tzinfo=UTC)


def _timemap(web: FakeWeb, url: str, *stamps: str) -> str:
    lines = [f'<{url}>; rel="original"']
    for stamp in stamps:
        when = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
        lines.append(f'<{web.url(1, f"/m/{stamp}/{url}")}>; rel="memento"; datetime="{when}"')
    return ",\n".join(lines) + "\n"


def _lookups(web: FakeWeb, store: Store, *dates: datetime, **overrides: object) -> list[Snapshot | None]:
    async def go() -> list[Snapshot | None]:
        async with archiver(web, store=store, **overrides) as a:  # type: ignore[arg-type]
            return [await a.lookup(URL, at=at) for at in dates]

    return run(go())


def test_each_access_date_gets_its_own_capture_from_the_store(
    web: FakeWeb, archives: FakeArchives, tmp_path: Path
) -> None:
    for stamp in ("20150301000000", "20200301000000", "20230301000000"):
        archives.capture(URL, stamp, b"page")
    with Store.open(tmp_path / "s.sqlite3") as store:
        (early,) = _lookups(web, store, EARLY, memento=False)
        (late,) = _lookups(web, store, LATE, memento=False)  # another run, same store
        again = _lookups(web, store, LATE, EARLY, memento=False)
    assert early is not None
    assert early.timestamp == "20150301000000"
    assert late is not None
    assert late.timestamp == "20200301000000"
    assert [s and s.timestamp for s in again] == ["20200301000000", "20150301000000"]
    assert len(archives.requests_to(0, "/cdx/search/cdx")) == 1  # the list was learned once


def test_the_same_holds_for_a_memento_archive(web: FakeWeb, archives: FakeArchives, tmp_path: Path) -> None:
    archives.timemaps[URL] = _timemap(web, URL, "20150301000000", "20200301000000")
    with Store.open(tmp_path / "m.sqlite3") as store:
        early, late = _lookups(web, store, EARLY, LATE)
        (late_again,) = _lookups(web, store, LATE)
    assert early is not None
    assert early.archive == "fake-memento"
    assert early.timestamp == "20150301000000"
    assert late is not None
    assert late.timestamp == "20200301000000"
    assert late_again == late
    assert len(archives.requests_to(1, "/timemap/")) == 1


def test_a_stale_list_is_asked_again_and_a_failed_archive_is_not_a_negative_answer(
    web: FakeWeb, archives: FakeArchives, tmp_path: Path
) -> None:
    archives.capture(URL, "20150301000000", b"page")
    archives.timemap = status(500)  # the Memento archive is down: its silence is not "no captures"
    now = [datetime(2024, 6, 1, tzinfo=UTC)]

    async def lookup(store: Store) -> Snapshot | None:
        async with archiver(web, store=store) as a:
            a._clock = lambda: now[0]
            return await a.lookup(URL, at=LATE)

    with Store.open(tmp_path / "f.sqlite3") as store:
        assert run(lookup(store)) is not None
        cdx, timemaps = len(archives.requests_to(0, "/cdx/")), len(archives.requests_to(1, "/timemap/"))
        assert run(lookup(store)) is not None
        # CDX's list is fresh; the archive that failed is asked again.
        assert len(archives.requests_to(0, "/cdx/")) == cdx
        assert len(archives.requests_to(1, "/timemap/")) > timemaps
        archives.captures[URL].append(["20210301000000", URL, "200", "text/html", "D", "1"])
        now[0] += timedelta(days=8)  # past max_age (7 days): the list is learned again
        found = run(lookup(store))
    assert found is not None
    assert found.timestamp == "20210301000000"
    assert len(archives.requests_to(0, "/cdx/")) == cdx + 1


def test_a_huge_capture_list_is_stored_bounded_and_still_answers_any_date(
    web: FakeWeb, archives: FakeArchives, tmp_path: Path
) -> None:
    from citecheck.archive.archiver import MAX_STORED_CAPTURES

    start = datetime(2000, 1, 1, tzinfo=UTC)
    stamps = [(start + timedelta(days=7 * week)).strftime("%Y%m%d%H%M%S") for week in range(900)]
    archives.captures[URL] = [[s, URL, "200", "text/html", "D", "1"] for s in stamps]
    with Store.open(tmp_path / "h.sqlite3") as store:
        first, last, middle = _lookups(
            web, store, start, datetime(2030, 1, 1, tzinfo=UTC), datetime(2009, 6, 1, tzinfo=UTC), memento=False
        )
        (cdx,) = store.capture_lists(URL)
    assert len(cdx.captures) == MAX_STORED_CAPTURES
    assert cdx.reported == 900
    assert first is not None
    assert first.timestamp == stamps[0]
    assert last is not None
    assert last.timestamp == stamps[-1]
    # Thinned evenly: the capture chosen is at most two weeks before the date.
    assert middle is not None
    assert timedelta(0) <= datetime(2009, 6, 1, tzinfo=UTC) - middle.captured_at <= timedelta(days=14)
