"""Screening campaigns (排查, R5, R7): frozen targets, visits, key flags, coverage."""

import datetime as dt
from typing import Any

import pytest

from bangfu.core.calendar import today
from bangfu.core.registry.models import Category
from bangfu.core.security import Role
from bangfu.testing import Harness
from tests.helpers import HONGTONG_VILLAGE, XIANGFEN_VILLAGE, World
from tests.test_care_helpers import family, organisation_gid

pytestmark = pytest.mark.anyio

CREATE = """
mutation($input: ScreeningCampaignCreateInput!) {
  screeningCampaignCreate(input: $input) {
    screeningCampaign { id name region { code } }
    targetCount
    errors { field code }
  }
}"""

VISIT = """
mutation($input: ScreeningVisitRecordInput!) {
  screeningVisitRecord(input: $input) {
    screeningVisit { id outcome visitor { displayName } organisation { code }
                     problems { domain isKey person { id } answered } }
    household { isKeyHousehold members { person { id isKeyPerson } } }
    errors { field code }
  }
}"""

COVERAGE = """
query($id: ID!, $level: RegionLevel!) {
  screeningCampaign(id: $id) {
    coverage(level: $level) {
      region { code } targets visited notFound refused notYetVisited
    }
    totals { targets visited notFound refused notYetVisited }
    householdsNotVisited(first: 10) { totalCount nodes { id } }
  }
}"""

SECOND_VILLAGE = "141023100202"
OTHER_TOWNSHIP = "141023101"
OTHER_VILLAGE = "141023101201"


async def campaign(
    world: World, region: str = "141023", token: str | None = None
) -> dict[str, Any]:
    start = today() - dt.timedelta(days=10)
    data = await world.h.ok(
        CREATE,
        {
            "input": {
                "name": "2026年襄汾县特困群体排查",
                "regionCode": region,
                "startsOn": start.isoformat(),
                "endsOn": (start + dt.timedelta(days=60)).isoformat(),
            }
        },
        token=token or world.xiangfen,
    )
    return data["screeningCampaignCreate"]  # type: ignore[no-any-return]


async def visit(world: World, token: str, campaign_id: str, household: str, **extra: Any) -> dict:
    data = await world.h.ok(
        VISIT,
        {
            "input": {
                "campaignId": campaign_id,
                "householdId": household,
                "visitedOn": today().isoformat(),
                "outcome": "VISITED",
                **extra,
            }
        },
        token=token,
    )
    return data["screeningVisitRecord"]  # type: ignore[no-any-return]


async def regions(h: Harness) -> None:
    await h.region(SECOND_VILLAGE, "西关村", "141023100")
    await h.region(OTHER_TOWNSHIP, "汾城镇", "141023")
    await h.region(OTHER_VILLAGE, "南高村", OTHER_TOWNSHIP)


async def test_targets_are_frozen_at_the_start(world: World) -> None:
    await regions(world.h)
    hardship = await family(world.h)
    mixed = await family(world.h, SECOND_VILLAGE, categories=(None, Category.ORPHAN))
    await family(world.h, categories=(None,))  # no hardship member: no target
    veteran = await family(world.h, since=today() - dt.timedelta(days=400))
    await family(world.h, HONGTONG_VILLAGE)  # another county
    await family(world.h, since=today() - dt.timedelta(days=2))  # certified after the start
    assert veteran
    created = await campaign(world)
    assert created["errors"] == []
    assert created["targetCount"] == 3
    later = await family(world.h, OTHER_VILLAGE, since=today() - dt.timedelta(days=100))
    data = await world.h.ok(
        COVERAGE,
        {"id": created["screeningCampaign"]["id"], "level": "COUNTY"},
        token=world.xiangfen,
    )
    campaign_ = data["screeningCampaign"]
    assert campaign_["totals"]["targets"] == 3  # the household added later is no target
    ids = {n["id"] for n in campaign_["householdsNotVisited"]["nodes"]}
    assert {hardship.gid, mixed.gid} <= ids and later.gid not in ids


