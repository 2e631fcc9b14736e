"""The words of a verdict: one a person understands, and the precise reason behind it."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DEFAULT_FAIL_ON", "DESCRIPTIONS", "FINDINGS", "Reason", "Verdict"]


class Verdict(StrEnum):
    """One word a person understands. Offline checks use the first four."""

    OK = "ok"  # nothing to report
    FIXABLE = "fixable"  # the cited URL should be replaced by a cleaner one (``--fix`` does it)
    INVALID = "invalid"  # an http(s) URL that cannot be parsed: a person must look
    SKIPPED = "skipped"  # not checked (another scheme, excluded by configuration, private address)
    REDIRECTED = "redirected"  # alive, but the server sends readers elsewhere
    BROKEN = "broken"  # dead, on strong evidence only (404, 410, NXDOMAIN, soft 404, loops)
    BLOCKED = "blocked"  # a bot wall, a login or a rate limit: the link may be fine, a person should look
    UNREACHABLE = "unreachable"  # timeouts, refused connections, TLS errors, 5xx after retries
    # The server answered, but the answer cannot be told from its page for a path that does not
    # exist (an app shell that renders in the browser, a gate every path leads to): a person should look.
    UNVERIFIED = "unverified"
    PENDING = "pending"  # the service's deadline came first: the check goes on in the background


class Reason(StrEnum):
    """The precise code behind a verdict; also the stable rule id in SARIF and JUnit."""

    #: Nothing to clean, and the network was not asked (an offline run, or the machine looked
    #: offline): ``ok`` then vouches for the URL's form only, never for the page.
    NOT_CHECKED = "not_checked"
    TRACKING_PARAMS = "tracking_params"
    REDIRECT_WRAPPER = "redirect_wrapper"
    INVALID_URL = "invalid_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    EXCLUDED = "excluded"
    # Online checks.
    PERMANENT_REDIRECT = "permanent_redirect"
    TEMPORARY_REDIRECT = "temporary_redirect"
    HTTP_404 = "http_404"
    HTTP_410 = "http_410"
    SOFT_404 = "soft_404"
    SAME_AS_MISSING_PAGE = "same_as_missing_page"
    DNS_NXDOMAIN = "dns_nxdomain"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BOT_CHALLENGE = "bot_challenge"
    RATE_LIMITED = "rate_limited"
    HTTP_401 = "http_401"
    HTTP_403 = "http_403"
    HTTP_451 = "http_451"
    HTTP_999 = "http_999"
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    TLS_ERROR = "tls_error"
    DNS_ERROR = "dns_error"
    PROTOCOL_ERROR = "protocol_error"
    PRIVATE_ADDRESS = "private_address"
    OFFLINE = "offline"


#: Verdicts shown as problems: something a person (or ``--fix``) should act on.
FINDINGS = frozenset(
    {Verdict.FIXABLE, Verdict.INVALID, Verdict.BROKEN, Verdict.BLOCKED, Verdict.UNREACHABLE, Verdict.UNVERIFIED}
)
#: Verdicts that make ``citecheck check`` exit 1 by default (``--fail-on`` changes it).
DEFAULT_FAIL_ON = frozenset({Verdict.FIXABLE, Verdict.INVALID, Verdict.BROKEN})

DESCRIPTIONS = {
    Reason.NOT_CHECKED: "was not checked over the network (nothing to clean)",
    Reason.TRACKING_PARAMS: "carries tracking parameters",
    Reason.REDIRECT_WRAPPER: "is wrapped in a redirect",
    Reason.INVALID_URL: "is not a valid URL",
    Reason.UNSUPPORTED_SCHEME: "is not an http(s) URL",
    Reason.EXCLUDED: "is excluded by configuration",
    Reason.PERMANENT_REDIRECT: "redirects permanently",
    Reason.TEMPORARY_REDIRECT: "redirects temporarily",
    Reason.HTTP_404: "is not found (HTTP 404)",
    Reason.HTTP_410: "is gone (HTTP 410)",
    Reason.SOFT_404: "leads to a 'page not found' page",
    Reason.SAME_AS_MISSING_PAGE: "could not be verified: it is the site's page for a path that does not exist",
    Reason.DNS_NXDOMAIN: "names a domain that does not exist",
    Reason.REDIRECT_LOOP: "redirects in a loop",
    Reason.TOO_MANY_REDIRECTS: "redirects too many times",
    Reason.BOT_CHALLENGE: "is behind a bot challenge",
    Reason.RATE_LIMITED: "was rate limited (HTTP 429)",
    Reason.HTTP_401: "needs a login (HTTP 401)",
    Reason.HTTP_403: "is forbidden to us (HTTP 403)",
    Reason.HTTP_451: "is unavailable for legal reasons (HTTP 451)",
    Reason.HTTP_999: "refused an automated request (HTTP 999)",
    Reason.HTTP_4XX: "answered with a client error",
    Reason.HTTP_5XX: "answered with a server error after retries",
    Reason.TIMEOUT: "timed out",
    Reason.CONNECTION_ERROR: "refused or dropped the connection",
    Reason.TLS_ERROR: "failed the TLS handshake",
    Reason.DNS_ERROR: "could not be resolved (DNS)",
    Reason.PROTOCOL_ERROR: "answered with a malformed response",
    Reason.PRIVATE_ADDRESS: "points to a private or local address (not fetched)",
    Reason.OFFLINE: "could not be checked: the network looks down",
}
