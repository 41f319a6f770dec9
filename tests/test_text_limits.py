"""Long strings (SECURITY.md, "Reliability": a search string of 50,000 characters).

Every string argument and input field has an upper bound, checked before any resolver
runs (``BAD_USER_INPUT``, naming the argument); what is stored is held to its column's
length, with a payload error naming the field, and nothing is written.
"""

import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.registry.models import (
    CategoryAssignment,
    Household,
    Membership,
    Organisation,
    OrganisationKind,
    Person,
)
from bangfu.schema.relay import to_global_id
from tests.helpers import World, create_household, id_number

pytestmark = pytest.mark.anyio

PERSONS = "query($s: String) { persons(first: 5, filter: {search: $s}) { nodes { name } } }"
HOUSEHOLDS = "query($s: String) { households(first: 5, filter: {search: $s}) { totalCount } }"


def refusal(answer: dict[str, Any]) -> tuple[str, str]:
    assert "data" not in answer, answer  # refused before anything ran
    [error] = answer["errors"]
    return error["message"], error["extensions"]["code"]


async def test_a_50000_character_search_is_bad_user_input_on_every_search(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    h = world.h
    await create_household(h, world.xiangfen)  # rows for a LIKE pattern to be tried on
    long = "王%_" * 16_667
    with caplog.at_level(logging.INFO):
        for query in (PERSONS, HOUSEHOLDS):
            answer = await h.gql(query, {"s": long}, token=world.admin)
            assert refusal(answer) == (
                "filter.search: at most 100 characters (this one has 50001)",
                "BAD_USER_INPUT",
            )
        # In the document rather than a variable; and the plugin's and the audit log's.
        literal = await h.gql(
            '{ persons(first: 1, filter: {search: "%s"}) { totalCount } }' % ("x" * 50_000),
            token=world.admin,
        )
        assert refusal(literal)[0] == "filter.search: at most 100 characters (this one has 50000)"
        school = await h.gql(
            "query($s: String) { educationEnrolments(first: 1, filter: {schoolName: $s}) "
            "{ totalCount } }",
            {"s": "学" * 101},
            token=world.admin,
        )
        assert refusal(school)[0].startswith("filter.schoolName: at most 100 characters")
        audit = await h.gql(
            "query($s: String) { auditLog(first: 1, filter: {operation: $s}) { totalCount } }",
            {"s": "m" * 5000 + "*"},
            token=world.admin,
        )
        assert refusal(audit)[0].startswith("filter.operation: at most 100 characters")
    # Refused before the database: nothing logged, certainly not the SQL nor the string.
    assert "LIKE" not in caplog.text and long[:100] not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_search_up_to_the_limit_still_searches(world: World) -> None:
    h = world.h
    await create_household(h, world.xiangfen)
    for text, found in (("建国", ["王建国"]), ("建" * 100, []), ("%_" * 50, [])):
        data = await h.ok(PERSONS, {"s": text}, token=world.admin)
        assert [n["name"] for n in data["persons"]["nodes"]] == found


async def test_a_document_seen_before_is_checked_again_for_its_new_values(world: World) -> None:
    """What the guard keeps per document text (its longest literal) never lets a longer
    variable value, or the same over-long literal sent again, through."""
    h = world.h
    for text in ("建国", "建" * 101, "建国", "建" * 101):
        answer = await h.gql(PERSONS, {"s": text}, token=world.admin)
        assert ("errors" in answer) is (len(text) > 100), text
    literal = '{ persons(first: 1, filter: {search: "%s"}) { totalCount } }' % ("x" * 101)
    for _ in range(2):
        answer = await h.gql(literal, token=world.admin)
        assert refusal(answer)[0] == "filter.search: at most 100 characters (this one has 101)"


async def test_every_other_string_has_a_ceiling_named_by_its_path(world: World) -> None:
    h = world.h
    ceiling = h.settings.max_text_length
    members = [{"relation": "HEAD", "person": {"name": "王" * (ceiling + 1), "idNumber": "1"}}]
    created = await h.gql(
        "mutation($i: HouseholdCreateInput!) { householdCreate(input: $i) { errors { code } } }",
        {"i": {"regionCode": "141023100201", "members": members}},
        token=world.xiangfen,
    )
    assert refusal(created) == (
        f"input.members.0.person.name: at most {ceiling} characters (this one has {ceiling + 1})",
        "BAD_USER_INPUT",
    )
    login = await h.client.post(
        "/graphql",
        json={
            "query": 'mutation { login(username: "admin", password: "%s") { token } }'
            % ("p" * (ceiling + 1))
        },
    )
    assert refusal(login.json())[0].startswith(f"password: at most {ceiling} characters")
    ids = await h.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": ["UGVyc29uOjE=", "A" * (ceiling + 1)]},
        token=world.admin,
    )
    assert refusal(ids)[0].startswith(f"ids.1: at most {ceiling} characters")
    async with h.session() as session:
        assert await session.scalar(select(func.count()).select_from(Household)) == 0


