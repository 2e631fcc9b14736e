"""The check stage: resolve each URL over the network and judge it with evidence."""

from .checker import DEFAULT_USER_AGENT, AsyncLinkChecker, Hop, LinkChecker, NetworkOptions, OnlineResult

__all__ = ["DEFAULT_USER_AGENT", "AsyncLinkChecker", "Hop", "LinkChecker", "NetworkOptions", "OnlineResult"]
