"""The rule for effective dates (issue 21): a start may not be later than today.

Every core mutation that takes a start date refuses one after today with ``FUTURE_DATE``
naming the field, writes nothing, and accepts today and past days. Rows written with a
future start before the rule (legacy data) are not in force yet in the reads that decide
"active" and "current", on the compiled path as on the ordinary one.
"""

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.care.models import Pairing
from bangfu.core.registry.models import CategoryAssignment, Household, Membership, Organisation
from bangfu.schema.relay import from_global_id
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, World, create_household, id_number, make_world
from tests.test_care_helpers import PAIRING_START, family, official

pytestmark = pytest.mark.anyio

TOMORROW = today() + dt.timedelta(days=1)
YESTERDAY = today() - dt.timedelta(days=1)

HOUSEHOLD_CREATE = """
mutation($input: HouseholdCreateInput!) {
  householdCreate(input: $input) { household { id } errors { field message code } }
}"""

MEMBER_ADD = """
mutation($input: HouseholdMemberAddInput!) {
  householdMemberAdd(input: $input) { membership { startDate } errors { field message code } }
}"""

HEAD_CHANGE = """
mutation($input: HouseholdHeadChangeInput!) {
  householdHeadChange(input: $input) { household { id } errors { field message code } }
}"""

CATEGORY_ASSIGN = """
mutation($input: CategoryAssignInput!) {
  categoryAssign(input: $input) {
    categoryAssignment { validFrom } errors { field message code }
  }
}"""


def refused(payload: dict[str, Any], field: str) -> None:
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, "FUTURE_DATE")]
    assert TOMORROW.isoformat() in payload["errors"][0]["message"]
    assert "future" in payload["errors"][0]["message"]


async def count(h: Harness, model: Any) -> int:
    async with h.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_pairing_start_refuses_a_future_start(world: World) -> None:
    f = await family(world.h)
    _, first = await official(world.h, "official-a")
    answer = await world.h.ok(
        PAIRING_START,
        {"input": {"personId": f.person_gids[0], "officialId": first, "startDate": str(TOMORROW)}},
        token=world.xiangfen,
    )
    assert answer["pairingStart"]["pairing"] is None
    refused(answer["pairingStart"], "input.startDate")
    assert await count(world.h, Pairing) == 0
    for day in (today(), YESTERDAY):
        g = await family(world.h)
        ok = await world.h.ok(
            PAIRING_START,
            {"input": {"personId": g.person_gids[0], "officialId": first, "startDate": str(day)}},
            token=world.xiangfen,
        )
        assert ok["pairingStart"]["errors"] == []
        assert ok["pairingStart"]["pairing"]["active"] is True
        assert ok["pairingStart"]["pairing"]["startDate"] == day.isoformat()


def members() -> list[dict[str, Any]]:
    return [{"relation": "HEAD", "person": {"name": "王建国", "idNumber": id_number()}}]


async def test_household_create_refuses_a_future_start(world: World) -> None:
    before = await count(world.h, Household)
    answer = await world.h.ok(
        HOUSEHOLD_CREATE,
        {
            "input": {
                "regionCode": XIANGFEN_VILLAGE,
                "members": members(),
                "startDate": str(TOMORROW),
            }
        },
        token=world.xiangfen,
    )
    assert answer["householdCreate"]["household"] is None
    refused(answer["householdCreate"], "input.startDate")
    assert await count(world.h, Household) == before
    for day in (today(), YESTERDAY):
        ok = await world.h.ok(
            HOUSEHOLD_CREATE,
            {
                "input": {
                    "regionCode": XIANGFEN_VILLAGE,
                    "members": members(),
                    "startDate": str(day),
                }
            },
            token=world.xiangfen,
        )
        assert ok["householdCreate"]["errors"] == []


async def test_member_add_and_head_change_refuse_a_future_start(world: World) -> None:
    created = await create_household(world.h, world.xiangfen)
    household = created["household"]
    person = {"name": "王小红", "idNumber": id_number(dt.date(2016, 1, 1), male=False)}
    memberships = await count(world.h, Membership)
    add = {"householdId": household["id"], "relation": "CHILD", "person": person}
    answer = await world.h.ok(
        MEMBER_ADD, {"input": add | {"startDate": str(TOMORROW)}}, token=world.xiangfen
    )
    refused(answer["householdMemberAdd"], "input.startDate")
    assert await count(world.h, Membership) == memberships
    ok = await world.h.ok(
        MEMBER_ADD, {"input": add | {"startDate": str(today())}}, token=world.xiangfen
    )
    assert ok["householdMemberAdd"]["errors"] == []
    spouse = next(m for m in household["members"] if m["relation"] == "SPOUSE")
    change = {
        "householdId": household["id"],
        "newHeadId": spouse["person"]["id"],
        "formerHeadRelation": "SPOUSE",
    }
    memberships = await count(world.h, Membership)
    answer = await world.h.ok(
        HEAD_CHANGE, {"input": change | {"date": str(TOMORROW)}}, token=world.xiangfen
    )
    refused(answer["householdHeadChange"], "input.date")
    assert await count(world.h, Membership) == memberships
    ok = await world.h.ok(
        HEAD_CHANGE, {"input": change | {"date": str(today())}}, token=world.xiangfen
    )
    assert ok["householdHeadChange"]["errors"] == []