# Stored fields that no service bounded: each is held to its column, on both databases
# (SQLite stored them whole; PostgreSQL answered a 500).
PERSON_UPDATE = """mutation($i: PersonUpdateInput!) {
  personUpdate(input: $i) { person { phone } errors { field message code } } }"""
MEMBER_REMOVE = """mutation($i: HouseholdMemberRemoveInput!) {
  householdMemberRemove(input: $i) { errors { field message code } } }"""
CATEGORY_ASSIGN = """mutation($i: CategoryAssignInput!) {
  categoryAssign(input: $i) { errors { field message code } } }"""
HOUSEHOLD_CREATE = """mutation($i: HouseholdCreateInput!) {
  householdCreate(input: $i) { errors { field message code } } }"""


async def test_stored_text_is_held_to_its_column_with_a_payload_error(world: World) -> None:
    h = world.h
    household = (await create_household(h, world.xiangfen))["household"]
    head, spouse = (m["person"] for m in household["members"][:2])
    org = to_global_id("Organisation", (await h.organisation("141023-civil-affairs")).id)

    async def refused(query: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
        data = await h.ok(query, {"i": variables}, token=world.xiangfen)
        return next(iter(data.values()))["errors"]  # type: ignore[no-any-return]

    def too_long(field: str, length: int) -> list[dict[str, Any]]:
        return [{"field": field, "message": f"at most {length} characters", "code": "TOO_LONG"}]

    version = household["head"]["version"]
    # A phone number is checked as a number of China (tests/test_phone.py), whatever its length.
    [phone] = await refused(
        PERSON_UPDATE, {"id": head["id"], "expectedVersion": version, "phone": "1" * 33}
    )
    assert (phone["field"], phone["code"]) == ("input.phone", "INVALID_PHONE_NUMBER")
    address = {
        "regionCode": "141023100201",
        "address": "东关村" * 67,
        "members": [{"relation": "HEAD", "person": {"name": "赵", "idNumber": id_number()}}],
    }
    assert await refused(HOUSEHOLD_CREATE, address) == too_long("input.address", 200)
    remove = {"householdId": household["id"], "personId": spouse["id"], "reason": "迁" * 201}
    assert await refused(MEMBER_REMOVE, remove) == too_long("input.reason", 200)
    assign = {
        "personId": head["id"],
        "category": "DIBAO",
        "validFrom": "2024-01-01",
        "certifyingOrganisationId": org,
        "evidence": "证" * 501,
        "ruleVersion": "v" * 41,
    }
    assert await refused(CATEGORY_ASSIGN, assign) == [
        *too_long("input.evidence", 500),
        *too_long("input.ruleVersion", 40),
    ]
    # Nothing of it was written.
    async with h.session() as session:
        assert await session.scalar(select(func.count()).select_from(Household)) == 1
        assert await session.scalar(select(func.count()).select_from(Person)) == 3
        assert await session.scalar(select(func.count()).select_from(CategoryAssignment)) == 0
        assert await session.scalar(select(Person.phone).where(Person.name == "王建国")) is None
        ended = select(func.count()).select_from(Membership).where(Membership.end_date.is_not(None))
        assert await session.scalar(ended) == 0


async def test_any_other_write_is_held_to_its_columns_too(world: World) -> None:
    """The backstop under every service (plugins' and command-line writes included)."""
    h = world.h
    with pytest.raises(DomainError) as refused:
        async with h.session() as session, session.begin():
            session.add(
                Organisation(
                    code="x" * 65,
                    name="民政局" * 67,
                    kind=OrganisationKind.DEPARTMENT,
                    region_code="141000",
                )
            )
    assert [(e.field, e.message, e.code) for e in refused.value.errors] == [
        ("code", "at most 64 characters", ErrorCode.TOO_LONG),
        ("name", "at most 200 characters", ErrorCode.TOO_LONG),
    ]
    async with h.session() as session:
        found = select(Organisation).where(Organisation.region_code == "141000")
        assert all(len(o.name) <= 200 for o in await session.scalars(found))
