"""Finding cited links in article text, with their exact positions."""

from .text import FoundLink, find_links_in_text

__all__ = ["FoundLink", "find_links_in_text"]
