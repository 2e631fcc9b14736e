"""Web-archive snapshots: find them, request them, choose the right one, remember them."""

from ..core.snapshot import ArchiveError, Snapshot, SnapshotSource

__all__ = ["ArchiveError", "Snapshot", "SnapshotSource"]
