"""Programs some tests drive that pip cannot install (Chromium, Virtuoso).

On a machine without them those tests skip with a one-line reason, so that the README's
``python -m pytest`` passes for a new user; ``.ci/run`` installs them and sets
``KG_TEST_REQUIRE_PROGRAMS=1``, which turns every such skip into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REQUIRED = os.environ.get("KG_TEST_REQUIRE_PROGRAMS", "") not in ("", "0")


def require(path: str | Path | None, what: str, install: str) -> None:
    """Skip (or, under ``KG_TEST_REQUIRE_PROGRAMS``, fail) when ``path`` is not there."""
    if path is not None and Path(path).exists():
        return
    message = f"{what} is not installed ({install}; .ci/run installs it)"
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)
