"""``auditLog`` is scoped like every read: rows about the reader's area, and its own."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bangfu.core.security import Role
from bangfu.core.security.audit import global_id
from bangfu.core.security.audit_area import common_area, parse_global_id
from tests.helpers import HONGTONG_VILLAGE, XIANGFEN_VILLAGE, World, create_household, id_number
from tests.test_care_screening import campaign

pytestmark = pytest.mark.anyio

segments = st.lists(st.sampled_from(["141000", "141023", "141024", "141023100"]), min_size=1)
paths = st.builds(lambda parts: "/".join(["141000", *parts]) + "/", segments)


@given(st.text())
def test_any_text_parses_to_a_key_or_to_nothing(value: str) -> None:
    parsed = parse_global_id(value)
    assert parsed is None or (parsed[0] and parsed[1] >= 0)


@given(st.sampled_from(["Person", "Household", "FiveKnown"]), st.integers(0, 10**18 - 1))
def test_global_ids_parse_back(name: str, key: int) -> None:
    assert parse_global_id(global_id(name, key)) == (name, key)


@given(st.lists(paths, min_size=1, max_size=5))
def test_the_common_area_holds_every_path_and_is_the_narrowest(given_paths: list[str]) -> None:
    common = common_area(given_paths)
    assert common is not None and all(p.startswith(common) for p in given_paths)
    parts = common.rstrip("/").split("/")
    longer = [p for p in given_paths if p.count("/") > len(parts)]
    if len(longer) == len(given_paths):  # one more segment would not hold them all
        assert len({p.split("/")[len(parts)] for p in given_paths}) > 1


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
