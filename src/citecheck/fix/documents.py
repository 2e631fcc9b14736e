"""Reading article files faithfully and writing them back atomically.

The promise of ``--fix`` is that nothing but URL characters changes, byte for byte. So a file is
decoded losslessly (UTF-8 with or without BOM, UTF-16 or UTF-32 with BOM, or an encoding the user names),
newlines are never translated, and writing re-encodes with the same codec and BOM into a
temporary file in the same directory that replaces the original only once it is on disk.
"""

from __future__ import annotations

import codecs
import contextlib
import fnmatch
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

# The suffixes and excludes are settings: their defaults live in the one table.
from ..core.defaults import ARTICLE_SUFFIXES, DEFAULT_EXCLUDE
from ..core.errors import InputError

__all__ = [
    "ARTICLE_SUFFIXES",
    "DEFAULT_EXCLUDE",
    "MAX_FILE_BYTES",
    "Document",
    "decode_document",
    "iter_article_paths",
    "modified_at",
    "read_document",
    "write_document",
]

#: Files larger than this are refused rather than read into memory.
MAX_FILE_BYTES = 32 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    # UTF-32 before UTF-16: the UTF-32-LE mark begins with the UTF-16-LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """A decoded article and what is needed to write it back exactly as it was encoded."""

    path: str
    text: str
    encoding: str = "utf-8"
    bom: bytes = b""

    @property
    def newline(self) -> str:
        """The newline style, for messages: ``LF``, ``CRLF``, ``mixed`` or ``none``."""
        crlf = self.text.count("\r\n")
        lf = self.text.count("\n") - crlf
        if crlf and lf:
            return "mixed"
        return "CRLF" if crlf else "LF" if lf else "none"

    def encode(self, text: str | None = None) -> bytes:
        """``text`` (default: ours) in our encoding, with our BOM."""
        return self.bom + (self.text if text is None else text).encode(self.encoding)

    def with_text(self, text: str) -> Document:
        return replace(self, text=text)

    @classmethod
    def from_urls(cls, urls: Iterable[str]) -> Document:
        """Bare URLs as a plain-text document (``<urls>``), one a line: link N is on line N."""
        listed = list(urls)
        if any("\n" in url or "\r" in url for url in listed):
            raise InputError("a URL cannot contain a line break")
        return cls(path="<urls>", text="".join(url + "\n" for url in listed))


def decode_document(data: bytes, *, path: str, fallback_encoding: str | None = None) -> Document:
    """Decode article bytes, or raise :class:`InputError` saying why not (never guess silently)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Document(path=path, text=data[len(bom) :].decode(encoding), encoding=encoding, bom=bom)
            except UnicodeDecodeError as exc:
                raise InputError(f"{path}: starts with a {encoding} byte-order mark but is not {encoding}") from exc
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file (NUL bytes), not an article")
    try:
        return Document(path=path, text=data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        if fallback_encoding is None:
            raise InputError(
                f"{path}: not valid UTF-8 (byte {exc.start}); if it is in another encoding, "
                "name it with --fallback-encoding (e.g. cp1252)"
            ) from exc
    try:
        text = data.decode(fallback_encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"{path}: cannot decode as {fallback_encoding}: {exc}") from exc
    if text.encode(fallback_encoding) != data:
        raise InputError(f"{path}: {fallback_encoding} does not round-trip this file; refusing to touch it")
    return Document(path=path, text=text, encoding=fallback_encoding)


def modified_at(path: str | Path) -> datetime | None:
    """When an article was last written (UTC): its author read what it cites by then at the
    latest, so its snapshots are chosen for that date. None when the file cannot tell."""
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    except (OSError, OverflowError, ValueError):
        return None


def read_document(path: str | Path, *, fallback_encoding: str | None = None) -> Document:
    """Read and decode one file, with clear errors for what cannot be an article."""
    name = str(path)
    file = Path(path)
    try:
        info = file.stat()
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{name}: is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{name}: not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise InputError(f"{name}: {info.st_size} bytes is more than the {MAX_FILE_BYTES} citecheck reads")
        data = file.read_bytes()
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    return decode_document(data, path=name, fallback_encoding=fallback_encoding)


def write_document(path: str | Path, document: Document, *, original: Document | None = None) -> None:
    """Replace the file's content with ``document``, safely.

    - With ``original`` (what was read), the file must still hold exactly those bytes: an
      editor may have saved it during the network checks, and those edits must not be lost.
      A changed file is refused with :class:`InputError` and left alone.
    - A symlink is written through: its target gets the new content, the link stays a link.
    - The bytes go to a temporary file beside the target, are fsynced, get the target's mode
      (and owner and group where we may set them), and are renamed over it: a crash leaves the
      old file or the new one, never half of each.
    - A file with other hard links is rewritten in place instead (a rename would leave the
      other names holding the old text); that write is not atomic.
    """
    target = Path(os.path.realpath(path))
    data = document.encode()
    try:
        info = target.stat()
    except OSError as exc:
        raise InputError(f"{path}: cannot stat before writing: {exc.strerror or exc}") from exc
    expected = None if original is None else original.encode()
    if info.st_nlink > 1:
        _refuse_if_changed(path, target, expected)
        _write_in_place(path, target, data)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".citecheck-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(info.st_mode))
        with contextlib.suppress(OSError):
            os.chown(tmp, info.st_uid, info.st_gid)
        _refuse_if_changed(path, target, expected)  # read once, as late as can be: just before the swap
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _refuse_if_changed(path: str | Path, target: Path, expected: bytes | None) -> None:
    if expected is None:
        return
    try:
        current = target.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read before writing: {exc.strerror or exc}") from exc
    if current != expected:
        raise InputError(f"{path}: changed since citecheck read it; not rewritten (run again to fix it)")


def _write_in_place(path: str | Path, target: Path, data: bytes) -> None:
    try:
        with open(target, "r+b") as handle:
            handle.write(data)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def _excluded(path: Path, patterns: Sequence[str]) -> bool:
    """A path is excluded when any of its parts, or its whole relative form, matches a glob."""
    text = path.as_posix()
    return any(
        fnmatch.fnmatchcase(part, pattern) or fnmatch.fnmatchcase(text, pattern)
        for pattern in patterns
        for part in path.parts
    )


def iter_article_paths(
    paths: Iterable[str],
    *,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    suffixes: Sequence[str] = ARTICLE_SUFFIXES,
) -> Iterator[str]:
    """Files to check: named files as given, directories walked in a stable order.

    In a walk, only files with an article suffix are taken and excluded names are skipped
    (directories are not entered). A file named explicitly is taken even if a pattern matches
    it, as linters do, so a pre-commit hook's file list is honoured.
    """
    wanted = tuple(s.lower() for s in suffixes)
    for given in paths:
        root = Path(given)
        if not root.is_dir():
            yield given
            continue
        for current, dirs, files in os.walk(root):
            base = Path(current)
            dirs[:] = sorted(d for d in dirs if not _excluded(base.joinpath(d).relative_to(root), exclude))
            for name in sorted(files):
                candidate = base / name
                if name.lower().endswith(wanted) and not _excluded(candidate.relative_to(root), exclude):
                    yield str(candidate)
