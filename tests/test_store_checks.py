"""The check stage's results in the store: which stored results are reused, and how fresh ones are labelled."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from citecheck.core.evidence import Hop, OnlineResult
from citecheck.core.verdicts import Reason, Verdict
from citecheck.store import BaseStore, Store, StoredCheck, open_store, remember_results, reusable_results
from citecheck.store.checks import online_result, stored_check

URL = "https://example.org/article"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
DAY = 86400.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock, store_location: str) -> Iterator[BaseStore]:
    """A new store of each backend (the tests taking it run against SQLite and PostgreSQL)."""
    with open_store(store_location, clock=clock) as opened:
        yield opened


def result(verdict: Verdict = Verdict.OK, url: str = URL, at: datetime = T0) -> OnlineResult:
    broken = verdict is Verdict.BROKEN
    return OnlineResult(
        url=url,
        verdict=verdict,
        reason=Reason.HTTP_404 if broken else None,
        http_status=404 if broken else 200,
        checked_at=at,
    )


def test_a_result_round_trips_through_its_row() -> None:
    full = replace(
        result(Verdict.REDIRECTED),
        final_url="https://example.org/new",
        redirects=(Hop(url=URL, status=301, method="HEAD", location="/new", cleaned="https://example.org/new"),),
        canonical="https://example.org/new",
        content_type="text/html",
        suggested="https://example.org/new",
        attempts=2,
        elapsed=0.25,
        detail="moved",
    )
    row = stored_check(full)
    assert (row.url, row.checked_at, row.verdict, row.reason, row.http_status, row.final_url) == (
        URL,
        T0,
        "redirected",
        None,
        200,
        "https://example.org/new",
    )
    assert row.data == {"online": full.to_dict()}
    assert online_result(row) == replace(full, from_cache=True)
    assert online_result(StoredCheck(url=URL, checked_at=T0, verdict="ok")) is None


def test_reusable_results_are_young_enough_and_marked_from_cache(store: BaseStore, clock: Clock) -> None:
    other, never = "https://example.org/other", "https://example.org/never"
    fresh, old = result(at=T0 - timedelta(hours=2)), result(Verdict.BROKEN, url=other, at=T0 - timedelta(days=2))
    store.record_many([stored_check(fresh), stored_check(old)])
    assert reusable_results(store, [URL, other, never], max_age=DAY) == {URL: replace(fresh, from_cache=True)}
    assert reusable_results(store, [URL, other], max_age=3 * DAY) == {
        URL: replace(fresh, from_cache=True),
        other: replace(old, from_cache=True),
    }
    clock.now = T0 + timedelta(days=1)
    assert reusable_results(store, [URL, other], max_age=DAY) == {}


@pytest.mark.parametrize("max_age", [0, -1.0])
def test_no_max_age_reuses_nothing(store: BaseStore, max_age: float) -> None:
    store.record(stored_check(result(at=T0)))
    assert reusable_results(store, [URL], max_age=max_age) == {}


@pytest.mark.parametrize("verdict", [Verdict.UNREACHABLE, Verdict.BLOCKED])
def test_network_trouble_is_checked_again(store: BaseStore, verdict: Verdict) -> None:
    store.record(stored_check(result(verdict, at=T0 - timedelta(minutes=1))))
    assert reusable_results(store, [URL], max_age=DAY) == {}


def test_unverified_results_are_reused(store: BaseStore) -> None:
    """How a site is built (one page for every path) does not change within the reuse window."""
    store.record(stored_check(result(Verdict.UNVERIFIED, at=T0 - timedelta(minutes=1))))
    reused = reusable_results(store, [URL], max_age=DAY)
    assert reused[URL].verdict is Verdict.UNVERIFIED
    assert reused[URL].from_cache


def test_only_the_latest_stored_check_counts(store: BaseStore) -> None:
    """An older success does not stand in for a newer network failure."""
    store.record(stored_check(result(at=T0 - timedelta(hours=3))))
    store.record(stored_check(result(Verdict.UNREACHABLE, at=T0 - timedelta(hours=1))))
    assert reusable_results(store, [URL], max_age=DAY) == {}


def test_rows_without_online_data_are_not_reused(store: BaseStore) -> None:
    store.record(StoredCheck(url=URL, checked_at=T0 - timedelta(hours=1), verdict="ok", data={"other": 1}))
    assert reusable_results(store, [URL], max_age=DAY) == {}


def test_remember_records_every_result_and_labels_the_broken(store: BaseStore) -> None:
    other = "https://example.org/other"
    fresh = [result(), result(Verdict.BROKEN, url=other), result(Verdict.UNREACHABLE, url="https://example.org/x")]
    labelled = remember_results(store, fresh, dead_after_checks=3, dead_after_days=3)
    assert labelled == {other: replace(fresh[1], history="dead, first seen 2024-05-01")}
    assert store.history(URL) == [stored_check(fresh[0])]
    assert store.history(other) == [stored_check(fresh[1])]
    assert len(store.history("https://example.org/x")) == 1


def test_remember_confirms_a_death_by_the_given_thresholds(store: BaseStore) -> None:
    for day in (0, 2):
        remember_results(
            store, [result(Verdict.BROKEN, at=T0 + timedelta(days=day))], dead_after_checks=3, dead_after_days=3
        )
    last = result(Verdict.BROKEN, at=T0 + timedelta(days=4))
    assert remember_results(store, [last], dead_after_checks=3, dead_after_days=3)[URL].history == "dead, confirmed"
    assert remember_results(store, [last], dead_after_checks=5, dead_after_days=3)[URL].history == (
        "dead, first seen 2024-05-01"
    )
    assert remember_results(store, [last], dead_after_checks=2, dead_after_days=0.5)[URL].history == ("dead, confirmed")


def test_remember_nothing(store: BaseStore) -> None:
    assert remember_results(store, [], dead_after_checks=3, dead_after_days=3) == {}
    assert store.history(URL) == []


def test_remember_is_one_write_transaction_however_many_are_broken(clock: Clock) -> None:
    statements: list[str] = []
    store = Store.open(":memory:", clock=clock)  # SQLite's trace callback shows the transactions
    store._conn.set_trace_callback(statements.append)
    fresh = [result(Verdict.BROKEN, url=f"{URL}/{n}") if n % 2 else result(url=f"{URL}/{n}") for n in range(40)]
    labelled = remember_results(store, fresh, dead_after_checks=3, dead_after_days=3)
    assert len(labelled) == 20
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert [s for s in statements if s == "COMMIT"] == ["COMMIT"]
    store.close()


def test_record_judged_judges_as_judgement_does_and_sees_its_own_rows(store: BaseStore) -> None:
    store.record(stored_check(result(Verdict.OK, at=T0 - timedelta(days=9))))
    failures = [stored_check(result(Verdict.BROKEN, at=T0 - timedelta(days=d))) for d in (8, 4, 0)]
    judged = store.record_judged(failures, [URL, URL, "https://example.org/never"], min_checks=3)
    assert judged == {
        URL: store.judgement(URL, min_checks=3),
        "https://example.org/never": store.judgement("https://example.org/never"),
    }
    assert judged[URL].label == "dead, confirmed"
    assert judged["https://example.org/never"].state == "unknown"
    assert store.record_judged([], []) == {}
    with pytest.raises(ValueError, match="min_checks"):
        store.record_judged([], [URL], min_checks=0)


def test_recall_returns_the_newest_of_a_long_history(store: BaseStore) -> None:
    store.record_many(stored_check(result(Verdict.OK, at=T0 - timedelta(minutes=m))) for m in range(50, 0, -1))
    newest = result(Verdict.REDIRECTED, at=T0 - timedelta(seconds=1))
    store.record(stored_check(newest))
    assert reusable_results(store, [URL], max_age=DAY)[URL] == replace(newest, from_cache=True)
