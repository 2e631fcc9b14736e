"""``citecheck archive``: the command-line adapter over :class:`~citecheck.archive.archiver.AsyncArchiver`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ..core.errors import CitecheckError, ConfigError, InputError, UsageError
from ..core.snapshot import Snapshot

__all__ = ["archive_command"]

#: Version of the ``--format json`` document of this command.
ARCHIVE_SCHEMA_VERSION = 1


def _access_date(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"--access-date: not a date: {text!r} (use YYYY-MM-DD)") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _nearer(captured: Snapshot, found: Snapshot | None, at: datetime) -> bool:
    """Whether the capture just made is at least as near the access date as the one found.

    The usual case: the access date is today, the capture found is older than
    ``if_not_archived_within`` (or there is none), and the new one is minutes old. For an
    article read long ago, a capture from before the reading stays nearer than one made now.
    """
    return found is None or abs(captured.captured_at - at) <= abs(found.captured_at - at)


def _targets(args: argparse.Namespace, at: datetime | None) -> list[dict[str, Any]]:
    """``{url, path, line, at}`` for each URL given and each http(s) link in each file given."""
    from ..core.urls import split_url
    from ..extract import extract_links, format_for_path
    from ..fix.documents import iter_article_paths, modified_at, read_document

    found: list[dict[str, Any]] = []
    for target in args.targets:
        if os.path.exists(target):
            for path in iter_article_paths([target]):
                document = read_document(path)
                read_at = at or modified_at(path) or datetime.now(UTC)
                for link in extract_links(document.text, format_for_path(path)):
                    if split_url(link.url.strip()) is not None:
                        found.append({"url": link.url, "path": path, "line": link.line, "at": read_at})
        elif split_url(target.strip()) is not None:
            found.append({"url": target.strip(), "path": None, "line": None, "at": at or datetime.now(UTC)})
        else:
            raise InputError(f"{target}: neither a file nor an http(s) URL")
    return found


def archive_command(args: argparse.Namespace, out: TextIO) -> int:
    from ..core.config import load_config
    from ..pipeline import AsyncSession

    if args.config and args.isolated:
        raise UsageError("--config and --isolated contradict each other")
    config = load_config(Path(args.config) if args.config else None, isolated=args.isolated)
    settings = config.archive
    if args.save and settings.credentials is None:
        from ..archive.save import NO_KEYS_MESSAGE

        raise ConfigError(NO_KEYS_MESSAGE)
    targets = _targets(args, _access_date(args.access_date))
    config = config.merged(store="" if args.no_store else args.store)
    # The flag lives in citecheck.cli's parser; read defensively so older parsers still work.
    verify = bool(getattr(args, "verify", False))
    verified: list[bool | None] = [None] * len(targets)
    skipped: list[str | None] = [None] * len(targets)
    notices: list[str] = []

    async def run() -> list[tuple[Snapshot | None, Snapshot | None]]:
        async with AsyncSession(config) as session:
            archiver = await session.archiver()
            if args.save:
                await archiver.repoll_pending()  # captures an earlier run left pending

            async def one(index: int, target: dict[str, Any]) -> tuple[Snapshot | None, Snapshot | None]:
                try:
                    found = await archiver.lookup(target["url"], at=target["at"])
                except CitecheckError:
                    found = None
                saved = None
                if args.save:
                    outcome = await archiver.save_if_needed(target["url"], at=target["at"])
                    saved, skipped[index] = outcome.requested, outcome.skipped
                    if outcome.captured is not None and _nearer(outcome.captured, found, target["at"]):
                        found = outcome.captured  # the capture just made is the one to cite
                if verify and found is not None:
                    checked = await archiver.verify(found)
                    verified[index] = checked is not found  # verify returns its argument when it could not
                    found = checked
                return found, saved

            answers = list(await asyncio.gather(*(one(i, t) for i, t in enumerate(targets))))
            notices.extend(session.notices)
            return answers

    answers = asyncio.run(run())
    for notice in notices:
        print(f"citecheck: {notice}", file=sys.stderr)
    if args.format == "json":
        entries = [
            {
                "url": t["url"],
                "path": t["path"],
                "line": t["line"],
                "access_date": t["at"].isoformat(),
                "snapshot": None if found is None else found.summary(),
                "record": None if found is None else found.to_dict(),
                "save": None if saved is None else saved.to_dict(),
                # Only with --save and --verify, so the document is unchanged otherwise.
                **({"save_skipped": reason} if args.save else {}),
                **({"verified": ok} if verify else {}),
            }
            for t, (found, saved), ok, reason in zip(targets, answers, verified, skipped, strict=True)
        ]
        summary = {"urls": len(entries), "found": sum(e["snapshot"] is not None for e in entries)}
        if args.save:
            summary["saves_requested"] = sum(saved is not None for _, saved in answers)
            summary["saves_skipped"] = sum(reason is not None for reason in skipped)
        document = {"schema_version": ARCHIVE_SCHEMA_VERSION, "snapshots": entries, "summary": summary}
        out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return 0
    for t, (found, saved), ok, reason in zip(targets, answers, verified, skipped, strict=True):
        where = f"{t['path']}:{t['line']}: " if t["path"] else ""
        out.write(f"{where}{t['url']}\n")
        if found is None:
            out.write("  no snapshot found\n")
        else:
            stamp = found.captured_at.strftime("%Y-%m-%d %H:%M UTC")
            out.write(f"  -> {found.memento_url}  ({found.archive}, {stamp})\n")
            if ok:
                out.write(f"  verified: payload digest sha1:{found.digest}\n")
            elif ok is False:
                out.write("  not verified: the capture could not be read\n")
        if saved is not None:
            state = saved.job_status.value if saved.job_status else "?"
            detail = f", {saved.status_ext}" if saved.status_ext else ""
            out.write(f"  capture requested: {state}{detail}\n")
        elif reason is not None:
            out.write(f"  capture not requested: {reason}\n")
    found_count = sum(found is not None for found, _ in answers)
    out.write(f"\n{found_count} of {len(targets)} URLs have a snapshot to cite.\n")
    if args.save:
        requested = sum(saved is not None for _, saved in answers)
        not_needed = sum(reason is not None for reason in skipped)
        out.write(f"Captures requested: {requested}; not needed: {not_needed}.\n")
    return 0
