"""Registered-domain lookups with tldextract, strictly offline.

tldextract fetches the Public Suffix List and writes a cache by default, and computes its
cache path at import time. citecheck never lets it: we build one extractor on first use with
no suffix-list URLs (so the snapshot bundled in the package is used) and no cache directory.
The import is deferred because it costs about 100 ms, more than a ``citecheck clean`` run.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tldextract

__all__ = ["registered_parts"]

_EXTRACTOR: tldextract.TLDExtract | None = None


def _extractor() -> tldextract.TLDExtract:
    global _EXTRACTOR
    if _EXTRACTOR is None:
        import tldextract

        _EXTRACTOR = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
    return _EXTRACTOR


@lru_cache(maxsize=4096)
def registered_parts(host: str) -> tuple[str, str]:
    """``(domain, public_suffix)`` of an ASCII host, e.g. ``("bbc", "co.uk")``; ``("", "")`` if none."""
    result = _extractor().extract_str(host)
    if not result.suffix or not result.domain:
        return "", ""
    return result.domain, result.suffix
