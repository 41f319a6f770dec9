"""Fixtures: the harness with the befriending plugin alone (found by its entry point)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from befriending_world import World, make_world

from bangfu.testing import Harness


@pytest.fixture
async def harness(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    async with Harness.start(tmp_path, database_url=database_url, plugins=["befriending"]) as h:
        yield h


@pytest.fixture
async def world(harness: Harness) -> World:
    return await make_world(harness)
