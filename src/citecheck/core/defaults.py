"""Every setting's default and allowed values, in one table.

The configuration file's validation, the command line's flags, the service's OpenAPI document
and ``docs/configuration.md`` all read this table, so a default or a range cannot differ between
them. A setting is named as written in the configuration file: ``timeout``, ``serve.max_queue``,
``archive.cdx_per_minute``.

>>> HOST_CONCURRENCY.default, HOST_CONCURRENCY.low, HOST_CONCURRENCY.high
(4, 1, 256)
>>> HOST_CONCURRENCY.check(1000)
Traceback (most recent call last):
...
citecheck.core.errors.ConfigError: 'host_concurrency' must be a number from 1 to 256 (an integer)
"""

from __future__ import annotations

from .setting import Setting
from .values import VERDICT_NAMES, check_header, check_network, check_verdicts

__all__ = [
    "ARTICLE_SUFFIXES",
    "DEFAULT_EXCLUDE",
    "OUTPUT_FORMATS",
    "SETTINGS",
    "VERDICT_NAMES",
    "Setting",
    "check_header",
    "check_network",
    "check_verdicts",
    "table_settings",
]

#: File suffixes read when a directory is walked.
ARTICLE_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".html", ".htm", ".xhtml", ".txt", ".text")
#: Folders never walked into unless the configuration says otherwise.
DEFAULT_EXCLUDE = (".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox")
#: Output formats of ``citecheck check``.
OUTPUT_FORMATS = ("text", "json", "github", "sarif", "junit")

# -- the top-level keys ---------------------------------------------------------------------------

