"""Who sees what: paired officials, children's data, sensitive fields, reveals, logs."""

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bangfu.core.care.models import Pairing
from bangfu.core.registry.models import Person
from bangfu.core.security import Role
from bangfu.core.security.models import AuditEvent, User
from bangfu.schema.relay import to_global_id
from tests.helpers import HONGTONG_VILLAGE, World, create_household, id_number

pytestmark = pytest.mark.anyio

CHILD_BORN = dt.date(2019, 6, 1)  # under 14
ADULT_BORN = dt.date(1980, 5, 17)


async def family(world: World) -> dict[str, str]:
    """A Xiangfen household of a father, a child under 14, and a disabled grandmother."""
    payload = await create_household(
        world.h,
        world.xiangfen,
        members=[
            {"relation": "HEAD", "person": {"name": "父亲", "idNumber": id_number(ADULT_BORN)}},
            {"relation": "CHILD", "person": {"name": "孩子", "idNumber": id_number(CHILD_BORN)}},
            {
                "relation": "PARENT",
                "person": {
                    "name": "奶奶",
                    "idNumber": id_number(dt.date(1950, 1, 1), male=False),
                    "disability": {"category": 2, "grade": 1},
                },
            },
        ],
    )
    return {m["person"]["name"]: m["person"]["id"] for m in payload["household"]["members"]}


PERSON = """query($id: ID!) { person(id: $id) { name age region { code } categories { category }
  birthDate sex idNumber household { id } disability { category grade }
  education { currentEnrolment { schoolName } } } }"""


def forbidden_paths(answer: dict) -> set[str]:
    return {
        ".".join(str(p) for p in e["path"])
        for e in answer.get("errors", [])
        if e.get("extensions", {}).get("code") == "FORBIDDEN"
    }


async def test_child_data_beyond_name_age_area_categories_is_masked(world: World) -> None:
    h = world.h
    ids = await family(world)
    answer = await h.gql(PERSON, {"id": ids["孩子"]}, token=world.supervisor)
    child = answer["data"]["person"]
    assert (
        child["name"] == "孩子" and child["age"] >= 5 and child["region"]["code"] == "141023100201"
    )
    for field in ("birthDate", "sex", "idNumber", "household", "education"):
        assert child[field] is None
    assert forbidden_paths(answer) >= {
        f"person.{f}" for f in ("birthDate", "sex", "idNumber", "household", "education")
    }
    # The county's civil-affairs officer has the duty, and sees it all.
    full = await h.ok(PERSON, {"id": ids["孩子"]}, token=world.xiangfen)
    assert full["person"]["birthDate"] == CHILD_BORN.isoformat()
    assert full["person"]["household"] is not None
    # An adult's ordinary fields are not child data.
    adult = await h.gql(PERSON, {"id": ids["父亲"]}, token=world.supervisor)
    assert adult["data"]["person"]["sex"] == "MALE"
    # Sensitive for anyone's: the birth date would complete the masked ID number.
    assert adult["data"]["person"]["birthDate"] is None
    assert forbidden_paths(adult) == {"person.disability", "person.birthDate"}


async def test_disability_is_sensitive_for_everyone(world: World) -> None:
    h = world.h
    ids = await family(world)
    masked = await h.gql(PERSON, {"id": ids["奶奶"]}, token=world.supervisor)
    assert masked["data"]["person"]["disability"] is None
    assert forbidden_paths(masked) == {"person.disability", "person.birthDate"}
    assert masked["data"]["person"]["name"] == "奶奶"  # the rest of the person intact
    shown = await h.ok(PERSON, {"id": ids["奶奶"]}, token=world.xiangfen)
    assert shown["person"]["disability"] == {"category": 2, "grade": 1}


