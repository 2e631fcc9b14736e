"""``--fix`` never loses an edit or a file's identity (#14 points 3 and 6).

An editor may save the article while citecheck waits on the network; a symlinked article must
stay a link with its target fixed; a file's owner, group and other hard links must survive.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from citecheck.core.errors import InputError
from citecheck.fix.documents import read_document, write_document
from fakeweb import FakeWeb, delay, ok

DIRTY = "See https://news.example.com/story?id=7&utm_source=feed for more.\n"
CLEAN = "See https://news.example.com/story?id=7 for more.\n"


def test_a_file_changed_since_it_was_read_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(DIRTY, encoding="utf-8")
    document = read_document(path)
    path.write_text(DIRTY + "A paragraph saved meanwhile.\n", encoding="utf-8")
    with pytest.raises(InputError, match="changed since citecheck read it"):
        write_document(path, document.with_text(CLEAN), original=document)
    assert path.read_text(encoding="utf-8") == DIRTY + "A paragraph saved meanwhile.\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".citecheck-tmp")]


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "target.md"
    target.write_text(DIRTY, encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(target.name)
    document = read_document(link)
    write_document(link, document.with_text(CLEAN), original=document)
    assert link.is_symlink()
    assert os.readlink(link) == target.name
    assert target.read_text(encoding="utf-8") == CLEAN


def test_other_hard_links_see_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(DIRTY, encoding="utf-8")
    other = tmp_path / "same-file.md"
    os.link(path, other)
    document = read_document(path)
    write_document(path, document.with_text(CLEAN), original=document)
    assert other.read_text(encoding="utf-8") == CLEAN
    assert path.stat().st_ino == other.stat().st_ino


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_owner_group_and_mode_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(DIRTY, encoding="utf-8")
    os.chown(path, 12345, 23456)
    path.chmod(0o640)
    document = read_document(path)
    write_document(path, document.with_text(CLEAN), original=document)
    info = path.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (12345, 23456, 0o640)


def test_an_edit_saved_during_the_network_checks_is_not_lost(tmp_path: Path) -> None:
    """The CLI reads, checks over the network (slow here), then fixes: an append made while
    it waits must survive, and the run must say so and fail (exit 2), not report success."""

    async def go() -> tuple[int, bytes, str]:
        async with FakeWeb() as web:
            web.route("/slow", delay(2.0, ok("<html><body><p>slow page</p></body></html>")))
            path = tmp_path / "a.md"
            path.write_text(f"Slow {web.url(0, '/slow')}?utm_source=feed here.\n", encoding="utf-8")
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "citecheck",
                "check",
                "--fix",
                "--no-store",
                "--allow-network",
                "127.0.0.0/8",
                str(path),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=tmp_path,
            )
            for _ in range(600):  # until the network phase has begun (the file is read by then)
                if web.in_flight:
                    break
                await asyncio.sleep(0.05)
            assert web.in_flight, "the check never reached the server"
            with path.open("a", encoding="utf-8") as handle:
                handle.write("A paragraph saved meanwhile.\n")
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode is not None
            return proc.returncode, out + err, path.read_text(encoding="utf-8")

    code, output, text = asyncio.run(go())
    assert b"Traceback" not in output
    assert code == 2, output.decode("utf-8", "replace")
    assert b"changed since citecheck read it" in output
    assert text.endswith("A paragraph saved meanwhile.\n")
    assert "utm_source=feed" in text  # nothing was rewritten
