"""The registry through GraphQL: households, members, persons, categories, bad input."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.core.registry.models import CategoryAssignment, Household, Membership, Person
from bangfu.schema.relay import from_global_id
from tests.helpers import (
    CREATE_HOUSEHOLD,
    HONGTONG_VILLAGE,
    XIANGFEN_VILLAGE,
    World,
    create_household,
    id_number,
)

pytestmark = pytest.mark.anyio


async def counts(world: World) -> dict[str, int]:
    async with world.h.session() as session:
        return {
            model.__name__: await session.scalar(select(func.count()).select_from(model))
            for model in (Person, Household, Membership, CategoryAssignment)
        }


async def refused(
    world: World,
    members: list[dict[str, Any]],
    village: str = XIANGFEN_VILLAGE,
    token: str | None = None,
) -> list[dict[str, Any]]:
    """Send a householdCreate that must fail; assert it changed nothing; return its errors."""
    before = await counts(world)
    data = await world.h.ok(
        CREATE_HOUSEHOLD,
        {"input": {"regionCode": village, "members": members}},
        token=token or world.xiangfen,
    )
    assert data["householdCreate"]["household"] is None
    assert await counts(world) == before
    return data["householdCreate"]["errors"]  # type: ignore[no-any-return]


def head(number: str | None = None, name: str = "张三") -> dict[str, Any]:
    return {"relation": "HEAD", "person": {"name": name, "idNumber": number or id_number()}}


async def test_household_create_derives_birth_date_and_sex(world: World) -> None:
    number = id_number(dt.date(1975, 2, 3), male=False)
    payload = await create_household(world.h, world.xiangfen, members=[head(number, name="刘翠花")])
    assert payload["errors"] == []
    person = payload["household"]["head"]
    assert person["birthDate"] == "1975-02-03"
    assert person["sex"] == "FEMALE"
    assert person["idNumber"] == number[:6] + "********" + number[-4:]
    async with world.h.session() as session:
        stored = await session.scalar(select(Person))
        assert stored is not None and stored.area_path == "141000/141023/141023100/141023100201/"
        # The ID number is not stored in plain text anywhere in the row.
        assert number.encode() not in stored.id_number_cipher
        assert number not in stored.id_number_digest


async def test_lowercase_x_and_full_width_digits_are_normalised(world: World) -> None:
    number = next(n for n in (id_number() for _ in range(50)) if n.endswith("X"))
    full_width = number[:-1].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + "x"
    payload = await create_household(world.h, world.xiangfen, members=[head(full_width)])
    assert payload["errors"] == []
    duplicate = await refused(world, [head(number)])
    assert duplicate[0]["code"] == "DUPLICATE_ID_NUMBER"


async def test_legacy_fifteen_digit_number_is_upgraded(world: World) -> None:
    eighteen = id_number(dt.date(1962, 8, 9))
    fifteen = eighteen[:6] + eighteen[8:17]
    payload = await create_household(world.h, world.xiangfen, members=[head(fifteen)])
    assert payload["errors"] == []
    assert payload["household"]["head"]["idNumber"] == eighteen[:6] + "********" + eighteen[-4:]


@pytest.mark.parametrize(
    "members, field, code",
    [
        ([head("141023198005170000")], "input.members.0.person.idNumber", "INVALID_ID_NUMBER"),
        ([head("14102319800230001X")], "input.members.0.person.idNumber", "INVALID_ID_NUMBER"),
        (
            [{"relation": "SPOUSE", "person": {"name": "无户主", "idNumber": "PLACEHOLDER"}}],
            "input.members",
            "HOUSEHOLD_WITHOUT_HEAD",
        ),
        ([head(), head()], "input.members", "MULTIPLE_HEADS"),
        (
            [{"relation": "HEAD", "person": {"name": " ", "idNumber": "PLACEHOLDER"}}],
            "input.members.0.person.name",
            "REQUIRED",
        ),
    ],
)
async def test_bad_households_are_refused_with_field_and_code(
    world: World, members: list[dict[str, Any]], field: str, code: str
) -> None:
    for member in members:
        if member["person"]["idNumber"] == "PLACEHOLDER":
            member["person"]["idNumber"] = id_number()
    errors = await refused(world, members)
    assert {(e["field"], e["code"]) for e in errors} >= {(field, code)}
    assert all(e["message"] for e in errors)


async def test_duplicate_id_numbers_in_input_and_against_database(world: World) -> None:
    number = id_number()
    errors = await refused(
        world, [head(number), {"relation": "CHILD", "person": {"name": "重复", "idNumber": number}}]
    )
    assert errors[0]["code"] == "ALREADY_A_MEMBER" and errors[0]["field"] == "input.members.1"
    await create_household(world.h, world.xiangfen, members=[head(number)])
    errors = await refused(world, [head(number)])
    assert errors == [
        {
            "field": "input.members.0.person.idNumber",
            "message": "this ID number is already registered",
            "code": "DUPLICATE_ID_NUMBER",
        }
    ]


async def test_duplicate_is_found_even_when_registered_in_another_county(world: World) -> None:
    number = id_number(county="141024")
    await create_household(
        world.h, world.hongtong, village=HONGTONG_VILLAGE, members=[head(number)]
    )
    errors = await refused(world, [head(number)])
    assert errors[0]["code"] == "DUPLICATE_ID_NUMBER"


async def test_unknown_and_out_of_area_region(world: World) -> None:
    errors = await refused(world, [head()], village="999999999999")
    assert errors[0] == {
        "field": "input.regionCode",
        "message": "unknown region code '999999999999'",
        "code": "UNKNOWN_REGION",
    }
    errors = await refused(world, [head()], village=HONGTONG_VILLAGE)
    assert errors[0]["code"] == "OUT_OF_AREA"


MEMBER_ADD = """
mutation($input: HouseholdMemberAddInput!) {
  householdMemberAdd(input: $input) {
    membership { relation person { name } }
    household { members { relation person { id name } } }
    errors { field code message }
  }
}"""
MEMBER_REMOVE = """
mutation($input: HouseholdMemberRemoveInput!) {
  householdMemberRemove(input: $input) {
    membership { endDate endReason }
    household { members { person { name } } all: members(includeEnded: true) { endDate person { name } } }
    errors { field code }
  }
}"""
HEAD_CHANGE = """
mutation($input: HouseholdHeadChangeInput!) {
  householdHeadChange(input: $input) {
    household { head { name } members(includeEnded: true) { relation endDate person { name } } }
    errors { field code }
  }
}"""


async def test_members_added_removed_and_head_changed_with_history(world: World) -> None:
    h = world.h
    payload = await create_household(h, world.xiangfen)
    household = payload["household"]
    by_name = {m["person"]["name"]: m["person"]["id"] for m in household["members"]}

    added = await h.ok(
        MEMBER_ADD,
        {
            "input": {
                "householdId": household["id"],
                "relation": "PARENT",
                "person": {"name": "王老汉", "idNumber": id_number(dt.date(1950, 1, 1))},
            }
        },
        token=world.xiangfen,
    )
    assert added["householdMemberAdd"]["errors"] == []
    assert len(added["householdMemberAdd"]["household"]["members"]) == 4

    twice = await h.ok(
        MEMBER_ADD,
        {
            "input": {
                "householdId": household["id"],
                "relation": "CHILD",
                "personId": by_name["王小明"],
            }
        },
        token=world.xiangfen,
    )
    assert twice["householdMemberAdd"]["errors"][0]["code"] == "ALREADY_A_MEMBER"

    as_head = await h.ok(
        MEMBER_ADD,
        {
            "input": {
                "householdId": household["id"],
                "relation": "HEAD",
                "person": {"name": "二当家", "idNumber": id_number()},
            }
        },
        token=world.xiangfen,
    )
    assert as_head["householdMemberAdd"]["errors"][0] == {
        "field": "input.relation",
        "code": "MULTIPLE_HEADS",
        "message": "a household has one head: use householdHeadChange",
    }

    head_removal = await h.ok(
        MEMBER_REMOVE,
        {"input": {"householdId": household["id"], "personId": by_name["王建国"]}},
        token=world.xiangfen,
    )
    assert head_removal["householdMemberRemove"]["errors"][0]["code"] == "HEAD_CANNOT_BE_REMOVED"

    removed = await h.ok(
        MEMBER_REMOVE,
        {
            "input": {
                "householdId": household["id"],
                "personId": by_name["李秀英"],
                "reason": "moved away",
            }
        },
        token=world.xiangfen,
    )
    result = removed["householdMemberRemove"]
    assert result["errors"] == []
    assert result["membership"]["endReason"] == "moved away"
    assert "李秀英" not in [m["person"]["name"] for m in result["household"]["members"]]
    assert "李秀英" in [m["person"]["name"] for m in result["household"]["all"] if m["endDate"]]

    changed = await h.ok(
        HEAD_CHANGE,
        {
            "input": {
                "householdId": household["id"],
                "newHeadId": by_name["王小明"],
                "formerHeadRelation": "PARENT",
            }
        },
        token=world.xiangfen,
    )
    result = changed["householdHeadChange"]
    assert result["errors"] == []
    assert result["household"]["head"]["name"] == "王小明"
    current = {
        m["person"]["name"]: m["relation"]
        for m in result["household"]["members"]
        if m["endDate"] is None
    }
    assert current == {"王小明": "HEAD", "王建国": "PARENT", "王老汉": "PARENT"}
    async with h.session() as session:
        heads = await session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.relation == "HEAD", Membership.end_date.is_(None))
        )
        assert heads == 1

    not_member = await h.ok(
        HEAD_CHANGE,
        {
            "input": {
                "householdId": household["id"],
                "newHeadId": by_name["李秀英"],
                "formerHeadRelation": "CHILD",
            }
        },
        token=world.xiangfen,
    )
    assert not_member["householdHeadChange"]["errors"][0]["code"] == "NOT_A_MEMBER"


PERSON_UPDATE = """
mutation($input: PersonUpdateInput!) {
  personUpdate(input: $input) { person { name phone version disability { category grade } } errors { field code message } }
}"""


async def test_person_update_with_expected_version(world: World) -> None:
    h = world.h
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    version = person["version"]
    first = await h.ok(
        PERSON_UPDATE,
        {"input": {"id": person["id"], "expectedVersion": version, "phone": "13800000000"}},
        token=world.xiangfen,
    )
    assert first["personUpdate"]["errors"] == []
    assert first["personUpdate"]["person"]["version"] == version + 1
    stale = await h.ok(
        PERSON_UPDATE,
        {"input": {"id": person["id"], "expectedVersion": version, "name": "改名"}},
        token=world.xiangfen,
    )
    assert stale["personUpdate"]["person"] is None
    assert stale["personUpdate"]["errors"] == [
        {
            "field": "input.expectedVersion",
            "code": "VERSION_CONFLICT",
            "message": f"the person was changed meanwhile: current version is {version + 1}",
        }
    ]
    async with h.session() as session:
        stored = await session.scalar(select(Person).where(Person.name == "王建国"))
        assert (
            stored is not None and stored.phone == "13800000000" and stored.version == version + 1
        )

    bad = await h.ok(
        PERSON_UPDATE,
        {
            "input": {
                "id": person["id"],
                "expectedVersion": version + 1,
                "name": "新名",
                "disability": {"category": 9, "grade": 2},
            }
        },
        token=world.xiangfen,
    )
    assert bad["personUpdate"]["errors"] == [
        {
            "field": "input.disability.category",
            "code": "INVALID_INPUT",
            "message": "GB/T 26341 categories are 1 to 7",
        }
    ]
    async with h.session() as session:
        stored = await session.scalar(
            select(Person).where(Person.id == int(from_global_id(person["id"])[1]))
        )
        assert stored is not None and stored.name == "王建国"


async def test_person_update_out_of_area_is_not_found(world: World) -> None:
    person = (await create_household(world.h, world.xiangfen))["household"]["head"]
    answer = await world.h.ok(
        PERSON_UPDATE,
        {"input": {"id": person["id"], "expectedVersion": 1, "name": "越权"}},
        token=world.hongtong,
    )
    assert answer["personUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    missing = await world.h.ok(
        PERSON_UPDATE,
        {"input": {"id": "UGVyc29uOjk5OTk5", "expectedVersion": 1, "name": "越权"}},
        token=world.hongtong,
    )
    assert missing["personUpdate"]["errors"] == answer["personUpdate"]["errors"]


CATEGORY_ASSIGN = """
mutation($input: CategoryAssignInput!) {
  categoryAssign(input: $input) { categoryAssignment { id category active monthlyAllowance certifyingOrganisation { name } } errors { field code message } }
}"""
CATEGORY_END = """
mutation($input: CategoryEndInput!) {
  categoryEnd(input: $input) { categoryAssignment { validTo active endReason } errors { field code message } }
}"""


async def organisation_id(world: World, code: str) -> str:
    from bangfu.schema.relay import to_global_id

    return to_global_id("Organisation", (await world.h.organisation(code)).id)


async def test_category_assign_and_end(world: World) -> None:
    h = world.h
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    org = await organisation_id(world, "141023-civil-affairs")
    assign = {
        "personId": person["id"],
        "category": "DIBAO",
        "validFrom": "2024-01-01",
        "certifyingOrganisationId": org,
        "monthlyAllowance": "650.00",
    }
    done = await h.ok(CATEGORY_ASSIGN, {"input": assign}, token=world.xiangfen)
    assignment = done["categoryAssign"]["categoryAssignment"]
    assert done["categoryAssign"]["errors"] == []
    assert assignment["active"] is True and assignment["monthlyAllowance"] == "650.00"
    assert assignment["certifyingOrganisation"]["name"] == "襄汾县民政局"

    overlap = await h.ok(
        CATEGORY_ASSIGN, {"input": {**assign, "validFrom": "2025-06-01"}}, token=world.xiangfen
    )
    assert overlap["categoryAssign"]["errors"][0]["code"] == "OVERLAP"

    for bad, field in (("-1", "input.monthlyAllowance"), ("1.005", "input.monthlyAllowance")):
        answer = await h.ok(
            CATEGORY_ASSIGN,
            {"input": {**assign, "category": "SPECIAL_HARDSHIP", "monthlyAllowance": bad}},
            token=world.xiangfen,
        )
        assert answer["categoryAssign"]["errors"][0]["field"] == field

    backwards = await h.ok(
        CATEGORY_ASSIGN,
        {"input": {**assign, "category": "ORPHAN", "validTo": "2023-01-01"}},
        token=world.xiangfen,
    )
    assert backwards["categoryAssign"]["errors"][0]["code"] == "INVALID_DATE_RANGE"

    before_start = await h.ok(
        CATEGORY_END,
        {"input": {"id": assignment["id"], "validTo": "2023-12-31"}},
        token=world.xiangfen,
    )
    assert before_start["categoryEnd"]["errors"] == [
        {
            "field": "input.validTo",
            "code": "INVALID_DATE_RANGE",
            "message": "the category would end before it began (2024-01-01)",
        }
    ]
    ended = await h.ok(
        CATEGORY_END,
        {
            "input": {
                "id": assignment["id"],
                "validTo": "2025-01-31",
                "reason": "income above the line",
            }
        },
        token=world.xiangfen,
    )
    assert ended["categoryEnd"]["categoryAssignment"] == {
        "validTo": "2025-01-31",
        "active": False,
        "endReason": "income above the line",
    }
    async with h.session() as session:
        stored = await session.scalar(select(CategoryAssignment))
        assert stored is not None and stored.valid_to == dt.date(2025, 1, 31)
        assert await session.scalar(select(func.count()).select_from(CategoryAssignment)) == 1


async def test_supervisor_cannot_write(world: World) -> None:
    answer = await world.h.gql(
        CREATE_HOUSEHOLD,
        {"input": {"regionCode": XIANGFEN_VILLAGE, "members": [head()]}},
        token=world.supervisor,
    )
    assert answer["data"] is None
    assert answer["errors"][0]["message"] == "you are not allowed to registry:write"
    assert (await counts(world))["Household"] == 0