async def test_a_department_sees_its_own_plugin_data_of_children(world: World) -> None:
    h = world.h
    ids = await family(world)
    education = await h.actor("edu", roles=[Role.DEPARTMENT_OFFICER], department="education")
    medical = await h.actor("med", roles=[Role.DEPARTMENT_OFFICER], department="medical")
    query = (
        "query($id: ID!) { person(id: $id) { name education { currentEnrolment { schoolName } } } }"
    )
    own = await h.gql(query, {"id": ids["孩子"]}, token=education)
    assert own["data"]["person"]["education"] == {"currentEnrolment": None}
    assert "errors" not in own
    other = await h.gql(query, {"id": ids["孩子"]}, token=medical)
    assert other["data"]["person"] == {"name": "孩子", "education": None}
    assert forbidden_paths(other) == {"person.education"}
    adult = await h.ok(query, {"id": ids["父亲"]}, token=medical)
    assert adult["person"]["education"] == {"currentEnrolment": None}


async def pair(
    world: World, official: str, person_gid: str, start: dt.date, end: dt.date | None = None
) -> None:
    from bangfu.schema.relay import from_global_id

    async with world.h.session() as session, session.begin():
        user = await session.scalar(select(User).where(User.username == official))
        assert user is not None
        session.add(
            Pairing(
                person_id=int(from_global_id(person_gid)[1]),
                official_id=user.id,
                start_date=start,
                end_date=end,
            )
        )


PAIRED_VIEW = """{ persons(first: 10) { totalCount nodes { name } }
  households(first: 10) { totalCount nodes { members { relation person { name } } } } }"""


async def test_paired_official_sees_only_persons_paired_with_them(world: World) -> None:
    h = world.h
    ids = await family(world)
    await create_household(h, world.xiangfen)  # another family in the same village
    official = await h.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023")
    await pair(world, "paired", ids["奶奶"], dt.date(2024, 1, 1))
    view = await h.ok(PAIRED_VIEW, token=official)
    assert view["persons"] == {"totalCount": 1, "nodes": [{"name": "奶奶"}]}
    members = view["households"]["nodes"][0]["members"]
    assert view["households"]["totalCount"] == 1
    assert sorted((m["relation"], m["person"] and m["person"]["name"]) for m in members) == [
        ("CHILD", None),
        ("HEAD", None),
        ("PARENT", "奶奶"),
    ]
    assert (
        await h.ok(
            "query($id: ID!) { person(id: $id) { name } }", {"id": ids["父亲"]}, token=official
        )
    )["person"] is None


async def test_paired_official_loses_sight_when_the_pairing_ends(world: World) -> None:
    h = world.h
    ids = await family(world)
    official = await h.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023")
    await pair(world, "paired", ids["奶奶"], dt.date(2023, 1, 1), end=dt.date(2024, 1, 1))
    view = await h.ok(PAIRED_VIEW, token=official)
    assert view["persons"]["totalCount"] == 0 and view["households"]["totalCount"] == 0


REVEAL = """mutation($input: PersonRevealInput!) { personReveal(input: $input) { idNumber errors { field code message } } }"""


async def test_reveal_shows_the_full_number_with_a_reason_and_is_audited(world: World) -> None:
    h = world.h
    number = id_number(ADULT_BORN)
    payload = await create_household(
        h,
        world.xiangfen,
        members=[{"relation": "HEAD", "person": {"name": "揭示", "idNumber": number}}],
    )
    person = payload["household"]["head"]
    assert person["idNumber"] == number[:6] + "********" + number[-4:]

    no_reason = await h.ok(
        REVEAL,
        {"input": {"id": person["id"], "fields": ["ID_NUMBER"], "reason": " "}},
        token=world.xiangfen,
    )
    assert no_reason["personReveal"] == {
        "idNumber": None,
        "errors": [
            {
                "field": "input.reason",
                "code": "INVALID_INPUT",
                "message": "give a reason of 4 to 500 characters",
            }
        ],
    }

    denied = await h.gql(
        REVEAL,
        {"input": {"id": person["id"], "fields": ["ID_NUMBER"], "reason": "checking a claim"}},
        token=world.supervisor,
    )
    assert (
        denied["data"] is None
        and denied["errors"][0]["message"] == "you are not allowed to registry:reveal"
    )

    outside = await h.ok(
        REVEAL,
        {"input": {"id": person["id"], "fields": ["ID_NUMBER"], "reason": "checking a claim"}},
        token=world.hongtong,
    )
    assert outside["personReveal"]["errors"][0]["code"] == "NOT_FOUND"

    async with h.session() as session:
        before = len(
            (
                await session.scalars(select(AuditEvent).where(AuditEvent.operation == "reveal"))
            ).all()
        )
    shown = await h.ok(
        REVEAL,
        {
            "input": {
                "id": person["id"],
                "fields": ["ID_NUMBER"],
                "reason": "verifying identity at the door",
            }
        },
        token=world.xiangfen,
    )
    assert shown["personReveal"] == {"idNumber": number, "errors": []}
    async with h.session() as session:
        reveals = (
            await session.scalars(select(AuditEvent).where(AuditEvent.operation == "reveal"))
        ).all()
    assert len(reveals) == before + 1
    event = reveals[-1]
    assert (event.actor_name, event.outcome, event.targets) == ("xiangfen", "ok", [person["id"]])
    assert event.details == {"fields": ["ID_NUMBER"], "reason": "verifying identity at the door"}
    assert number not in str(event.details)


