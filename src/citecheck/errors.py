"""Exceptions raised by citecheck.

A link that is dirty, dead or malformed is never an exception: it is a result.
Exceptions are for the caller's mistakes and the environment::

    CitecheckError            (exit code 2)
    ├── ConfigError           a configuration or rules file is unusable
    │   └── RulesError        a rules file (ours or ClearURLs) is malformed
    └── InputError            an input (file, stdin, argument) cannot be read
"""

from __future__ import annotations

__all__ = ["CitecheckError", "ConfigError", "InputError", "RulesError"]


class CitecheckError(Exception):
    """Base class of every error citecheck raises on purpose."""

    #: The process exit code the CLI uses for this error.
    exit_code: int = 2


class ConfigError(CitecheckError):
    """A configuration value or file cannot be used."""


class RulesError(ConfigError):
    """A rules file is malformed; the message names the file and the entry."""


class InputError(CitecheckError):
    """An input cannot be read or decoded."""
