"""The link-format parser on TimeMaps shaped like real ones, and on the ways they go wrong."""

from __future__ import annotations

import contextlib
import time

import pytest

from citecheck.archive.linkformat import LinkValue, parse_link_format
from citecheck.core.snapshot import ArchiveError

_PAGE = "http://example.com/a,b?q=1;2"

# As the Wayback Machine's /web/timemap/link/ answers (one item a line, trailing comma).
WAYBACK = "".join(
    [
        f'<{_PAGE}>; rel="original",\n',
        f"<https://web.archive.org/web/timemap/link/{_PAGE}>; "
        'rel="self"; type="application/link-format"; from="Fri, 20 Dec 1996 15:03:28 GMT",\n',
        '<https://web.archive.org>; rel="timegate",\n',
        f"<https://web.archive.org/web/19961220150328/{_PAGE}>; "
        'rel="first memento"; datetime="Fri, 20 Dec 1996 15:03:28 GMT",\n',
        f"<https://web.archive.org/web/20050101000000/{_PAGE}>; "
        'rel="memento"; datetime="Sat, 01 Jan 2005 00:00:00 GMT",\n',
        f"<https://web.archive.org/web/20240229235959/{_PAGE}>; "
        'rel="last memento"; datetime="Thu, 29 Feb 2024 23:59:59 GMT",\n',
    ]
)

# As archive.today answers: self link last, with from/until, no trailing comma.
ARCHIVE_TODAY = "\n".join(
    [
        '<http://example.com/>; rel="original",',
        '<http://archive.md/timegate/http://example.com/>; rel="timegate",',
        '<http://archive.md/20130101000000/http://example.com/>; rel="first memento"; '
        'datetime="Tue, 01 Jan 2013 00:00:00 GMT",',
        '<http://archive.md/20200101000000/http://example.com/>; rel="last memento"; '
        'datetime="Wed, 01 Jan 2020 00:00:00 GMT",',
        '<http://archive.md/timemap/link/http://example.com/>; rel="self"; type="application/link-format"; '
        'from="Tue, 01 Jan 2013 00:00:00 GMT"; until="Wed, 01 Jan 2020 00:00:00 GMT"',
    ]
)


def test_wayback_timemap() -> None:
    links = parse_link_format(WAYBACK)
    assert [link.rels for link in links] == [
        ("original",),
        ("self",),
        ("timegate",),
        ("first", "memento"),
        ("memento",),
        ("last", "memento"),
    ]
    # Commas and semicolons inside <...> belong to the URL.
    assert links[0].target == "http://example.com/a,b?q=1;2"
    assert links[3].target == "https://web.archive.org/web/19961220150328/http://example.com/a,b?q=1;2"
    assert links[3].params == {"rel": "first memento", "datetime": "Fri, 20 Dec 1996 15:03:28 GMT"}
    assert links[1].params["from"] == "Fri, 20 Dec 1996 15:03:28 GMT"


def test_archive_today_timemap() -> None:
    links = parse_link_format(ARCHIVE_TODAY)
    assert len(links) == 5
    assert [link.target for link in links if "memento" in link.rels] == [
        "http://archive.md/20130101000000/http://example.com/",
        "http://archive.md/20200101000000/http://example.com/",
    ]
    assert links[-1].params == {
        "rel": "self",
        "type": "application/link-format",
        "from": "Tue, 01 Jan 2013 00:00:00 GMT",
        "until": "Wed, 01 Jan 2020 00:00:00 GMT",
    }


def test_whitespace_and_newlines_anywhere() -> None:
    text = '\n\n  <a>  ;\n rel = "memento"  ;\tdatetime =\n"Sat, 01 Jan 2000 00:00:00 GMT" \n ,\n\n <b> ; rel=next\n'
    assert parse_link_format(text) == [
        LinkValue("a", {"rel": "memento", "datetime": "Sat, 01 Jan 2000 00:00:00 GMT"}),
        LinkValue("b", {"rel": "next"}),
    ]


def test_quoted_string_escapes() -> None:
    [link] = parse_link_format(r'<a>; title="say \"hi\", a \\ b; c"; rel=memento')
    assert link.params == {"title": 'say "hi", a \\ b; c', "rel": "memento"}


def test_params_without_values_unknown_params_and_case() -> None:
    [link] = parse_link_format('<a>; Anchor; REL="Memento First"; x-custom=1; license="cc-by"')
    assert link.params == {"anchor": "", "rel": "Memento First", "x-custom": "1", "license": "cc-by"}
    # rel values are compared case-insensitively; the raw parameter keeps its spelling.
    assert link.rels == ("memento", "first")


