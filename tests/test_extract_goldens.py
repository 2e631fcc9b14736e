"""Golden files: each fixture in tests/fixtures/extract pins one behaviour, its links listed next to it.

Regenerate deliberately with ``CITECHECK_UPDATE_GOLDENS=1 pytest tests/test_extract_goldens.py``
and review the diff: a changed golden is a changed behaviour.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from citecheck.extract import Link, extract_links, format_for_path

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SOURCES = sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".expected.json"))


def _listing(links: list[Link]) -> list[dict[str, Any]]:
    keys = ("url", "raw", "line", "column", "kind", "syntax")
    return [{key: link.to_dict()[key] for key in keys} for link in links]


def test_every_fixture_has_a_golden() -> None:
    assert len(SOURCES) >= 8
    goldens = {p.name for p in FIXTURES.glob("*.expected.json")}
    assert goldens == {f"{p.name}.expected.json" for p in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_golden(source: Path) -> None:
    # Read as the CLI does: bytes, BOM stripped, line endings kept.
    text = source.read_bytes().decode("utf-8-sig")
    links = extract_links(text, format_for_path(source.name))
    for link in links:
        assert text[link.start : link.end] == link.raw
    golden = source.with_name(source.name + ".expected.json")
    listing = _listing(links)
    if os.environ.get("CITECHECK_UPDATE_GOLDENS"):
        golden.write_text(json.dumps(listing, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert listing == json.loads(golden.read_text(encoding="utf-8"))
