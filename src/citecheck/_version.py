"""The single place the version lives (read by pyproject via hatch)."""

__version__ = "0.1.0"