RULES: Setting[tuple[str, ...]] = Setting(
    name="rules",
    default=(),
    kind="paths",
    flag="--rules",
    help="Extra rules files in citecheck's format, merged over the built-in rules, in order.",
)
CLEARURLS: Setting[tuple[str, ...]] = Setting(
    name="clearurls", default=(), kind="paths", flag="--clearurls", help="Extra rules files in the ClearURLs format."
)
BUILTIN_RULES = Setting(
    name="builtin_rules",
    default=True,
    kind="bool",
    flag="--no-builtin-rules",
    help="Use the rules shipped with citecheck.",
)
EXCLUDE = Setting(
    name="exclude",
    default=DEFAULT_EXCLUDE,
    kind="globs",
    help="Paths not walked into (a glob matches a name or a relative path). Replaces the defaults.",
)
EXTEND_EXCLUDE: Setting[tuple[str, ...]] = Setting(
    name="extend_exclude", default=(), kind="globs", flag="--exclude", help="Added to `exclude`, keeping the defaults."
)
EXTENSIONS = Setting(
    name="extensions",
    default=ARTICLE_SUFFIXES,
    kind="suffixes",
    help="File suffixes read when a directory is walked (files named on the command line are always read).",
)
IGNORE_URLS: Setting[tuple[str, ...]] = Setting(
    name="ignore_urls",
    default=(),
    kind="patterns",
    flag="--ignore-url",
    help="Regular expressions: cited URLs matching one are skipped (reason `excluded`).",
)
FORMAT = Setting(
    name="format",
    default="text",
    kind="choice",
    choices=OUTPUT_FORMATS,
    flag="--format",
    help="Output format ([output formats](output-formats.md)).",
)
EXIT_ZERO = Setting(
    name="exit_zero",
    default=False,
    kind="bool",
    flag="--exit-zero",
    help="Exit 0 even when findings remain (errors still exit 2).",
)
FALLBACK_ENCODING: Setting[str | None] = Setting(
    name="fallback_encoding",
    default=None,
    kind="encoding",
    flag="--fallback-encoding",
    help="Encoding for files that are not UTF-8 (none: such a file is an error, never guessed at).",
)
OFFLINE = Setting(name="offline", default=False, kind="bool", flag="--offline", help="Only clean; no network requests.")
TIMEOUT = Setting(
    name="timeout",
    default=20.0,
    kind="number",
    low=0.1,
    high=600.0,
    flag="--timeout",
    help=(
        "Seconds allowed for one request, headers and body, counted from when it is sent: time queued"
        " behind the host limits does not count, and each redirect hop has its own."
    ),
)
CONCURRENCY = Setting(
    name="concurrency",
    # Measured (docs/performance.md): enough for the per-host limit to bind on a few dozen busy
    # hosts at real-world latencies, still flat in memory; one core does ~1,000 checks a second.
    default=256,
    kind="integer",
    low=1,
    high=1024,
    flag="--concurrency",
    help="Requests in flight at once, in all.",
)
HOST_CONCURRENCY = Setting(
    name="host_concurrency",
    default=4,
    kind="integer",
    low=1,
    high=256,
    flag="--host-concurrency",
    help="Requests in flight at once to one host.",
)
HOST_INTERVAL = Setting(
    name="host_interval",
    default=0.0,
    kind="number",
    low=0.0,
    high=600.0,
    flag="--host-interval",
    help="Minimum seconds between two requests to one host.",
)
RETRIES = Setting(
    name="retries",
    default=2,
    kind="integer",
    low=0,
    high=10,
    flag="--retries",
    help="Extra attempts after a transient failure.",
)
METHOD = Setting(
    name="method",
    default="get",
    kind="choice",
    choices=("get", "head"),
    flag="--method",
    help="How a link is asked for: `get` (one request, reading only the start of a page) or `head` "
    "(HEAD first, GET when the answer must be read or HEAD is refused).",
)
USER_AGENT: Setting[str | None] = Setting(
    name="user_agent",
    default=None,
    kind="string",
    flag="--user-agent",
    shown="citecheck's",
    help="The User-Agent header sent (default: citecheck, its version and a contact URL).",
)
HEADERS: Setting[tuple[tuple[str, str], ...]] = Setting(
    name="headers",
    default=(),
    kind="headers",
    flag="--header",
    help='Extra request headers for link checks, e.g. `{ Accept-Language = "en" }` '
    "(`--header 'Name: value'`, repeatable); they win over citecheck's own.",
)
ALLOW_PRIVATE = Setting(
    name="allow_private",
    default=False,
    kind="bool",
    flag="--allow-private",
    help="Fetch private, loopback and link-local addresses too (never for a public service).",
)
ALLOW_NETWORKS: Setting[tuple[str, ...]] = Setting(
    name="allow_networks",
    default=(),
    kind="networks",
    flag="--allow-network",
    help="CIDR networks that may be fetched although private (e.g. a test server's 127.0.0.0/8).",
)
FAIL_ON = Setting(
    name="fail_on",
    default=("fixable", "invalid", "broken"),
    kind="choices",
    choices=VERDICT_NAMES,
    flag="--fail-on",
    help="Verdicts that make the run exit 1.",
)
FIX_REDIRECTS = Setting(
    name="fix_redirects",
    default=False,
    kind="bool",
    flag="--fix-redirects",
    help="With --fix, also replace links that redirect permanently by where they lead.",
)
STORE: Setting[str | None] = Setting(
    name="store",
    default=None,
    kind="store",
    flag="--store",
    shown="the user's cache directory",
    help=(
        "The result store: an SQLite file (relative to the configuration file) or a `postgresql://` URL "
        '(needs `citecheck[postgres]`); `""` disables it.'
    ),
)
MAX_AGE = Setting(
    name="max_age",
    default=86_400.0,
    kind="number",
    low=0.0,
    high=1e9,
    flag="--max-age",
    help="Reuse stored results younger than this many seconds.",
)
DEAD_AFTER_CHECKS = Setting(
    name="dead_after_checks",
    default=3,
    kind="integer",
    low=1,
    high=100,
    help='A link is "dead, confirmed" after failing this many checks in a row...',
)
DEAD_AFTER_DAYS = Setting(
    name="dead_after_days",
    default=3.0,
    kind="number",
    low=0.0,
    high=3650.0,
    help="...spread over at least this many days.",
)
LOOKUP_SNAPSHOTS = Setting(
    name="lookup_snapshots",
    default=False,
    kind="bool",
    flag="--archive",
    help="Look up the web-archive snapshot to cite for every checked link ([archiving.md](archiving.md)).",
)
ARCHIVE_LINKS = Setting(
    name="archive_links",
    default=False,
    kind="bool",
    flag="--archive-links",
    help="With --fix, add an archive link next to each link that has a snapshot.",
)
DRIFT = Setting(
    name="drift",
    default=False,
    kind="bool",
    flag="--drift",
    help="Compare each link's live main text with its snapshot's (content drift; needs the `drift` extra).",
)
DRIFT_THRESHOLD = Setting(
    name="drift_threshold",
    default=0.8,
    kind="number",
    low=0.0,
    high=1.0,
    help="Share of the snapshot's word 5-grams the live page must still hold to count as the same.",
)
ARCHIVE: Setting[None] = Setting(
    name="archive", default=None, kind="table", help="The web archives: the `archive.*` keys below."
)
SERVE: Setting[None] = Setting(name="serve", default=None, kind="table", help="The service: the `serve.*` keys below.")

# -- [serve] --------------------------------------------------------------------------------------

