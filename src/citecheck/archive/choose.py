"""Picking the one snapshot to cite among everything the archives know about a URL.

A citation's archived copy should show what the author read, so the rules, in order:

1. **Eligible captures only.** A capture the archive recorded as 200, 203 or 206. Never a
   3xx (the archive holds a redirect, not the page), a 4xx/5xx, or a requested capture whose
   job has not succeeded. A capture we requested whose job succeeded counts as good when
   its status is not reported (Save Page Now reports a target's error or missing page as a
   failed job, ``error:not-found`` and the like, not as a success). Any other capture of
   *unknown* status is eligible only with ``allow_unknown_status=True`` (see below).
2. **Within the window.** ``window=(start, end)`` keeps captures with
   ``start <= captured_at <= end``; either bound may be None (open).
3. **The side of ``at``.** If any eligible capture was made at or before ``at`` (the access
   date), the choice is among those: the page as it was when read. Only when none exists is
   the choice among the captures after ``at``. The side is decided over *all* archives before
   any preference applies, because faithfulness matters more than which archive holds it: a
   capture from before the access date in a less-preferred archive beats one from after it
   in a preferred one.
4. **Archive preference.** On the chosen side, captures of archives named in ``prefer`` come
   first, in that order; archives not named rank equally, after all named ones. So the pick
   is the best capture of the most preferred archive that has one on that side, falling back
   to the best capture of any other archive. Preference is absolute within the side: a
   preferred archive's capture from years before ``at`` beats another's from the day before;
   bound staleness with ``window`` when that matters.
5. **Nearest to ``at``.** Within an archive rank: the latest capture at or before ``at``, or
   the earliest after it.
6. **Ties** (same rank, same moment) are broken deterministically, whatever the input order:
   a known status before an unknown one, then 200 before 203 before 206, then archive name,
   memento URL and source.

On unknown status: a memento listed in a Memento TimeMap is something the archive will
replay, but RFC 7089 TimeMaps carry no HTTP status, and some archives (the Wayback Machine
among them) record redirects and error pages as captures like any other. So unknown status is
not eligible by default, where a status-bearing source (Wayback CDX) exists it should be used
instead. The archiver sets ``allow_unknown_status=True`` for Memento archives that do not
report status and whose captures are renderings of the final page (archive.today follows
redirects before capturing, so its mementos are of pages, not of redirects); the known-status
tie-break then still prefers a verified capture taken at the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from ..core.snapshot import JobStatus, Snapshot

__all__ = ["GOOD_STATUSES", "choose"]

#: Statuses of a capture worth citing (the same as :attr:`Snapshot.is_good`).
GOOD_STATUSES = frozenset({200, 203, 206})

# Tie-break order of statuses: a full answer first, unknown last.
_STATUS_RANK = {200: 0, 203: 1, 206: 2, None: 3}


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are UTC, as everywhere in the archive stage."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _eligible(snapshot: Snapshot, allow_unknown_status: bool) -> bool:
    if snapshot.job_status is not None and snapshot.job_status is not JobStatus.SUCCESS:
        return False
    if snapshot.status is None:
        return allow_unknown_status or snapshot.job_status is JobStatus.SUCCESS
    return snapshot.status in GOOD_STATUSES


def choose(
    snapshots: Iterable[Snapshot],
    *,
    at: datetime,
    window: tuple[datetime | None, datetime | None] = (None, None),
    prefer: Sequence[str] = (),
    allow_unknown_status: bool = False,
) -> Snapshot | None:
    """The snapshot to cite for a page read at ``at``, by the rules of the module docstring.

    None when no capture is eligible within the window.
    """
    moment = _aware(at)
    start = None if window[0] is None else _aware(window[0])
    end = None if window[1] is None else _aware(window[1])
    candidates = [
        snapshot
        for snapshot in snapshots
        if _eligible(snapshot, allow_unknown_status)
        and (start is None or _aware(snapshot.captured_at) >= start)
        and (end is None or _aware(snapshot.captured_at) <= end)
    ]
    before = [snapshot for snapshot in candidates if _aware(snapshot.captured_at) <= moment]
    side = before or candidates  # nothing before: everything left is after
    if not side:
        return None
    rank = {name: index for index, name in enumerate(dict.fromkeys(prefer))}

    def key(snapshot: Snapshot) -> tuple[int, timedelta, int, str, str, str]:
        # One side only, so "nearest to at" is the latest before it or the earliest after it.
        distance = abs(_aware(snapshot.captured_at) - moment)
        return (
            rank.get(snapshot.archive, len(rank)),
            distance,
            _STATUS_RANK.get(snapshot.status, len(_STATUS_RANK)),
            snapshot.archive,
            snapshot.memento_url,
            snapshot.source.value,
        )

    return min(side, key=key)
