"""The ``citecheck`` command line: thin adapters over the library."""

from .main import main

__all__ = ["main"]
