"""Shared test settings: the Hypothesis profiles.

``ci`` is the default, so every run (CI's or a developer's) draws the same examples and a
failure reproduces anywhere. ``thorough`` explores far more, by hand before a release or after
touching the parsers: ``HYPOTHESIS_PROFILE=thorough pytest tests/test_properties.py``.
``dev`` is ``ci`` with fresh random examples on each run. ``--hypothesis-profile=NAME`` on the
pytest command line overrides the environment variable.
"""

from __future__ import annotations

import os

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
