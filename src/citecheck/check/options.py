"""The settings of the check stage, in one frozen value the CLI, the service and tests share."""

from __future__ import annotations

from dataclasses import dataclass

from .._version import __version__
from ..core.config import NetworkSettings
from ..net.exchange import DEFAULT_MAX_BODY
from ..net.guard import AddressPolicy

__all__ = ["DEFAULT_USER_AGENT", "NetworkOptions"]

DEFAULT_USER_AGENT = f"citecheck/{__version__} (+https://pypi.org/project/citecheck/; link checker for citations)"


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkOptions(NetworkSettings):
    """Every knob of the network stage: the keys a configuration sets, and the finer ones."""

    #: First backoff in seconds; doubles per attempt, with jitter.
    backoff: float = 0.5
    #: Longest Retry-After honoured, in seconds; a longer one ends the attempts (rate_limited).
    retry_after_cap: float = 30.0
    max_redirects: int = 10
    #: A meta refresh with at most this delay is followed like a redirect.
    meta_refresh_max_delay: float = 5.0
    max_body: int = DEFAULT_MAX_BODY
    user_agent: str = DEFAULT_USER_AGENT
    #: Probe each host once with a random path to recognise its "not found" page (soft 404s).
    probe_soft_404: bool = True
    #: Seconds a checker reuses a finished answer for the same URL (a long-lived checker, such
    #: as the service's, then checks again rather than repeat an old answer forever).
    remember_for: float = 3600.0

    def policy(self) -> AddressPolicy:
        """The address policy these options describe (checked on every hop and connection)."""
        return AddressPolicy.from_strings(allow_private=self.allow_private, allow_networks=self.allow_networks)
