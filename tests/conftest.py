"""Fixtures of core's tests (the generic ones come from ``bangfu.pytest_plugin``)."""

import pytest

from bangfu.testing import Harness
from tests.helpers import World, make_world


@pytest.fixture
async def world(harness: Harness) -> World:
    return await make_world(harness)
