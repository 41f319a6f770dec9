"""Pytest fixtures for Bangfu's tests and plugin authors' tests.

Enable with ``pytest_plugins = ["bangfu.pytest_plugin"]`` in a ``conftest.py``. Every test
that uses ``harness`` runs on SQLite, and again on PostgreSQL when the environment
variable ``BANGFU_TEST_DATABASE_URL`` holds a ``postgresql+asyncpg://`` URL (otherwise
that run is skipped with a visible reason). Mark async tests ``pytest.mark.anyio``.
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bangfu.core import i18n
from bangfu.testing import Harness

# Tests read English messages unless they choose Chinese (the service's default): the
# harness's requests (Harness.start), what services write outside a request, and the
# commands (BANGFU_LANGUAGE, which `bangfu.cli` reads; a test may set it to zh).
i18n.set_default("en")
os.environ.setdefault("BANGFU_LANGUAGE", "en")

PG_SKIP_REASON = "BANGFU_TEST_DATABASE_URL is not set: PostgreSQL runs skipped"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None for a fresh SQLite file; the PostgreSQL URL for the second run."""
    if request.param == "postgresql":
        url = os.environ.get("BANGFU_TEST_DATABASE_URL")
        if not url:
            pytest.skip(PG_SKIP_REASON)
        return url
    return None


@pytest.fixture
async def harness(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    """The app with every enabled plugin (``BANGFU_PLUGINS``; every installed one when
    unset) on a fresh database."""
    async with Harness.start(tmp_path, database_url=database_url) as h:
        yield h