def test_no_rel_and_extension_rel() -> None:
    [plain, extension] = parse_link_format('<a>, <b>; rel="https://example.org/rel/x  memento"')
    assert plain.rels == ()
    assert extension.rels == ("https://example.org/rel/x", "memento")


def test_duplicate_params_first_wins() -> None:
    [link] = parse_link_format('<a>; rel="memento"; rel="timemap"; DATETIME="one"; datetime="two"')
    assert link.params == {"rel": "memento", "datetime": "one"}


@pytest.mark.parametrize("text", ["<a>,", "<a>,,, ", ",<a>", ", ,<a>;;, ,", "<a>;"])
def test_empty_items_and_trailing_commas(text: str) -> None:
    assert parse_link_format(text) == [LinkValue("a", {})]


@pytest.mark.parametrize("text", ["", "   ", "\n\n", ",,,", "\ufeff"])
def test_empty_document_is_no_links(text: str) -> None:
    assert parse_link_format(text) == []


def test_byte_order_mark_is_ignored() -> None:
    assert parse_link_format("\ufeff<a>; rel=memento") == [LinkValue("a", {"rel": "memento"})]


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        # Junk after a parameter: that item goes, the next survives.
        ('<a>; rel="memento" junk, <b>; rel=memento', ["b"]),
        # An item that does not start with "<".
        ('garbage here, <b>; rel="memento", http://c/; rel=memento, <d>', ["b", "d"]),
        # An unterminated quoted string: items inside its tail are recovered.
        ('<a>; title="unterminated, <b>; rel=memento', ["b"]),
        # An unterminated target swallows nothing after the next ", <".
        ("<http://a/x, <b>; rel=memento", ["http://a/x, <b"]),
        ("<http://a/x; rel=memento, <b", []),
        # A quoted string that closes in the wrong place: the rest of that item is junk.
        ('<a>; title="x, <b>; rel="memento", <c>; rel=memento', ["c"]),
        # Missing comma between items: the second one is junk to the first.
        ("<a>; rel=memento <b>; rel=memento, <c>", ["c"]),
        # A bad parameter name.
        ('<a>; "rel"=memento, <b>', ["b"]),
        # An escape at the very end.
        ('<a>, <b>; t="x\\', ["a"]),
    ],
)
def test_bad_items_are_skipped(text: str, targets: list[str]) -> None:
    try:
        links = parse_link_format(text)
    except ArchiveError:
        links = []
    assert [link.target for link in links] == targets


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html>\n<html><head><title>Not found</title></head><body>Nothing, here</body></html>",
        '{"mementos": [{"uri": "http://a/", "datetime": "2020"}]}',
        "Too Many Requests",
        "<http://a/x; rel=memento",
    ],
)
def test_a_document_with_no_link_at_all_is_an_error(text: str) -> None:
    with pytest.raises(ArchiveError, match="not an application/link-format document"):
        parse_link_format(text)


def test_link_values_are_frozen_and_hashable() -> None:
    link = parse_link_format("<a>; rel=memento")[0]
    assert link in {link}
    with pytest.raises(AttributeError):
        link.target = "b"  # type: ignore[misc]


def _big_timemap(entries: int) -> str:
    lines = [
        '<http://example.com/page?a=1,2>; rel="original",',
        '<https://web.archive.org/web/timemap/link/http://example.com/page?a=1,2>; rel="self"; '
        'type="application/link-format"; from="Mon, 01 Jan 2001 00:00:00 GMT",',
    ]
    for index in range(entries):
        day = 1 + index % 28
        lines.append(
            f"<https://web.archive.org/web/2001{1 + index % 12:02d}{day:02d}{index % 1_000_000:06d}"
            f'/http://example.com/page?a=1,2>; rel="memento"; datetime="Mon, {day:02d} Jan 2001 00:00:00 GMT",'
        )
    return "\n".join(lines)


def test_five_megabyte_timemap_in_linear_time() -> None:
    text = _big_timemap(40_000)
    assert len(text) > 5_000_000
    started = time.perf_counter()
    links = parse_link_format(text)
    elapsed = time.perf_counter() - started
    assert len(links) == 40_002
    assert sum("memento" in link.rels for link in links) == 40_000
    assert elapsed < 10  # about half a second; generous for slow CI machines


@pytest.mark.parametrize(
    "text",
    [
        "<" * 1_000_000,
        ", <" * 300_000,
        '<x>; t="' * 300_000,
        '<a>; t="' + ", <" * 300_000 + '" >junk',
        "<a" + ', <x>; t="' * 200_000,
        ";" * 1_000_000,
        "<a>" + ";x" * 300_000,
        '"' * 1_000_000,
    ],
)
def test_pathological_documents_take_bounded_time(text: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(ArchiveError):
        parse_link_format(text)
    assert time.perf_counter() - started < 10  # quadratic would take hours
