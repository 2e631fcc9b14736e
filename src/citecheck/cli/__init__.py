"""The ``citecheck`` command line: thin adapters over the library."""

from .main import main
from .process import console_main

__all__ = ["console_main", "main"]
