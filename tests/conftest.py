"""Shared test settings: the Hypothesis profiles.

``ci`` is the default, so every run (CI's or a developer's) draws the same examples and a
failure reproduces anywhere. ``thorough`` explores far more, by hand before a release or after
touching the parsers: ``HYPOTHESIS_PROFILE=thorough pytest tests/test_properties.py``.
``dev`` is ``ci`` with fresh random examples on each run. ``--hypothesis-profile=NAME`` on the
pytest command line overrides the environment variable.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

#: Examples per property in the default run: enough to catch regressions, cheap enough for
#: the whole suite. Tests that ask for more use ``max(theirs, settings().max_examples)``
#: so the thorough profile still raises them.
CI_EXAMPLES = 100
THOROUGH_EXAMPLES = 10_000

# deadline=None: the machine running the suite is shared, and a slow example is not a bug.
settings.register_profile("ci", derandomize=True, max_examples=CI_EXAMPLES, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=CI_EXAMPLES, deadline=None, print_blob=True)
settings.register_profile("thorough", max_examples=THOROUGH_EXAMPLES, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")


# --- PostgreSQL: the store's second backend, tested against a real server (see pgserver.py) ---


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A URL to a database of its own for this test session, on ``$CITECHECK_TEST_POSTGRES`` or
    on a private server started for the session; skips (or fails, if PostgreSQL is required)
    when neither can be had."""
    from pgserver import ENV_REQUIRE, ENV_SERVER, NoServer, private_server, scratch_database

    with contextlib.ExitStack() as stack:
        server = os.environ.get(ENV_SERVER)
        if not server:
            try:
                server = stack.enter_context(private_server())
            except NoServer as error:
                if os.environ.get(ENV_REQUIRE) == "1":
                    pytest.fail(f"PostgreSQL is required ({ENV_REQUIRE}=1) but unavailable: {error}")
                pytest.skip(f"PostgreSQL tests skipped: {error}")
        yield stack.enter_context(scratch_database(server))


@pytest.fixture
def postgres_dsn(postgres_database: str) -> Iterator[str]:
    """A URL for a fresh, empty PostgreSQL store: a new schema per test (``search_path`` in the URL)."""
    from pgserver import with_schema

    with with_schema(postgres_database) as url:
        yield url


#: The store backends every backend-neutral store test runs against.
STORE_BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=STORE_BACKENDS)
def store_backend(request: pytest.FixtureRequest) -> str:
    """Which backend a test's store uses: parametrizes the test over both."""
    backend: str = request.param
    return backend


@pytest.fixture
def store_location(store_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a fresh store of ``store_backend`` lives: an SQLite file path, or a PostgreSQL URL.

    Give it to :func:`citecheck.store.open_store`, ``--store`` or ``Config(store=...)``; the
    PostgreSQL server is only started when a test asks for it.
    """
    if store_backend == "sqlite":
        return str(tmp_path / "store.sqlite3")
    location: str = request.getfixturevalue("postgres_dsn")
    return location
