"""The settings of the check stage, in one frozen value the CLI, the service and tests share."""

from __future__ import annotations

from dataclasses import dataclass

from .._version import __version__
from ..core import defaults as d
from ..net.exchange import DEFAULT_MAX_BODY
from ..net.guard import AddressPolicy

__all__ = ["DEFAULT_USER_AGENT", "NetworkOptions"]

DEFAULT_USER_AGENT = f"citecheck/{__version__} (+https://pypi.org/project/citecheck/; link checker for citations)"


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkOptions:
    """Every knob of the network stage, with the defaults the CLI and the service share."""

    #: Total seconds for one attempt at one URL, redirects and body included.
    timeout: float = d.TIMEOUT.default
    #: Requests in flight at once, over all hosts.
    concurrency: int = d.CONCURRENCY.default
    #: Requests in flight at once to one host (scheme, name and port).
    host_concurrency: int = d.HOST_CONCURRENCY.default
    #: Minimum seconds between two request starts to one host (0: no spacing).
    host_interval: float = d.HOST_INTERVAL.default
    #: Extra attempts after a transient failure (timeouts, connection errors, 5xx, 429).
    retries: int = d.RETRIES.default
    #: ``get``: one streamed GET per URL and hop, reading only what a verdict needs. ``head``:
    #: HEAD first, then GET when the page must be read or HEAD is refused.
    method: str = d.METHOD.default
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
    allow_private: bool = d.ALLOW_PRIVATE.default
    allow_networks: tuple[str, ...] = d.ALLOW_NETWORKS.default

    def policy(self) -> AddressPolicy:
        """The address policy these options describe (checked on every hop and connection)."""
        return AddressPolicy.from_strings(allow_private=self.allow_private, allow_networks=self.allow_networks)
