"""Command-line options that several subcommands share, and turning them into a :class:`Config`.

``check`` and ``audit`` take the same network flags; the numbers arrive as text and are checked
against the defaults table in :func:`check_config`, so a flag and the configuration file refuse
the same value with the same message.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..core import defaults as d
from ..core.defaults import Setting
from ..core.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from ..core.config import Config

__all__ = [
    "about",
    "add_config_options",
    "add_network_options",
    "add_store_options",
    "check_config",
    "number",
    "progress",
]

T = TypeVar("T")


def add_config_options(parser: argparse.ArgumentParser, about: str = "use this configuration file") -> None:
    """``--config`` and ``--isolated``: every command that reads the configuration file has both."""
    parser.add_argument("--config", metavar="PATH", help=about)
    parser.add_argument("--isolated", action="store_true", help="ignore configuration files")


def add_store_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--store`` and ``--no-store``, alike for the commands that read and write the result store."""
    parser.add_argument(
        "--store",
        metavar="PATH|URL",
        help="result store: an SQLite file or a postgresql:// URL (default: the user's cache directory)",
    )
    parser.add_argument("--no-store", action="store_true", help="do not read or write the result store")


def add_network_options(network: argparse._ArgumentGroup) -> None:
    """The network flags of ``check`` and ``audit``: limits, politeness, the store, ``--fail-on``."""
    network.add_argument("--timeout", metavar="SECONDS", help=about(d.TIMEOUT, "time for one attempt at one URL"))
    network.add_argument("--concurrency", metavar="N", help=about(d.CONCURRENCY, "requests in flight in all"))
    network.add_argument(
        "--host-concurrency", metavar="N", help=about(d.HOST_CONCURRENCY, "requests in flight to one host")
    )
    network.add_argument("--host-interval", metavar="SECONDS", help=about(d.HOST_INTERVAL, "spacing per host"))
    network.add_argument("--retries", metavar="N", help=about(d.RETRIES, "extra attempts on transient failures"))
    network.add_argument(
        "--method",
        choices=d.METHOD.choices,
        help=f"get: one request per link; head: HEAD first (default {d.METHOD.default})",
    )
    network.add_argument("--user-agent", metavar="TEXT", help="the User-Agent header to send")
    network.add_argument(
        "--header", action="append", metavar="'NAME: VALUE'", help="add a request header to link checks (repeatable)"
    )
    network.add_argument(
        "--allow-private", action="store_true", default=None, help="also fetch private and local addresses"
    )
    network.add_argument(
        "--allow-network", action="append", metavar="CIDR", help="fetch this private network (repeatable)"
    )
    network.add_argument("--fail-on", metavar="VERDICTS", help="comma-separated verdicts that exit 1")
    add_store_options(network)
    network.add_argument("--max-age", metavar="SECONDS", help=about(d.MAX_AGE, "reuse stored results this young"))
    network.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def about(setting: Setting[object], text: str) -> str:
    """A numeric flag's help: what it does, then the table's default and range."""
    return f"{text}; default {setting.default_text()}, {setting.allowed()}"


def number(setting: Setting[T], text: str | None) -> T | None:
    """A numeric flag's value, checked against the defaults table; None when not given."""
    if text is None:
        return None
    try:
        return setting.from_text(text)
    except ConfigError:
        raise UsageError(f"{setting.flag}: must be {setting.allowed()}, not {text!r}") from None


def check_config(args: argparse.Namespace) -> Config:
    from ..core.config import load_config

    if args.config and args.isolated:
        raise UsageError("--config and --isolated contradict each other")
    config = load_config(Path(args.config) if args.config else None, isolated=args.isolated)
    config = config.merged(
        format=args.format,
        exit_zero=args.exit_zero,
        fallback_encoding=args.fallback_encoding,
        builtin_rules=False if args.no_builtin_rules else None,
    )
    if args.fallback_encoding:
        import codecs

        try:
            codecs.lookup(args.fallback_encoding)
        except LookupError as exc:
            raise ConfigError(f"unknown encoding {args.fallback_encoding!r}") from exc
    # The same checks as the file's, so the same messages, named by the flag.
    fail_on = None
    if args.fail_on is not None:
        try:
            fail_on = d.check_verdicts(v.strip() for v in args.fail_on.split(",") if v.strip())
        except ConfigError as exc:
            raise UsageError(f"--fail-on: {exc}") from None
    headers = []
    for header in args.header or ():
        name, colon, value = header.partition(":")
        try:
            if not colon:
                raise ConfigError(f"{header!r} is not 'Name: value'")
            headers.append(d.check_header(name.strip(), value))
        except ConfigError as exc:
            raise UsageError(f"--header: {exc}") from None
    for network in args.allow_network or ():
        try:
            d.check_network(network)
        except ConfigError as exc:
            raise UsageError(f"--allow-network: {exc}") from None
    config = config.merged(
        offline=args.offline,
        timeout=number(d.TIMEOUT, args.timeout),
        concurrency=number(d.CONCURRENCY, args.concurrency),
        host_concurrency=number(d.HOST_CONCURRENCY, args.host_concurrency),
        host_interval=number(d.HOST_INTERVAL, args.host_interval),
        retries=number(d.RETRIES, args.retries),
        method=args.method,
        user_agent=args.user_agent,
        allow_private=args.allow_private,
        fail_on=fail_on,
        fix_redirects=args.fix_redirects,
        store="" if args.no_store else args.store,
        max_age=number(d.MAX_AGE, args.max_age),
        lookup_snapshots=args.archive,
        archive_links=args.archive_links,
        drift=args.drift,
    )
    return config.merged(
        allow_networks=config.allow_networks + tuple(args.allow_network) if args.allow_network else None,
        headers=config.headers + tuple(headers) if headers else None,
        rules=config.rules + tuple(args.rules) if args.rules else None,
        clearurls=config.clearurls + tuple(args.clearurls) if args.clearurls else None,
        extend_exclude=config.extend_exclude + tuple(args.exclude) if args.exclude else None,
        ignore_urls=config.ignore_urls + tuple(args.ignore_url) if args.ignore_url else None,
    )


def progress(args: argparse.Namespace) -> Callable[[int, int], None] | None:
    """A one-line counter on stderr while links are checked, only for a person at a terminal."""
    if args.quiet or sys.stderr is None or not sys.stderr.isatty():
        return None
    last = [0.0]

    def show(done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if done == total or now - last[0] > 0.1:
            last[0] = now
            sys.stderr.write(f"\rchecking links: {done}/{total}")
            sys.stderr.flush()

    return show
