"""Reading articles losslessly and writing them back atomically."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

import pytest

from citecheck.core.errors import InputError
from citecheck.fix import documents
from citecheck.fix.documents import Document, decode_document, iter_article_paths, read_document, write_document

TEXT = "Première ligne https://example.com/?utm_source=x\r\nseconde ligne\n"


@pytest.mark.parametrize(
    ("data", "encoding", "bom"),
    [
        (TEXT.encode("utf-8"), "utf-8", b""),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8", codecs.BOM_UTF8),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le", codecs.BOM_UTF16_LE),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be", codecs.BOM_UTF16_BE),
        # UTF-32-LE's mark starts with UTF-16-LE's: it was read as UTF-16 and showed no links.
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "utf-32-le", codecs.BOM_UTF32_LE),
        (codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"), "utf-32-be", codecs.BOM_UTF32_BE),
    ],
)
def test_decoding_round_trips_byte_for_byte(data: bytes, encoding: str, bom: bytes) -> None:
    document = decode_document(data, path="a.md")
    assert (document.text, document.encoding, document.bom) == (TEXT, encoding, bom)
    assert document.encode() == data
    assert document.newline == "mixed"


def test_newline_styles() -> None:
    assert Document(path="x", text="a\r\nb\r\n").newline == "CRLF"
    assert Document(path="x", text="a\nb\n").newline == "LF"
    assert Document(path="x", text="ab").newline == "none"


def test_empty_file_is_fine() -> None:
    assert decode_document(b"", path="empty.md").text == ""


def test_binary_is_refused() -> None:
    with pytest.raises(InputError, match="binary"):
        decode_document(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", path="image.md")


def test_not_utf8_needs_an_explicit_fallback() -> None:
    data = "café https://example.com/".encode("cp1252")
    with pytest.raises(InputError, match="--fallback-encoding"):
        decode_document(data, path="old.txt")
    document = decode_document(data, path="old.txt", fallback_encoding="cp1252")
    assert document.text.startswith("café")
    assert document.encode() == data


def test_fallback_that_does_not_round_trip_is_refused() -> None:
    with pytest.raises(InputError, match="cannot decode"):
        decode_document(b"\x81\x8d\x90 bytes cp1252 leaves undefined", path="x.txt", fallback_encoding="cp1252")


def test_bom_that_lies_is_refused() -> None:
    with pytest.raises(InputError, match="byte-order mark"):
        decode_document(codecs.BOM_UTF8 + b"\xff\xfe\xfd", path="x.txt")


def test_read_errors_are_input_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_document(tmp_path / "missing.md")
    with pytest.raises(InputError, match="is a directory"):
        read_document(tmp_path)
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 100)
    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 10)
    with pytest.raises(InputError, match="more than"):
        read_document(big)


def test_write_is_atomic_and_keeps_mode_encoding_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "story.md"
    original = codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")
    path.write_bytes(original)
    os.chmod(path, 0o640)
    document = read_document(path)
    new_text = document.text.replace("?utm_source=x", "")
    write_document(path, document.with_text(new_text))
    assert path.read_bytes() == codecs.BOM_UTF16_LE + new_text.encode("utf-16-le")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.md"]


def test_failed_write_leaves_the_original_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "story.md"
    path.write_text("before", "utf-8")

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(InputError, match="cannot write"):
        write_document(path, Document(path=str(path), text="after"))
    assert path.read_text("utf-8") == "before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.md"]


def test_walk_takes_articles_and_skips_excluded(tmp_path: Path) -> None:
    for name in (
        "a.md",
        "b.HTML",
        "c.txt",
        "d.py",
        "sub/e.markdown",
        ".git/f.md",
        "node_modules/pkg/g.md",
        "drafts/h.md",
        "drafts/keep/i.md",
    ):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x", "utf-8")
    found = [Path(p).relative_to(tmp_path).as_posix() for p in iter_article_paths([str(tmp_path)])]
    assert found == ["a.md", "b.HTML", "c.txt", "drafts/h.md", "drafts/keep/i.md", "sub/e.markdown"]
    excluded = [
        Path(p).relative_to(tmp_path).as_posix()
        for p in iter_article_paths([str(tmp_path)], exclude=(*documents.DEFAULT_EXCLUDE, "drafts"))
    ]
    assert excluded == ["a.md", "b.HTML", "c.txt", "sub/e.markdown"]
    # a file named explicitly is always taken, whatever its suffix
    assert list(iter_article_paths([str(tmp_path / "d.py")])) == [str(tmp_path / "d.py")]
