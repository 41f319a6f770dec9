"""``employmentJobSeekers``: persons seeking work today, in a region's subtree, paged."""

import pytest
from sqlalchemy import update

from bangfu.core.idnumber import make
from bangfu.core.registry.models import Person
from bangfu.core.security import Role
from bangfu.plugins.employment.tests.conftest import (
    HONGDONG,
    XIANGFEN,
    World,
    days_ago,
    gid,
    mutate,
    years_ago,
)
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

SEEKERS = """
query($region: String, $first: Int!, $after: String) {
  employmentJobSeekers(regionCode: $region, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { name employment { currentStatus { status since } } }
  }
}"""

VILLAGE = "141023100201"


async def seekers_world(h: Harness, world: World) -> None:
    """Seeking work: the worker (Xiangfen), a villager below Xiangfen, the outsider
    (Hongdong). Not: the spouse (employed now), the youth (student), a deceased seeker."""
    await h.region("141023100", "新城镇", XIANGFEN)
    await h.region(VILLAGE, "东街村", "141023100")
    _, (villager, late) = await h.household(
        VILLAGE,
        [
            ("HEAD", "赵红梅", make(XIANGFEN, years_ago(29, 9), 62)),
            ("SPOUSE", "刘德福", make(XIANGFEN, years_ago(31, 2), 71)),
        ],
    )
    token = world.employment_city
    for person, since in (
        (world.worker, days_ago(120)),
        (villager, days_ago(20)),
        (world.outsider, days_ago(45)),
        (world.spouse, days_ago(300)),
        (late, days_ago(60)),
    ):
        payload = await mutate(
            h,
            "employmentStatusRecord",
            {"personId": gid(person), "status": "SEEKING_WORK", "since": since.isoformat()},
            token,
        )
        assert payload["errors"] == []
    payload = await mutate(
        h,
        "employmentStatusRecord",
        {"personId": gid(world.spouse), "status": "EMPLOYED", "employer": "物流公司"},
        token,
    )
    assert payload["errors"] == []
    async with h.session() as session, session.begin():
        await session.execute(update(Person).where(Person.id == late.id).values(deceased=True))


async def names(h: Harness, token: str, region: str | None) -> list[str]:
    data = await h.ok(SEEKERS, {"region": region, "first": 50}, token=token)
    seekers = data["employmentJobSeekers"]
    assert seekers["totalCount"] == len(seekers["nodes"])
    assert {n["employment"]["currentStatus"]["status"] for n in seekers["nodes"]} <= {
        "SEEKING_WORK"
    }
    return [n["name"] for n in seekers["nodes"]]


async def test_job_seekers_of_a_region_and_below(harness: Harness, world: World) -> None:
    h = harness
    await seekers_world(h, world)
    city = world.employment_city
    assert await names(h, city, XIANGFEN) == ["孙建军", "赵红梅"]
    assert await names(h, city, VILLAGE) == ["赵红梅"]
    assert await names(h, city, HONGDONG) == ["王志强"]
    assert await names(h, city, "141000") == ["孙建军", "王志强", "赵红梅"]
    assert await names(h, city, None) == ["孙建军", "王志强", "赵红梅"]


async def test_area_scoping_applies_without_asking(harness: Harness, world: World) -> None:
    h = harness
    await seekers_world(h, world)
    # Xiangfen's officers see Xiangfen's job seekers only, even asking for the whole city.
    for token in (world.employment_xiangfen, world.civil_affairs):
        assert await names(h, token, "141000") == ["孙建军", "赵红梅"]
        assert await names(h, token, HONGDONG) == []
    # Any reader in the area may ask (employment:read).
    teacher = await h.actor("teacher", roles=[Role.DEPARTMENT_OFFICER], department="education")
    assert await names(h, teacher, XIANGFEN) == ["孙建军", "赵红梅"]


async def test_job_seekers_are_paged_by_cursor(harness: Harness, world: World) -> None:
    h = harness
    await seekers_world(h, world)
    seen, after = [], None
    while True:
        data = await h.ok(
            SEEKERS, {"region": "141000", "first": 1, "after": after}, token=world.admin
        )
        page = data["employmentJobSeekers"]
        assert page["totalCount"] == 3
        seen += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["孙建军", "王志强", "赵红梅"]


async def test_statements_do_not_grow_with_the_page(harness: Harness, world: World) -> None:
    h = harness
    await seekers_world(h, world)
    # The first request counts the persons of each region, which prices the scans.
    await h.ok(SEEKERS, {"region": "141000", "first": 1}, token=world.admin)
    counts = []
    for first in (1, 3):
        with h.count_statements() as counter:
            data = await h.ok(SEEKERS, {"region": "141000", "first": first}, token=world.admin)
        assert len(data["employmentJobSeekers"]["nodes"]) == first
        counts.append(counter.count)
    assert counts[0] == counts[1]


async def test_bad_arguments_are_refused_clearly(harness: Harness, world: World) -> None:
    h = harness
    answer = await h.gql(SEEKERS, {"region": "999999", "first": 5}, token=world.admin)
    assert answer.get("data") is None
    assert answer["errors"][0]["message"] == "regionCode: unknown region code '999999'"
    answer = await h.gql(SEEKERS, {"region": None, "first": 500}, token=world.admin)
    assert answer["errors"][0]["message"].startswith("first: must be between 1 and")
