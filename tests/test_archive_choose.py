"""choose(): one table row per rule of the policy, plus order-independence."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from citecheck.archive.choose import GOOD_STATUSES, choose
from citecheck.core.snapshot import JobStatus, Snapshot, SnapshotSource

AT = datetime(2020, 6, 1, tzinfo=UTC)


def day(month: int, dd: int, year: int = 2020) -> datetime:
    return datetime(year, month, dd, tzinfo=UTC)


def snap(
    name: str,
    when: datetime,
    status: int | None = 200,
    archive: str = "ia",
    source: SnapshotSource = SnapshotSource.CDX,
    job_status: JobStatus | None = None,
) -> Snapshot:
    """A snapshot whose memento URL carries ``name``, so a table row can say which one wins."""
    return Snapshot(
        original_url="https://example.com/",
        lookup_url="https://example.com/",
        archive=archive,
        memento_url=f"https://{archive}.example/{name}",
        captured_at=when,
        status=status,
        source=source,
        job_status=job_status,
        learned_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def name_of(snapshot: Snapshot | None) -> str | None:
    return None if snapshot is None else snapshot.memento_url.rsplit("/", 1)[1]


@dataclass
class Case:
    why: str
    snapshots: list[Snapshot]
    expected: str | None
    window: tuple[datetime | None, datetime | None] = (None, None)
    prefer: list[str] = field(default_factory=list)
    allow_unknown_status: bool = False


CASES = [
    Case("nothing to choose from", [], None),
    Case(
        "latest good capture at or before at",
        [snap("old", day(1, 1)), snap("recent", day(5, 31)), snap("after", day(6, 2))],
        "recent",
    ),
    Case("a capture exactly at at counts as before", [snap("exact", AT), snap("after", day(6, 1, 2021))], "exact"),
    Case(
        "earliest good capture after at when none before",
        [snap("later", day(9, 1)), snap("soon", day(6, 2)), snap("bad-before", day(1, 1), status=404)],
        "soon",
    ),
    Case(
        "200, 203 and 206 are all good",
        [snap("s203", day(3, 1), status=203), snap("s206", day(4, 1), status=206)],
        "s206",
    ),
    Case(
        "never a redirect capture, however close",
        [snap("redirect", day(5, 31), status=302), snap("good", day(1, 1))],
        "good",
    ),
    Case(
        "never a 4xx or 5xx capture",
        [snap("gone", day(5, 31), status=404), snap("error", day(5, 30), status=500), snap("good", day(1, 1))],
        "good",
    ),
    Case("only bad captures: nothing", [snap("r", day(1, 1), status=301), snap("n", day(9, 1), status=410)], None),
    Case(
        "unknown status is not eligible by default",
        [snap("unknown", day(5, 31), status=None), snap("good", day(1, 1))],
        "good",
    ),
    Case("only unknown status: nothing by default", [snap("unknown", day(5, 31), status=None)], None),
    Case(
        "unknown status is eligible when allowed",
        [snap("unknown", day(5, 31), status=None), snap("good", day(1, 1))],
        "unknown",
        allow_unknown_status=True,
    ),
    Case(
        "allowing unknown status does not allow bad statuses",
        [snap("redirect", day(5, 31), status=302), snap("unknown", day(1, 1), status=None)],
        "unknown",
        allow_unknown_status=True,
    ),
    Case(
        "a save job that has not succeeded is not a capture",
        [
            snap("pending", day(5, 31), source=SnapshotSource.SAVE, job_status=JobStatus.PENDING),
            snap("failed", day(5, 30), source=SnapshotSource.SAVE, job_status=JobStatus.ERROR),
            snap("saved", day(5, 29), source=SnapshotSource.SAVE, job_status=JobStatus.SUCCESS),
        ],
        "saved",
    ),
    Case(
        "window start excludes older captures, so the side can flip to after",
        [snap("too-old", day(1, 1)), snap("after", day(7, 1))],
        "after",
        window=(day(3, 1), None),
    ),
    Case(
        "window end excludes later captures",
        [snap("before", day(1, 1)), snap("too-late", day(7, 1))],
        None,
        window=(day(3, 1), day(6, 30)),
    ),
    Case(
        "window bounds are inclusive",
        [snap("start", day(3, 1)), snap("end", day(6, 30))],
        "start",
        window=(day(3, 1), day(6, 30)),
    ),
    Case(
        "window end before at: the latest within it",
        [snap("a", day(2, 1)), snap("b", day(3, 1)), snap("c", day(5, 1))],
        "b",
        window=(None, day(4, 1)),
    ),
    Case(
        "preferred archive wins on the chosen side even if older",
        [snap("ia-old", day(1, 1), archive="ia"), snap("today-recent", day(5, 31), archive="today")],
        "ia-old",
        prefer=["ia"],
    ),
    Case(
        "preference order is the order given",
        [snap("ia", day(5, 31), archive="ia"), snap("today", day(1, 1), archive="today")],
        "today",
        prefer=["today", "ia"],
    ),
    Case(
        "a capture before at beats a preferred archive's capture after at",
        [snap("ia-after", day(6, 2), archive="ia"), snap("today-before", day(1, 1), archive="today")],
        "today-before",
        prefer=["ia"],
    ),
    Case(
        "among after captures, preference applies too",
        [snap("ia-late", day(12, 1), archive="ia"), snap("today-soon", day(6, 2), archive="today")],
        "ia-late",
        prefer=["ia"],
    ),
    Case(
        "preferred archive without eligible captures falls back to the best of the rest",
        [
            snap("ia-redirect", day(5, 31), status=302, archive="ia"),
            snap("today", day(2, 1), archive="today"),
            snap("perma", day(3, 1), archive="perma"),
        ],
        "perma",
        prefer=["ia"],
    ),
    Case(
        "unlisted archives rank equally after listed ones",
        [snap("x", day(1, 1), archive="x"), snap("y", day(4, 1), archive="y"), snap("z", day(2, 1), archive="z")],
        "y",
        prefer=["nowhere"],
    ),
    Case(
        "tie at the same moment: known status before unknown",
        [snap("unknown", day(5, 1), status=None, archive="a"), snap("known", day(5, 1), archive="b")],
        "known",
        allow_unknown_status=True,
    ),
    Case(
        "tie at the same moment: 200 before 206 before unknown",
        [snap("partial", day(5, 1), status=206), snap("full", day(5, 1), status=200)],
        "full",
    ),
    Case(
        "tie at the same moment and status: archive name, then memento URL",
        [snap("m2", day(5, 1), archive="b"), snap("m1", day(5, 1), archive="b"), snap("m3", day(5, 1), archive="c")],
        "m1",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.why for case in CASES])
def test_choose(case: Case) -> None:
    chosen = choose(
        case.snapshots,
        at=AT,
        window=case.window,
        prefer=case.prefer,
        allow_unknown_status=case.allow_unknown_status,
    )
    assert name_of(chosen) == case.expected


@pytest.mark.parametrize("case", CASES, ids=[case.why for case in CASES])
def test_choice_does_not_depend_on_input_order(case: Case) -> None:
    orders = [*itertools.islice(itertools.permutations(case.snapshots), 24), tuple(reversed(case.snapshots))]
    chosen = {
        name_of(
            choose(order, at=AT, window=case.window, prefer=case.prefer, allow_unknown_status=case.allow_unknown_status)
        )
        for order in orders
    }
    assert chosen == {case.expected}


def test_naive_datetimes_mean_utc() -> None:
    snapshots = [
        snap("before", datetime(2020, 6, 1, 11, tzinfo=UTC)),
        snap("after", datetime(2020, 6, 1, 13, tzinfo=UTC)),
    ]
    assert name_of(choose(snapshots, at=datetime(2020, 6, 1, 12))) == "before"
    window = (datetime(2020, 6, 1, 12), None)
    assert name_of(choose(snapshots, at=datetime(2020, 6, 1, 12), window=window)) == "after"


def test_accepts_any_iterable_once() -> None:
    snapshots = (s for s in [snap("a", day(1, 1)), snap("b", day(2, 1))])
    assert name_of(choose(snapshots, at=AT)) == "b"


def test_good_statuses_match_the_model() -> None:
    for status in range(100, 600):
        assert (status in GOOD_STATUSES) == snap("x", AT, status=status).is_good
