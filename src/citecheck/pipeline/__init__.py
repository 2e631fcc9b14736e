"""The one pipeline: extract, clean, check, archive and fix, run for every edge."""

from .session import Checker, check_text, unified_diff

__all__ = ["Checker", "check_text", "unified_diff"]