SERVE_HOST = Setting(
    name="serve.host",
    default="127.0.0.1",
    kind="string",
    flag="--host",
    in_file=False,
    help="Address `citecheck serve` listens on.",
)
SERVE_PORT = Setting(
    name="serve.port",
    default=8080,
    kind="integer",
    low=0,
    high=65535,
    flag="--port",
    in_file=False,
    help="Port `citecheck serve` listens on (0: any free port).",
)
SERVE_MAX_BODY_BYTES = Setting(
    name="serve.max_body_bytes",
    default=1_000_000,
    kind="integer",
    low=1,
    high=1 << 30,
    help="Larger request bodies get 413.",
)
SERVE_MAX_CONCURRENT = Setting(
    name="serve.max_concurrent",
    default=16,
    kind="integer",
    low=1,
    high=4096,
    help="Requests handled at once.",
)
SERVE_MAX_QUEUE = Setting(
    name="serve.max_queue",
    default=64,
    kind="integer",
    low=0,
    high=1 << 20,
    help="Requests waiting beyond that; more get 503 with `Retry-After: 5`.",
)
SERVE_DEFAULT_DEADLINE_MS = Setting(
    name="serve.default_deadline_ms",
    default=4000,
    kind="integer",
    low=0,
    high=600_000,
    help="`/v1/check` deadline in milliseconds when the request names none.",
)
SERVE_MAX_DEADLINE_MS = Setting(
    name="serve.max_deadline_ms",
    default=60_000,
    kind="integer",
    low=0,
    high=600_000,
    help="The longest deadline in milliseconds a request may ask for.",
)
SERVE_MAX_URLS = Setting(
    name="serve.max_urls",
    default=10_000,
    kind="integer",
    low=1,
    high=1_000_000,
    help="Links one request may hold; more get 413 saying so (split the article, or use the CLI).",
)
SERVE_MAX_PARSE_MS = Setting(
    name="serve.max_parse_ms",
    default=10_000,
    kind="integer",
    low=1,
    high=600_000,
    help="Milliseconds reading one request's links may take (off the event loop); longer gets 503.",
)
SERVE_CORS_ORIGINS: Setting[tuple[str, ...]] = Setting(
    name="serve.cors_origins",
    default=(),
    kind="origins",
    help="Origins allowed to call from a browser (no CORS headers otherwise).",
)

# -- [archive] ------------------------------------------------------------------------------------

ARCHIVE_WAYBACK_URL = Setting(
    name="archive.wayback_url",
    default="https://web.archive.org",
    kind="url",
    help="The Internet Archive (CDX, Save Page Now, replay); `CITECHECK_WAYBACK_URL` wins.",
)
ARCHIVE_AVAILABILITY_URL = Setting(
    name="archive.availability_url",
    default="https://archive.org/wayback/available",
    kind="url",
    help="The availability API; `CITECHECK_AVAILABILITY_URL` wins.",
)
ARCHIVE_MEMENTO: Setting[tuple[object, ...]] = Setting(
    name="archive.memento",
    default=(),
    kind="archives",
    help="Other Memento archives: each a table with `name`, `timemap` and optionally `timegate` URL prefixes.",
)
ARCHIVE_PREFER = Setting(
    name="archive.prefer",
    default=("ia",),
    kind="names",
    help="Archive names in order of preference when several have a suitable capture.",
)
ARCHIVE_CDX_PER_MINUTE = Setting(
    name="archive.cdx_per_minute",
    default=24.0,
    kind="number",
    low=0.0,
    above=True,
    help="CDX requests a minute.",
)
ARCHIVE_TIMEMAP_PER_MINUTE = Setting(
    name="archive.timemap_per_minute",
    default=24.0,
    kind="number",
    low=0.0,
    above=True,
    help="TimeMap and TimeGate requests a minute, per archive.",
)
ARCHIVE_AVAILABILITY_PER_SECOND = Setting(
    name="archive.availability_per_second",
    default=1.0,
    kind="number",
    low=0.0,
    above=True,
    help="Availability API requests a second.",
)
ARCHIVE_VERIFY_PER_MINUTE = Setting(
    name="archive.verify_per_minute",
    default=24.0,
    kind="number",
    low=0.0,
    above=True,
    help="Raw-capture fetches a minute, per archive (`--verify`).",
)
ARCHIVE_SAVE_PER_MINUTE: Setting[float | None] = Setting(
    name="archive.save_per_minute",
    default=None,
    kind="number",
    low=0.0,
    above=True,
    shown="5 with keys, 3 without",
    help="Save Page Now submissions a minute.",
)
ARCHIVE_MAX_AGE = Setting(
    name="archive.max_age",
    default=604_800.0,
    kind="number",
    low=0.0,
    help="Seconds a found snapshot is reused from the store (7 days).",
)
ARCHIVE_NEGATIVE_MAX_AGE = Setting(
    name="archive.negative_max_age",
    default=86_400.0,
    kind="number",
    low=0.0,
    help='Seconds a "no capture" answer is reused (1 day).',
)
ARCHIVE_IF_NOT_ARCHIVED_WITHIN = Setting(
    name="archive.if_not_archived_within",
    default="30d",
    kind="duration",
    help="`--save` requests no capture when a good one exists this close to the access date; sent to Save Page Now.",
)
ARCHIVE_NOT_BEFORE: Setting[None] = Setting(
    name="archive.not_before", default=None, kind="date", help="Only captures from this date on are chosen."
)
ARCHIVE_NOT_AFTER: Setting[None] = Setting(
    name="archive.not_after", default=None, kind="date", help="Only captures up to this date are chosen."
)

#: Every setting above by name, in the order they are defined (which the documentation keeps).
SETTINGS: dict[str, Setting[object]] = {
    value.name: value for value in tuple(globals().values()) if isinstance(value, Setting)
}


def table_settings(table: str) -> dict[str, Setting[object]]:
    """The file keys of one table by key: ``""`` for the top level, ``"serve"``, ``"archive"``."""
    prefix = f"{table}." if table else ""
    return {
        setting.name[len(prefix) :]: setting
        for setting in SETTINGS.values()
        if setting.in_file and setting.name.startswith(prefix) and ("." not in setting.name[len(prefix) :])
    }
