"""The check stage: resolve each URL over the network and judge it with evidence.

Modules, each owning one concern: :mod:`.options` (the settings), :mod:`.hosts` (politeness
per host and the order URLs start in), :mod:`.request` (one request and its failures),
:mod:`.resolve` (the redirect chain), :mod:`.pages` (what a page says), :mod:`.soft404`,
:mod:`.verdict` (the verdict table), :mod:`.checker` (:class:`AsyncLinkChecker`, composing
them), :mod:`.sync` (:class:`LinkChecker`, its synchronous face) and :mod:`.arguments`
(the keyword arguments the two share).
"""

from ..core.evidence import Hop, OnlineResult
from .checker import AsyncLinkChecker
from .options import DEFAULT_USER_AGENT, NetworkOptions
from .sync import LinkChecker

__all__ = ["DEFAULT_USER_AGENT", "AsyncLinkChecker", "Hop", "LinkChecker", "NetworkOptions", "OnlineResult"]
