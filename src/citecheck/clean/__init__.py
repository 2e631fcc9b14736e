"""The clean stage: pure, offline rewriting of a cited URL into the one to cite."""

from .cleaner import Cleaner, CleanResult, RemovedParam, Unwrapped, clean_url, explain

__all__ = ["CleanResult", "Cleaner", "RemovedParam", "Unwrapped", "clean_url", "explain"]
