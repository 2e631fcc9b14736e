"""Web-archive snapshots: find them, request them, choose the right one, remember them."""

from ..core.snapshot import ArchiveError, Snapshot, SnapshotSource
from .archiver import Archiver, AsyncArchiver, SaveOutcome

__all__ = ["ArchiveError", "Archiver", "AsyncArchiver", "SaveOutcome", "Snapshot", "SnapshotSource"]