async def test_a_tampered_encrypted_value_gives_a_masked_error(world: World) -> None:
    h = world.h
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    async with h.session() as session, session.begin():
        stored = await session.scalar(select(Person).where(Person.name == "王建国"))
        assert stored is not None
        blob = bytearray(stored.id_number_cipher)
        blob[-1] ^= 0x01
        stored.id_number_cipher = bytes(blob)
    answer = await h.ok(
        REVEAL,
        {"input": {"id": person["id"], "fields": ["ID_NUMBER"], "reason": "audit check"}},
        token=world.admin,
    )
    assert answer["personReveal"] == {
        "idNumber": None,
        "errors": [
            {
                "field": "input.id",
                "code": "UNREADABLE_VALUE",
                "message": "the stored value failed its integrity check; the incident is logged",
            }
        ],
    }


async def test_the_database_file_holds_no_plain_id_number(world: World, tmp_path: Path) -> None:
    if not world.h.settings.is_sqlite:
        pytest.skip("a file dump is a SQLite check; PostgreSQL stores the same encrypted bytes")
    numbers = [id_number(), id_number(dt.date(1990, 2, 2))]
    await create_household(
        world.h,
        world.xiangfen,
        members=[
            {"relation": "HEAD", "person": {"name": "甲", "idNumber": numbers[0]}},
            {"relation": "SPOUSE", "person": {"name": "乙", "idNumber": numbers[1]}},
        ],
    )
    await world.h.engine.dispose()  # flush the WAL into the file
    raw = await asyncio.to_thread(
        lambda: b"".join(p.read_bytes() for p in tmp_path.glob("test.db*"))
    )
    for number in numbers:
        assert number.encode() not in raw
        assert number[6:14].encode() + number[14:].encode() not in raw


