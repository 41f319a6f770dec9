"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when
``BANGFU_TEST_DATABASE_URL`` is set (otherwise those runs are skipped, visibly)."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bangfu.testing import Harness
from tests.helpers import World, make_world

PG_URL = os.environ.get("BANGFU_TEST_DATABASE_URL")
PG_SKIP_REASON = "BANGFU_TEST_DATABASE_URL is not set: PostgreSQL runs skipped"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(PG_SKIP_REASON)
        return PG_URL
    return None


@pytest.fixture
async def harness(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    async with Harness.start(tmp_path, database_url=database_url) as h:
        yield h



@pytest.fixture
async def world(harness: Harness) -> World:
    return await make_world(harness)