async def test_visits_flags_and_coverage_per_level(world: World) -> None:
    await regions(world.h)
    a = await family(world.h, categories=(Category.SPECIAL_HARDSHIP, Category.ORPHAN))
    b = await family(world.h, SECOND_VILLAGE)
    c = await family(world.h, OTHER_VILLAGE)
    d = await family(world.h, OTHER_VILLAGE)
    created = await campaign(world)
    campaign_id = created["screeningCampaign"]["id"]
    township = await world.h.actor(
        "township", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023100"
    )
    # Township staff see the county's campaign and record visits in their township.
    seen = await visit(
        world,
        township,
        campaign_id,
        a.gid,
        problems=[
            {
                "domain": "EDUCATION",
                "description": "孩子辍学在家",
                "severity": "HIGH",
                "isKey": True,
                "personId": a.person_gids[1],
            },
            {"domain": "HOUSING", "description": "屋顶漏雨", "severity": "MEDIUM"},
        ],
    )
    assert seen["errors"] == []
    assert seen["screeningVisit"]["visitor"]["displayName"] == "township"
    assert seen["screeningVisit"]["organisation"]["code"] == "test-township"
    assert seen["household"]["isKeyHousehold"] is True
    flags = {m["person"]["id"]: m["person"]["isKeyPerson"] for m in seen["household"]["members"]}
    assert flags == {a.person_gids[0]: False, a.person_gids[1]: True}
    outside = await visit(world, township, campaign_id, c.gid)
    assert outside["errors"] == [{"field": "input.householdId", "code": "NOT_FOUND"}]
    assert (await visit(world, township, campaign_id, b.gid, outcome="NOT_FOUND"))["errors"] == []
    refused = await visit(world, world.xiangfen, campaign_id, c.gid, outcome="REFUSED")
    assert refused["errors"] == []
    assert d

    expected = {
        "COUNTY": [("141023", 4, 1, 1, 1, 1)],
        "TOWNSHIP": [("141023100", 2, 1, 1, 0, 0), (OTHER_TOWNSHIP, 2, 0, 0, 1, 1)],
        "VILLAGE": [
            (XIANGFEN_VILLAGE, 1, 1, 0, 0, 0),
            (SECOND_VILLAGE, 1, 0, 1, 0, 0),
            (OTHER_VILLAGE, 2, 0, 0, 1, 1),
        ],
        "CITY": [("141000", 4, 1, 1, 1, 1)],
    }
    for level, rows in expected.items():
        data = await world.h.ok(COVERAGE, {"id": campaign_id, "level": level}, token=world.xiangfen)
        got = [
            (
                r["region"]["code"],
                r["targets"],
                r["visited"],
                r["notFound"],
                r["refused"],
                r["notYetVisited"],
            )
            for r in data["screeningCampaign"]["coverage"]
        ]
        assert got == rows, level
    assert data["screeningCampaign"]["householdsNotVisited"]["nodes"] == [{"id": d.gid}]
    # The township officer counts only the township's targets; the other county nothing.
    mine = await world.h.ok(COVERAGE, {"id": campaign_id, "level": "TOWNSHIP"}, token=township)
    assert mine["screeningCampaign"]["totals"] == {
        "targets": 2,
        "visited": 1,
        "notFound": 1,
        "refused": 0,
        "notYetVisited": 0,
    }
    theirs = await world.h.ok(
        COVERAGE, {"id": campaign_id, "level": "COUNTY"}, token=world.hongtong
    )
    assert theirs["screeningCampaign"] is None

    # A later visit that finds no key problem clears the flags.
    cleared = await visit(world, township, campaign_id, a.gid)
    assert cleared["household"]["isKeyHousehold"] is False
    assert {m["person"]["isKeyPerson"] for m in cleared["household"]["members"]} == {False}


async def test_bad_visits_and_campaigns_change_nothing(world: World) -> None:
    a = await family(world.h)
    other = await family(world.h, categories=(None,))
    created = await campaign(world)
    campaign_id = created["screeningCampaign"]["id"]
    problem = {"domain": "LIVING", "description": "缺粮", "severity": "HIGH", "isKey": True}
    cases = [
        ({"householdId": other.gid}, "input.householdId", "NOT_A_TARGET"),
        ({"outcome": "NOT_FOUND", "problems": [problem]}, "input.problems", "INVALID_INPUT"),
        (
            {"visitedOn": (today() + dt.timedelta(days=1)).isoformat()},
            "input.visitedOn",
            "FUTURE_DATE",
        ),
        (
            {"problems": [{**problem, "personId": other.person_gids[0]}]},
            "input.problems.0.personId",
            "NOT_A_MEMBER",
        ),
    ]
    for extra, field, code in cases:
        answer = await visit(world, world.xiangfen, campaign_id, a.gid, **extra)
        assert (field, code) in {(e["field"], e["code"]) for e in answer["errors"]}, extra
    data = await world.h.ok(COVERAGE, {"id": campaign_id, "level": "COUNTY"}, token=world.xiangfen)
    assert data["screeningCampaign"]["totals"]["visited"] == 0
    bad = await world.h.ok(
        CREATE,
        {
            "input": {
                "name": "x",
                "regionCode": "141024",
                "startsOn": "2026-01-01",
                "endsOn": "2025-01-01",
            }
        },
        token=world.xiangfen,
    )
    assert bad["screeningCampaignCreate"]["errors"] == [
        {"field": "input.regionCode", "code": "OUT_OF_AREA"}
    ]
    backwards = await world.h.ok(
        CREATE,
        {
            "input": {
                "name": "x",
                "regionCode": "141023",
                "startsOn": "2026-01-01",
                "endsOn": "2025-01-01",
            }
        },
        token=world.xiangfen,
    )
    assert backwards["screeningCampaignCreate"]["errors"] == [
        {"field": "input.endsOn", "code": "INVALID_DATE_RANGE"}
    ]
    member = await world.h.actor("union", roles=[Role.MASS_ORGANISATION_MEMBER], region="141023")
    listed = await world.h.ok("{ screeningCampaigns(first: 5) { totalCount } }", token=member)
    assert listed["screeningCampaigns"]["totalCount"] == 1
    denied = await world.h.gql(
        VISIT,
        {
            "input": {
                "campaignId": campaign_id,
                "householdId": a.gid,
                "visitedOn": today().isoformat(),
                "outcome": "VISITED",
            }
        },
        token=member,
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    org = await organisation_gid(world.h, "141023-civil-affairs")
    by_org = await visit(world, world.xiangfen, campaign_id, a.gid, organisationId=org)
    assert by_org["screeningVisit"]["organisation"]["code"] == "141023-civil-affairs"
