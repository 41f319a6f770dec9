"""``auditLog`` is scoped like every read: rows about the reader's area, and its own."""

import json
from typing import Any

import pytest

from core.security import Role
from tests.helpers import HONGTONG_VILLAGE, XIANGFEN_VILLAGE, World, create_household, id_number
from tests.test_care_screening import campaign

pytestmark = pytest.mark.anyio

AUDIT_LOG = """
query($filter: AuditLogFilter) {
  auditLog(first: 100, filter: $filter) {
    totalCount
    nodes { sequence actorName operation outcome targets details }
  }
}"""

PERSON_UPDATE = """
mutation($input: PersonUpdateInput!) {
  personUpdate(input: $input) { person { version } errors { field code } }
}"""

VISIT = """
mutation($input: ScreeningVisitRecordInput!) {
  screeningVisitRecord(input: $input) { errors { code } }
}"""


def household_of(name: str, phone: str, county: str) -> list[dict[str, Any]]:
    return [
        {
            "relation": "HEAD",
            "person": {"name": name, "idNumber": id_number(county=county), "phone": phone},
        }
    ]


async def audit_log(world: World, token: str, **filter: Any) -> dict[str, Any]:
    data = await world.h.ok(AUDIT_LOG, {"filter": filter or None}, token=token)
    return data["auditLog"]  # type: ignore[no-any-return]


async def test_audit_log_is_scoped_to_the_readers_area(world: World) -> None:
    h = world.h
    county_supervisor = await h.actor("xf-supervisor", roles=[Role.SUPERVISOR], region="141023")
    county_admin = await h.actor("xf-admin", roles=[Role.CITY_ADMINISTRATOR], region="141023")
    hongtong_supervisor = await h.actor("ht-supervisor", roles=[Role.SUPERVISOR], region="141024")
    # 洪洞县: one household by its officer, one by the city administrator.
    theirs = await create_household(
        h,
        world.hongtong,
        village=HONGTONG_VILLAGE,
        members=household_of("洪洞人甲", "13912340001", "141024"),
    )
    await create_household(
        h,
        world.admin,
        village=HONGTONG_VILLAGE,
        members=household_of("洪洞人乙", "13912340002", "141024"),
    )
    # 襄汾县: one household by its officer, one by the city administrator.
    ours = await create_household(
        h, world.xiangfen, members=household_of("襄汾人甲", "13712340001", "141023")
    )
    await create_household(
        h, world.admin, members=household_of("襄汾人乙", "13712340002", "141023")
    )
    # A 襄汾县 officer tries a 洪洞县 person: NOT_FOUND, a failed row about 襄汾县's officer.
    probe = await h.ok(
        PERSON_UPDATE,
        {"input": {"id": theirs["household"]["head"]["id"], "expectedVersion": 1, "name": "x"}},
        token=world.xiangfen,
    )
    assert probe["personUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    # Somebody fails to log in: a row of nobody's area.
    await h.gql('mutation { login(username: "ghost", password: "nope-nope-1A") { token } }')

    city = await audit_log(world, world.supervisor)
    assert city["totalCount"] == 6  # the city level sees every row

    for reader in (county_supervisor, county_admin):
        seen = await audit_log(world, reader)
        text = json.dumps(seen, ensure_ascii=False)
        assert seen["totalCount"] == 3, text
        assert [(n["actorName"], n["operation"], n["outcome"]) for n in seen["nodes"]] == [
            ("xiangfen", "mutation:personUpdate", "FAILED"),
            ("admin", "mutation:householdCreate", "OK"),
            ("xiangfen", "mutation:householdCreate", "OK"),
        ]
        assert ours["household"]["id"] in seen["nodes"][2]["targets"]
        for leaked in ("洪洞人", "139****", "141024", "ghost"):
            assert leaked not in text
        # Filters narrow what one may see; they never widen it.
        assert (await audit_log(world, reader, actorName="hongtong"))["totalCount"] == 0
        assert (await audit_log(world, reader, target=theirs["household"]["id"]))["totalCount"] == 0
        assert (await audit_log(world, reader, operation="login"))["totalCount"] == 0

    other = await audit_log(world, hongtong_supervisor)
    text = json.dumps(other, ensure_ascii=False)
    assert [(n["actorName"], n["operation"]) for n in other["nodes"]] == [
        ("admin", "mutation:householdCreate"),
        ("hongtong", "mutation:householdCreate"),
    ]
    assert "襄汾人" not in text and "137****" not in text


async def test_a_reader_sees_its_own_actions_beyond_its_area(world: World) -> None:
    """A row about a city-wide campaign and a 襄汾县 household is about the city: the
    county supervisor who caused it sees it, another county supervisor does not."""
    h = world.h
    supervisor = await h.actor("xf-supervisor", roles=[Role.SUPERVISOR], region="141023")
    colleague = await h.actor("xf-colleague", roles=[Role.SUPERVISOR], region="141023")
    household = await create_household(h, world.xiangfen, village=XIANGFEN_VILLAGE)
    city_campaign = await campaign(world, "141000", token=world.admin)
    refused = await h.gql(
        VISIT,
        {
            "input": {
                "campaignId": city_campaign["screeningCampaign"]["id"],
                "householdId": household["household"]["id"],
                "visitedOn": "2026-01-05",
                "outcome": "VISITED",
            }
        },
        token=supervisor,
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    own = await audit_log(world, supervisor, outcome="DENIED")
    assert [(n["actorName"], n["operation"]) for n in own["nodes"]] == [
        ("xf-supervisor", "mutation:screeningVisitRecord")
    ]
    assert (await audit_log(world, colleague, outcome="DENIED"))["totalCount"] == 0
    assert (await audit_log(world, world.supervisor, outcome="DENIED"))["totalCount"] == 1