async def test_category_assign_refuses_a_future_valid_from(world: World) -> None:
    f = await family(world.h, categories=(None,))
    async with world.h.session() as session:
        certifier = await session.scalar(
            select(Organisation.id).where(Organisation.code == "141023-civil-affairs")
        )
    from bangfu.schema.relay import to_global_id

    assign = {
        "personId": f.person_gids[0],
        "category": "DIBAO",
        "certifyingOrganisationId": to_global_id("Organisation", certifier),
    }
    before = await count(world.h, CategoryAssignment)
    answer = await world.h.ok(
        CATEGORY_ASSIGN, {"input": assign | {"validFrom": str(TOMORROW)}}, token=world.xiangfen
    )
    assert answer["categoryAssign"]["categoryAssignment"] is None
    refused(answer["categoryAssign"], "input.validFrom")
    assert await count(world.h, CategoryAssignment) == before
    ok = await world.h.ok(
        CATEGORY_ASSIGN, {"input": assign | {"validFrom": str(today())}}, token=world.xiangfen
    )
    assert ok["categoryAssign"]["errors"] == []


@pytest.fixture(params=[True, False], ids=["compiled", "ordinary"])
async def either(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str | None
) -> AsyncIterator[World]:
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"compiled": request.param}
    ) as h:
        yield await make_world(h)


async def test_legacy_future_starts_are_not_in_force_yet(either: World) -> None:
    """A pairing and a household written with a future start before the rule: the
    pairing is not active, the person has no current household, the household no
    members nor head, and the person is unpaired."""
    world = either
    f = await family(world.h)
    _, first = await official(world.h, "official-a")
    async with world.h.session() as session, session.begin():
        official_id = int(from_global_id(first)[1])
        session.add(
            Pairing(person_id=f.person_ids[0], official_id=official_id, start_date=TOMORROW)
        )
        for membership in await session.scalars(
            select(Membership).where(Membership.household_id == f.household_id)
        ):
            membership.start_date = TOMORROW
    data = await world.h.ok(
        """query($p: ID!, $h: ID!) {
             person(id: $p) { household { id } relationToHead }
             household(id: $h) { members { relation } head { id } }
             pairings(first: 5, filter: {personId: $p, activeOnly: false}) { nodes { active } }
             active: pairings(first: 5, filter: {personId: $p}) { totalCount }
             unpairedPersons(first: 50) { nodes { id } }
           }""",
        {"p": f.person_gids[0], "h": f.gid},
        token=world.xiangfen,
    )
    assert data["person"] == {"household": None, "relationToHead": None}
    assert data["household"] == {"members": [], "head": None}
    assert data["pairings"]["nodes"] == [{"active": False}]
    assert data["active"]["totalCount"] == 0
    assert f.person_gids[0] in [n["id"] for n in data["unpairedPersons"]["nodes"]]


async def test_the_roster_refuses_a_future_certification_date(world: World) -> None:
    """The roster's 认定日期 starts the category: after today it is a problem of its
    row and column, and nothing is written; today or earlier is imported."""
    from tests.roster_files import HEADERS_ZH, household, workbook
    from tests.test_roster_import import counts, upload

    def rows(day: Any) -> list[list[Any]]:
        found = household(
            XIANGFEN_VILLAGE, (id_number(dt.date(1950, 5, 17)), "王建国"), categories="特困"
        )
        return [[*row, day] for row in found]

    before = await counts(world.h)
    response = await upload(
        world.h, world.xiangfen, workbook(rows(TOMORROW), [*HEADERS_ZH, "认定日期"])
    )
    assert response.status_code == 422, response.text
    report = response.json()
    assert not report["committed"]
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(2, "category_valid_from")]
    reason = report["problems"][0]["reason"]
    assert TOMORROW.isoformat() in reason and "future" in reason
    assert await counts(world.h) == before
    for day in (today(), YESTERDAY.isoformat()):
        response = await upload(
            world.h, world.xiangfen, workbook(rows(day), [*HEADERS_ZH, "认定日期"])
        )
        assert response.json()["committed"], response.text
    async with world.h.session() as session:
        starts = set(await session.scalars(select(CategoryAssignment.valid_from)))
    assert starts == {today(), YESTERDAY}


async def test_a_disability_certified_after_today_is_refused(world: World) -> None:
    """The disability's certification takes effect on its day: not after today, when a
    person is created and when one is updated."""
    disability = {"category": 1, "grade": 2, "certifiedOn": str(TOMORROW)}
    head = {"name": "王建国", "idNumber": id_number(), "disability": disability}
    answer = await world.h.ok(
        HOUSEHOLD_CREATE,
        {
            "input": {
                "regionCode": XIANGFEN_VILLAGE,
                "members": [{"relation": "HEAD", "person": head}],
            }
        },
        token=world.xiangfen,
    )
    refused(answer["householdCreate"], "input.members.0.person.disability.certifiedOn")
    f = await family(world.h)
    update = """mutation($input: PersonUpdateInput!) {
      personUpdate(input: $input) { person { version } errors { field message code } } }"""
    base = {"id": f.person_gids[0], "expectedVersion": 1}
    answer = await world.h.ok(
        update, {"input": base | {"disability": disability}}, token=world.xiangfen
    )
    refused(answer["personUpdate"], "input.disability.certifiedOn")
    ok = await world.h.ok(
        update,
        {"input": base | {"disability": disability | {"certifiedOn": str(today())}}},
        token=world.xiangfen,
    )
    assert ok["personUpdate"]["errors"] == []
