import pytest

from tests.helpers import World, create_household

pytestmark = pytest.mark.anyio


async def test_create_household_and_read_back(world: World) -> None:
    payload = await create_household(world.h, world.xiangfen)
    assert payload["errors"] == []
    household = payload["household"]
    assert household["head"]["name"] == "王建国"
    assert len(household["members"]) == 3
