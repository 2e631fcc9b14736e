"""A real PostgreSQL server for the tests: the one ``CITECHECK_TEST_POSTGRES`` names, or our own.

The store's PostgreSQL backend is tested against a server, never a mock. ``.ci/run`` starts one
and exports ``CITECHECK_TEST_POSTGRES`` (a URL to a server where the tests may create
databases); without it, :func:`private_server` starts a throwaway server from the PostgreSQL
binaries on this machine (``initdb`` and ``pg_ctl`` in a temporary directory, on a free
loopback port, as the ``postgres`` user when we are root) and stops it afterwards. With no
binaries the PostgreSQL tests are skipped, unless ``CITECHECK_REQUIRE_POSTGRES=1`` makes that a
failure (CI must not pass by skipping them).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

__all__ = ["ENV_REQUIRE", "ENV_SERVER", "NoServer", "find_bindir", "private_server", "scratch_database", "with_schema"]

#: A PostgreSQL URL to a server (and a role) that may create databases; set by ``.ci/run``.
ENV_SERVER = "CITECHECK_TEST_POSTGRES"
#: ``1``: missing PostgreSQL binaries fail the tests instead of skipping them.
ENV_REQUIRE = "CITECHECK_REQUIRE_POSTGRES"

_SERVICE_USER = "postgres"


class NoServer(Exception):
    """No server was given and none can be started here: the PostgreSQL tests cannot run."""


def find_bindir() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``: on PATH, from ``pg_config``, or Debian's usual place."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if found and (Path(found) / "initdb").exists():
            return Path(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_server_user(command: list[str]) -> list[str]:
    """``command`` run as ``postgres`` when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", _SERVICE_USER, "--", *command]
    return ["su", _SERVICE_USER, "-s", "/bin/sh", "-c", " ".join(map(quote_shell, command))]


def quote_shell(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


@contextlib.contextmanager
def private_server() -> Iterator[str]:
    """Start a throwaway server; yield a superuser URL to it; stop it and remove its files."""
    bindir = find_bindir()
    if bindir is None:
        raise NoServer("no PostgreSQL server binaries (initdb, pg_ctl) found; install PostgreSQL or set " + ENV_SERVER)
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(_SERVICE_USER)
        except KeyError as error:
            raise NoServer(f"running as root, and there is no {_SERVICE_USER!r} user to run PostgreSQL") from error
    home = Path(tempfile.mkdtemp(prefix="citecheck-pg-"))
    data, port = home / "data", _free_port()
    try:
        if os.geteuid() == 0:
            os.chown(home, owner.pw_uid, owner.pw_gid)
        run = {"check": True, "capture_output": True, "text": True}
        subprocess.run(
            _as_server_user([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]),
            **run,  # type: ignore[call-overload]
        )
        settings = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        subprocess.run(
            _as_server_user(
                [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-o", settings, "-w", "start"]
            ),
            **run,  # type: ignore[call-overload]
        )
    except subprocess.CalledProcessError as error:
        log = (home / "log").read_text(errors="replace") if (home / "log").exists() else ""
        shutil.rmtree(home, ignore_errors=True)
        raise NoServer(f"could not start PostgreSQL: {error.stderr or error.stdout}\n{log}") from error
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(home, ignore_errors=True)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


@contextlib.contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A new database on ``server`` for this test session (URL yielded), dropped afterwards."""
    name = f"citecheck_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield _with_database(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@contextlib.contextmanager
def with_schema(database: str) -> Iterator[str]:
    """A new, empty schema in ``database``; yields a URL whose connections use it (``search_path``)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{name}"'.encode())
    separator = "&" if urlsplit(database).query else "?"
    try:
        yield f"{database}{separator}options={quote(f'-c search_path={name}')}"
    finally:
        with psycopg.connect(database, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'.encode())
