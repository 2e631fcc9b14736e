"""Finding cited links in article files, with their exact positions.

One module per format: :mod:`.text` (prose), :mod:`.markdown`, :mod:`.html`. Each returns
:class:`Link` values sorted by position; :func:`encode_url` writes a URL back in the syntax
it was found in, so a rewrite touches nothing but the URL's own characters. Importing this
package imports neither markdown-it nor bs4: they load on the first Markdown or HTML file.
"""

from ..core.links import Link, LinkKind, Syntax
from .api import FORMATS, encode_url, extract_links, format_for_path
from .text import FoundLink, find_links_in_text

__all__ = [
    "FORMATS",
    "FoundLink",
    "Link",
    "LinkKind",
    "Syntax",
    "encode_url",
    "extract_links",
    "find_links_in_text",
    "format_for_path",
]