async def test_logs_carry_no_plain_id_number(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    number = id_number()
    caplog.set_level(logging.DEBUG)
    # An invalid query that quotes the number makes Strawberry log the document.
    await world.h.gql(
        f'{{ persons(first: 5, filter: {{search: "{number}"}}) {{ nodez }} }}', token=world.xiangfen
    )
    await world.h.gql(
        "query($s: String) { persons(first: 5, filter: {search: $s}) { totalCount } }",
        {"s": number},
        token=world.xiangfen,
    )
    logging.getLogger("bangfu.test").warning("looked up %s, phone 13812345678", number)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert number not in caplog.text and "13812345678" not in caplog.text
    assert "138****5678" in caplog.text
    assert number[:6] + "********" + number[-4:] in caplog.text


async def test_no_data_crosses_between_concurrent_users(world: World) -> None:
    h = world.h
    await create_household(h, world.xiangfen)
    await create_household(
        h,
        world.hongtong,
        village=HONGTONG_VILLAGE,
        members=[
            {
                "relation": "HEAD",
                "person": {"name": "洪洞人", "idNumber": id_number(county="141024")},
            }
        ],
    )
    query = "{ persons(first: 20) { nodes { name region { code } } } }"
    answers = await asyncio.gather(
        *(h.ok(query, token=t) for t in [world.xiangfen, world.hongtong] * 5)
    )
    for i, answer in enumerate(answers):
        county = "141023" if i % 2 == 0 else "141024"
        assert answer["persons"]["nodes"]
        assert all(p["region"]["code"].startswith(county) for p in answer["persons"]["nodes"])


async def test_staff_cannot_move_a_person_into_another_county(world: World) -> None:
    h = world.h
    mine = (await create_household(h, world.xiangfen))["household"]
    theirs = (
        await create_household(
            h,
            world.hongtong,
            village=HONGTONG_VILLAGE,
            members=[
                {
                    "relation": "HEAD",
                    "person": {"name": "洪洞户主", "idNumber": id_number(county="141024")},
                }
            ],
        )
    )["household"]
    child = next(m["person"]["id"] for m in mine["members"] if m["relation"] == "CHILD")
    remove = "mutation($i: HouseholdMemberRemoveInput!) { householdMemberRemove(input: $i) { errors { code } } }"
    assert (
        await h.ok(
            remove, {"i": {"householdId": mine["id"], "personId": child}}, token=world.xiangfen
        )
    )["householdMemberRemove"]["errors"] == []
    add = "mutation($i: HouseholdMemberAddInput!) { householdMemberAdd(input: $i) { errors { field code } } }"
    into_other = await h.ok(
        add,
        {"i": {"householdId": theirs["id"], "relation": "CHILD", "personId": child}},
        token=world.xiangfen,
    )
    assert into_other["householdMemberAdd"]["errors"] == [
        {"field": "input.householdId", "code": "NOT_FOUND"}
    ]
    taken_by_other = await h.ok(
        add,
        {"i": {"householdId": theirs["id"], "relation": "CHILD", "personId": child}},
        token=world.hongtong,
    )
    assert taken_by_other["householdMemberAdd"]["errors"] == [
        {"field": "input.personId", "code": "NOT_FOUND"}
    ]
    async with h.session() as session:
        moved = await session.scalar(select(Person).where(Person.name == "王小明"))
        assert moved is not None and moved.region_code == "141023100201"


def test_partner_clients_are_read_only_and_limited_to_their_plugins() -> None:
    from bangfu.core.plugins import PluginHost, get_plugin_manager
    from bangfu.core.security.actor import Actor, ActorKind

    host = PluginHost(get_plugin_manager())
    client = Actor(
        kind=ActorKind.CLIENT,
        name="partner",
        area_path="141000/141023/",
        roles=frozenset({Role.PARTNER_CLIENT}),
        scopes=frozenset({"read", "plugin:education"}),
    )
    assert host.allowed(client, "registry:read")
    assert host.allowed(client, "education:read")
    assert not host.allowed(client, "medical:read")
    assert not host.allowed(client, "registry:write")
    assert not host.allowed(client, "registry:reveal")
    assert not host.allowed(client, "registry:read-sensitive")


_ = to_global_id


async def test_mass_organisation_member_sees_masked_id_numbers_only(world: World) -> None:
    h = world.h
    ids = await family(world)
    member = await h.actor("union", roles=[Role.MASS_ORGANISATION_MEMBER], region="141023")
    answer = await h.gql(
        "query($id: ID!) { person(id: $id) { name idNumber disability { grade } } }",
        {"id": ids["奶奶"]},
        token=member,
    )
    person = answer["data"]["person"]
    assert person["name"] == "奶奶"
    assert person["idNumber"][6:14] == "********" and len(person["idNumber"]) == 18
    assert person["disability"] is None and forbidden_paths(answer) == {"person.disability"}
    denied = await h.gql(
        REVEAL,
        {"input": {"id": ids["奶奶"], "fields": ["ID_NUMBER"], "reason": "visit"}},
        token=member,
    )
    assert denied["data"] is None
