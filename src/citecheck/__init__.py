"""citecheck keeps citations honest: clean, resolve, check and archive cited URLs.

Importing the package is cheap: the network stack is imported only by the stages that use it.

>>> import citecheck
>>> citecheck.clean_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ&si=abc123")
'https://www.youtube.com/watch?v=dQw4w9WgXcQ'
"""

from ._version import __version__
from .clean import Cleaner, CleanResult, RemovedParam, Unwrapped, clean_url, explain
from .clearurls import ClearURLsWarning, load_clearurls, read_clearurls
from .errors import CitecheckError, ConfigError, InputError, RulesError
from .rules import KeepRule, RemoveRule, RuleSet, UnwrapRule, load_rules
from .urls import is_http_url

__all__ = [
    "CitecheckError",
    "CleanResult",
    "Cleaner",
    "ClearURLsWarning",
    "ConfigError",
    "InputError",
    "KeepRule",
    "RemoveRule",
    "RemovedParam",
    "RuleSet",
    "RulesError",
    "UnwrapRule",
    "Unwrapped",
    "__version__",
    "clean_url",
    "explain",
    "is_http_url",
    "load_clearurls",
    "load_rules",
    "read_clearurls",
]
