"""Exceptions raised by citecheck: every one a caller can get is a :class:`CitecheckError`.

A link that is dirty, dead or malformed is never an exception: it is a result.
Exceptions are for the caller's mistakes and the environment::

    CitecheckError            (exit code 2)
    ├── ConfigError           a configuration value or file is unusable
    │   ├── RulesError        a rules file (ours or ClearURLs) is malformed
    │   └── UsageError        command-line options that cannot be used (as argparse reports them)
    ├── InputError            an input (file, stdin, argument) cannot be read
    ├── StoreBusyError        the result store stayed locked by others for too long
    └── ArchiveError          a web archive answered in a way that cannot be used
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "CitecheckError",
    "ConfigError",
    "InputError",
    "RulesError",
    "StoreBusyError",
    "StoreError",
    "UsageError",
]


class CitecheckError(Exception):
    """Base class of every error citecheck raises on purpose."""

    #: The process exit code the CLI uses for this error.
    exit_code: int = 2


class ConfigError(CitecheckError):
    """A configuration value or file cannot be used."""


class RulesError(ConfigError):
    """A rules file is malformed; the message names the file and the entry."""


class UsageError(ConfigError):
    """Command-line options that contradict each other or are out of range; the CLI prints its usage."""


class InputError(CitecheckError):
    """An input cannot be read or decoded."""


class StoreBusyError(CitecheckError):
    """The store stayed locked by other processes for longer than the timeout allows."""


class StoreError(CitecheckError):
    """The store's file is damaged or cannot be used; the message says what to do."""


class ArchiveError(CitecheckError):
    """An archive answered in a way we cannot use (bad JSON, unexpected shape): never a crash."""
