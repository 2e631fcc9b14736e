"""Finding cited links in article files, with their exact positions.

One module per format: :mod:`.text` (prose), :mod:`.markdown`, :mod:`.html`. Each returns
:class:`Link` values sorted by position; :func:`encode_url` writes a URL back in the syntax
it was found in, so a rewrite touches nothing but the URL's own characters.
"""

from .model import Link, LinkKind, Syntax
from .text import FoundLink, find_links_in_text

__all__ = ["FoundLink", "Link", "LinkKind", "Syntax", "find_links_in_text"]
