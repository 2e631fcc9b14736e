"""--fix --archive-links: archive links added next to citations, once, in each format's style."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from citecheck.core.config import Config
from citecheck.core.results import FileResult
from citecheck.core.snapshot import Snapshot, SnapshotSource
from citecheck.pipeline import Checker, check_text

MEMENTO = "https://web.archive.org/web/20240102030405/https://example.org/a"


def _snapshot() -> Snapshot:
    return Snapshot(
        original_url="https://example.org/a",
        lookup_url="https://example.org/a",
        archive="ia",
        memento_url=MEMENTO,
        captured_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        status=200,
        source=SnapshotSource.CDX,
    )


def _with_snapshots(result: FileResult) -> FileResult:
    # As check --archive does: archive copies get no snapshot of their own.
    links = (
        replace(item, snapshot=None if "web.archive.org" in item.link.url else _snapshot()) for item in result.links
    )
    return replace(result, links=tuple(links))


def _fix(text: str, format: str) -> str:
    result = _with_snapshots(check_text(text, format=format, path="x", config=Config(offline=True)))
    fixed, _ = Checker.fixed_text(text, result, archive_links=True)
    # A second run finds the archive link already there and adds nothing.
    again = _with_snapshots(check_text(fixed, format=format, path="x", config=Config(offline=True)))
    assert Checker.fixed_text(fixed, again, archive_links=True)[0] == fixed
    return fixed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "See [the report](https://example.org/a) now.\n",
            f"See [the report](https://example.org/a) ([archived](<{MEMENTO}>)) now.\n",
        ),
        (
            'See [the report](<https://example.org/a> "Title") now.\n',
            f'See [the report](<https://example.org/a> "Title") ([archived](<{MEMENTO}>)) now.\n',
        ),
        (
            "See [r](https://example.org/a?utm_source=x 'T (x)').\n",
            f"See [r](https://example.org/a 'T (x)') ([archived](<{MEMENTO}>)).\n",
        ),
        ("Bare https://example.org/a.\n", f"Bare https://example.org/a ([archived](<{MEMENTO}>)).\n"),
        ("Auto <https://example.org/a>.\n", f"Auto <https://example.org/a> ([archived](<{MEMENTO}>)).\n"),
        (
            "Wiki [[https://example.org/a|the report]].\n",
            f"Wiki [[https://example.org/a|the report]] ([archived](<{MEMENTO}>)).\n",
        ),
        ("[[https://example.org/a]]\n", f"[[https://example.org/a]] ([archived](<{MEMENTO}>))\n"),
        ("[r]: https://example.org/a\n", "[r]: https://example.org/a\n"),
        ("```\nhttps://example.org/a\n```\n", "```\nhttps://example.org/a\n```\n"),
    ],
)
def test_markdown(text: str, expected: str) -> None:
    assert _fix(text, "markdown") == expected


def test_plain_text() -> None:
    assert _fix("Source: https://example.org/a, see also.\n", "text") == (
        f"Source: https://example.org/a (archived: {MEMENTO}), see also.\n"
    )


def test_plain_text_wiki_link_gets_it_after_the_brackets() -> None:
    assert _fix("Source: [[https://example.org/a?utm_source=x|report]].\n", "text") == (
        f"Source: [[https://example.org/a|report]] (archived: {MEMENTO}).\n"
    )


def test_html_gets_robust_links_attributes() -> None:
    text = (
        '<p><a href="https://example.org/a?fbclid=1" class="x">report</a> <q cite="https://example.org/a">q</q></p>\n'
    )
    assert _fix(text, "html") == (
        f'<p><a href="https://example.org/a" data-versionurl="{MEMENTO}" data-versiondate="2024-01-02"'
        ' class="x">report</a> <q cite="https://example.org/a">q</q></p>\n'
    )
    already = f'<a data-versionurl="{MEMENTO}" href="https://example.org/a">r</a>'
    assert _fix(already, "html") == already
