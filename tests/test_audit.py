"""The audit trail: every mutation, denial and reveal leaves one masked, chained row."""

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
import strawberry
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from strawberry.types import Info

from bangfu.cli import main
from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.core.registry.models import Household, Person
from bangfu.core.security import Role, audit
from bangfu.core.security.actor import SYSTEM
from bangfu.core.security.audit import AuditTamperingError
from bangfu.core.security.masking import MASKED, mask_phone, mask_text, mask_tree
from bangfu.core.security.models import AuditEvent
from bangfu.schema.audit import audit_event
from bangfu.schema.context import Context
from bangfu.schema.errors import Error
from bangfu.schema.permissions import requires
from bangfu.schema.relay import decode_id, to_global_id
from bangfu.testing import Harness
from tests.helpers import CREATE_HOUSEHOLD, XIANGFEN_VILLAGE, World, create_household, id_number
from tests.helpers import make_world as make_test_world

pytestmark = pytest.mark.anyio

AUDIT_LOG = """
query($first: Int!, $after: String, $filter: AuditLogFilter) {
  auditLog(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { sequence at actorName actorKind roles operation targets outcome requestId details }
  }
}"""

PERSON_UPDATE = """
mutation($input: PersonUpdateInput!) {
  personUpdate(input: $input) { person { version } errors { field code } }
}"""


async def events(h: Harness) -> list[AuditEvent]:
    async with h.session() as session:
        return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all())


async def raw_rows(h: Harness) -> str:
    """Every column of every audit row, as the database holds it, in one string."""
    async with h.session() as session:
        rows = (await session.execute(text("SELECT * FROM core_audit_event"))).all()
    return "\n".join(repr(tuple(row)) for row in rows)


async def count(h: Harness, model: type) -> int:
    async with h.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def members(*numbers: str) -> list[dict[str, Any]]:
    relations = ["HEAD", "SPOUSE", "CHILD", "CHILD"]
    return [
        {"relation": relations[i], "person": {"name": f"成员{i}", "idNumber": n}}
        for i, n in enumerate(numbers)
    ]


# -------------------------------------------------------------------------
# Masking
# -------------------------------------------------------------------------


def test_masking_of_inputs_by_key_and_in_free_text() -> None:
    number = id_number()
    full_width = number[:-1].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    masked = mask_tree(
        {
            "idNumber": number,
            "password": "secret-password",
            "newPassword": "another",
            "phone": "13812345678",
            "note": f"called 13912345678 about {number} and {full_width}{number[-1]}",
            "disability": {"category": 2, "grade": 1},
            "members": [{"person": {"id_number": number, "name": "张三"}}],
            "when": dt.date(2024, 1, 2),
        }
    )
    dumped = json.dumps(masked, ensure_ascii=False)
    assert number not in dumped and number[6:14] not in dumped
    assert masked["idNumber"] == number[:6] + "********" + number[-4:]
    assert "password" not in masked and "newPassword" not in masked
    assert masked["phone"] == "138****5678"
    assert masked["disability"] == MASKED
    assert masked["members"][0]["person"] == {"id_number": masked["idNumber"], "name": "张三"}
    assert masked["when"] == "2024-01-02"
    assert "139****5678" in masked["note"] and number[:6] + "********" in masked["note"]
    assert mask_phone("123") == "***"
    assert mask_text("no numbers here") == "no numbers here"


# -------------------------------------------------------------------------
# Mutations
# -------------------------------------------------------------------------


async def test_a_mutation_leaves_one_ok_row_with_masked_details(world: World) -> None:
    h = world.h
    numbers = [id_number(), id_number(male=False), id_number(dt.date(2015, 6, 1))]
    payload = await create_household(h, world.xiangfen, members=members(*numbers))
    assert payload["errors"] == []
    household = payload["household"]
    [event] = await events(h)
    assert (event.operation, event.outcome) == ("mutation:householdCreate", "ok")
    assert (event.actor_kind, event.actor_name, event.roles) == (
        "USER",
        "xiangfen",
        "CIVIL_AFFAIRS_OFFICER",
    )
    assert event.actor_id is not None and event.request_id
    assert event.at is not None
    person_ids = {m["person"]["id"] for m in household["members"]}
    assert {household["id"], *person_ids} <= set(event.targets)
    # The masked input, and every created object with its columns (sensitive ones masked).
    sent = event.details["input"]["input"]
    assert [m["person"]["idNumber"] for m in sent["members"]] == [
        n[:6] + "********" + n[-4:] for n in numbers
    ]
    created = {c["target"]: c for c in event.details["changes"]}
    head = created[household["head"]["id"]]
    assert head["action"] == "create" and head["model"] == "Person"
    assert head["after"]["name"] == "成员0"
    assert head["after"]["id_number_masked"] == numbers[0][:6] + "*" * 12
    assert head["after"]["id_number_cipher"] == MASKED
    assert head["after"]["id_number_digest"] == MASKED
    assert head["after"]["birth_date"] == MASKED  # with the masked number, it is the number
    stored = await raw_rows(h)
    for number in numbers:
        assert number not in stored
        assert number[6:14] not in stored  # not even the birth-date digits

    # An update records the before and after of what changed, masked.
    answer = await h.ok(
        PERSON_UPDATE,
        {
            "input": {
                "id": household["head"]["id"],
                "expectedVersion": household["head"]["version"],
                "phone": "13812345678",
                "name": "新名字",
            }
        },
        token=world.xiangfen,
    )
    assert answer["personUpdate"]["errors"] == []
    update_event = (await events(h))[-1]
    assert update_event.operation == "mutation:personUpdate"
    assert update_event.targets == [household["head"]["id"]]
    [change] = update_event.details["changes"]
    assert change["action"] == "update"
    assert change["before"] == {"name": "成员0", "phone": None, "version": 1}
    assert change["after"] == {"name": "新名字", "phone": "138****5678", "version": 2}
    assert update_event.details["input"]["input"]["phone"] == "138****5678"
    assert "13812345678" not in await raw_rows(h)
    assert await audit_chain_breaks(h) == []


async def test_a_failed_mutation_leaves_a_failed_row_and_no_effect(world: World) -> None:
    h = world.h
    number = id_number()
    await create_household(h, world.xiangfen, members=members(number))
    persons, households = await count(h, Person), await count(h, Household)
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")  # a wrong check character
    duplicate = await h.ok(
        CREATE_HOUSEHOLD,
        {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members(id_number(), number)}},
        token=world.xiangfen,
    )
    assert duplicate["householdCreate"]["errors"][0]["code"] == "DUPLICATE_ID_NUMBER"
    invalid = await h.ok(
        CREATE_HOUSEHOLD,
        {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members(bad)}},
        token=world.xiangfen,
    )
    assert invalid["householdCreate"]["errors"][0]["code"] == "INVALID_ID_NUMBER"
    assert (await count(h, Person), await count(h, Household)) == (persons, households)
    first, *failed = await events(h)
    assert first.outcome == "ok"
    assert [(e.operation, e.outcome) for e in failed] == [
        ("mutation:householdCreate", "failed")
    ] * 2
    assert failed[0].details["errors"] == [
        {"field": "input.members.1.person.idNumber", "code": "DUPLICATE_ID_NUMBER"}
    ]
    assert failed[1].details["errors"][0]["code"] == "INVALID_ID_NUMBER"
    assert failed[0].targets == []  # nothing was changed
    stored = await raw_rows(h)
    assert number not in stored and bad not in stored
    assert failed[0].details["input"]["input"]["members"][1]["person"]["idNumber"] == (
        number[:6] + "********" + number[-4:]
    )


async def test_a_denial_leaves_a_denied_row_once_per_request(world: World) -> None:
    h = world.h
    answer = await h.gql(
        CREATE_HOUSEHOLD,
        {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members(id_number())}},
        token=world.supervisor,
    )
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count(h, Household) == 0
    [denied] = await events(h)
    assert (denied.operation, denied.outcome, denied.actor_name) == (
        "mutation:householdCreate",
        "denied",
        "supervisor",
    )
    assert denied.details == {"action": "registry:write", "code": "FORBIDDEN"}
    assert denied.roles == "SUPERVISOR" and denied.request_id

    # Two aliases of one denied field in one request: one row.
    twice = await h.gql(
        "{ a: auditLog(first: 1) { totalCount } b: auditLog(first: 2) { totalCount } }",
        token=world.xiangfen,
    )
    assert twice["data"] is None
    assert {e["extensions"]["code"] for e in twice["errors"]} == {"FORBIDDEN"}
    rows = await events(h)
    assert [(e.operation, e.outcome, e.details["action"]) for e in rows[1:]] == [
        ("query:auditLog", "denied", "audit:read")
    ]
    assert await audit_chain_breaks(h) == []


# -------------------------------------------------------------------------
# Plugin mutations, mutations that write nothing, unexpected errors
# -------------------------------------------------------------------------


@strawberry.type
class GreeterRenamePayload:
    name: str | None
    errors: list[Error]


@strawberry.type
class GreeterMutation:
    @strawberry.mutation(extensions=requires("registry:write"))
    async def greeter_person_rename(
        self, info: Info, id: strawberry.ID, name: str, fail: bool = False
    ) -> GreeterRenamePayload:
        async with info.context.write() as session:
            person = await session.get(Person, decode_id(id, "Person", "id"))
            if person is None:
                return GreeterRenamePayload(name=None, errors=[])
            person.name = name
            await session.flush()
            if fail:
                raise RuntimeError("the plugin failed after writing")
        return GreeterRenamePayload(name=name, errors=[])

    @strawberry.mutation(extensions=requires("registry:write"))
    async def greeter_ping(self, info: Info, phone: str) -> GreeterRenamePayload:
        return GreeterRenamePayload(name="pong", errors=[])


class Greeter:
    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="greeter", title="Greeter (test)", version="0.0.1")

    @hookimpl
    def bangfu_graphql_mutation_types(self) -> list[type]:
        return [GreeterMutation]


async def test_plugin_mutations_are_audited_without_asking(
    tmp_path: Path, database_url: str | None
) -> None:
    async with Harness.start(
        tmp_path, database_url=database_url, plugins=False, extra_plugins=[Greeter()]
    ) as h:
        world = await make_test_world(h)
        payload = await create_household(h, world.xiangfen)
        person = payload["household"]["head"]["id"]
        rename = """mutation($id: ID!, $fail: Boolean!) {
          greeterPersonRename(id: $id, name: "改名", fail: $fail) { name errors { code } } }"""
        done = await h.ok(rename, {"id": person, "fail": False}, token=world.xiangfen)
        assert done["greeterPersonRename"]["name"] == "改名"
        failed = await h.gql(rename, {"id": person, "fail": True}, token=world.xiangfen)
        assert failed["data"] is None and failed["errors"]
        ping = await h.ok(
            'mutation { greeterPing(phone: "13812345678") { name } }', token=world.xiangfen
        )
        assert ping["greeterPing"]["name"] == "pong"
        _create, renamed, broken, pinged = await events(h)
        assert (renamed.operation, renamed.outcome) == ("mutation:greeterPersonRename", "ok")
        assert renamed.targets == [person]
        assert renamed.details["changes"][0]["before"]["name"] == "王建国"
        assert renamed.details["changes"][0]["after"]["name"] == "改名"
        assert (broken.operation, broken.outcome) == ("mutation:greeterPersonRename", "failed")
        assert broken.details["errors"] == [
            {"field": None, "code": "ERROR", "exception": "RuntimeError"}
        ]
        assert broken.targets == [person]  # the object it was about
        async with h.session() as session:
            stored = await session.get(Person, decode_id(person, "Person", "id"))
            assert stored is not None and stored.name == "改名"  # the failed one changed nothing
        assert (pinged.operation, pinged.outcome) == ("mutation:greeterPing", "ok")
        assert pinged.details == {"input": {"phone": "138****5678"}}


# -------------------------------------------------------------------------
# The API for reveals and exports
# -------------------------------------------------------------------------


async def test_audit_event_writes_a_committed_masked_row(world: World) -> None:
    h = world.h
    number = id_number()
    context = Context(h.services, SYSTEM)
    target = to_global_id("Person", 1)
    event = await audit_event(
        context,
        "export:persons",
        audit.Outcome.OK,
        [target],
        {"idNumber": number, "password": "x", "reason": f"asked about {number}", "rows": 3},
    )
    [stored] = await events(h)
    assert stored.id == event.id and stored.targets == [target]
    assert stored.actor_name == "system" and stored.request_id
    assert stored.details == {
        "idNumber": number[:6] + "********" + number[-4:],
        "reason": f"asked about {number[:6]}********{number[-4:]}",
        "rows": 3,
    }
    assert number not in await raw_rows(h)


# -------------------------------------------------------------------------
# Append-only, and the hash chain
# -------------------------------------------------------------------------


async def audit_chain_breaks(h: Harness) -> list[audit.ChainBreak]:
    async with h.session() as session:
        return await audit.verify(session)


async def test_the_application_cannot_change_or_remove_audit_rows(world: World) -> None:
    h = world.h
    await create_household(h, world.xiangfen)
    # Through the ORM: refused before any SQL is sent.
    async with h.session() as session:
        event = await session.get_one(AuditEvent, 1)
        event.outcome = "denied"
        with pytest.raises(AuditTamperingError):
            await session.flush()
        await session.rollback()
    async with h.session() as session:
        event = await session.get_one(AuditEvent, 1)
        await session.delete(event)
        with pytest.raises(AuditTamperingError):
            await session.flush()
        await session.rollback()
        with pytest.raises(AuditTamperingError):
            await session.execute(update(AuditEvent).values(outcome="denied"))
    # Through raw SQL: refused by the database's triggers.
    for statement in (
        "UPDATE core_audit_event SET outcome = 'denied' WHERE id = 1",
        "UPDATE core_audit_event SET details = '{}'",
        "DELETE FROM core_audit_event WHERE id = 1",
        "DELETE FROM core_audit_event",
    ):
        async with h.session() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
            await session.rollback()
    [event] = await events(h)
    assert event.outcome == "ok"
    assert await audit_chain_breaks(h) == []


async def run_verify_command(
    h: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setenv("BANGFU_DATABASE_URL", h.settings.database_url)
    if h.settings.database_schema:
        monkeypatch.setenv("BANGFU_DATABASE_SCHEMA", h.settings.database_schema)
    else:
        monkeypatch.delenv("BANGFU_DATABASE_SCHEMA", raising=False)
    capsys.readouterr()
    code = await anyio.to_thread.run_sync(main, ["audit", "verify"])
    return code, capsys.readouterr().out


async def test_a_row_edited_in_the_database_is_reported(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    h = world.h
    for _ in range(4):
        await create_household(h, world.xiangfen)
    assert await run_verify_command(h, monkeypatch, capsys) == (
        0,
        "audit trail intact: 4 events\n",
    )
    # A DBA (or an attacker with the database) drops the triggers and edits rows.
    async with h.session() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(
                text("DROP TRIGGER core_audit_event_append_only ON core_audit_event")
            )
        else:
            await session.execute(text("DROP TRIGGER core_audit_event_no_update"))
            await session.execute(text("DROP TRIGGER core_audit_event_no_delete"))
        await session.execute(
            text("UPDATE core_audit_event SET actor_name = 'somebody' WHERE id = 2")
        )
        await session.execute(text("DELETE FROM core_audit_event WHERE id = 4"))
    breaks = await audit_chain_breaks(h)
    assert [(b.event_id, b.reason) for b in breaks] == [
        (2, "content does not match its hash (edited)"),
        (3, "the chain's end is not the recorded head (rows removed)"),
    ]
    code, out = await run_verify_command(h, monkeypatch, capsys)
    assert code == 1
    assert out.splitlines() == [
        "audit trail BROKEN: 2 break(s) in 3 events",
        "  event 2: content does not match its hash (edited)",
        "  event 3: the chain's end is not the recorded head (rows removed)",
    ]


async def test_concurrent_mutations_leave_an_intact_chain(world: World) -> None:
    h = world.h
    payloads = await asyncio.gather(*(create_household(h, world.xiangfen) for _ in range(8)))
    assert all(p["errors"] == [] for p in payloads)
    rows = await events(h)
    assert [e.id for e in rows] == list(range(1, 9))
    assert {(e.operation, e.outcome) for e in rows} == {("mutation:householdCreate", "ok")}
    assert len({e.request_id for e in rows}) == 8
    households = {p["household"]["id"] for p in payloads}
    assert {t for e in rows for t in e.targets if t in households} == households
    assert await audit_chain_breaks(h) == []


# -------------------------------------------------------------------------
# auditLog
# -------------------------------------------------------------------------


async def test_audit_log_for_administrators_and_supervisors_only(world: World) -> None:
    h = world.h
    first = await create_household(h, world.xiangfen)
    await create_household(h, world.xiangfen)
    await h.gql(  # a denial
        CREATE_HOUSEHOLD,
        {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members(id_number())}},
        token=world.supervisor,
    )
    await h.ok(  # a failure
        CREATE_HOUSEHOLD,
        {"input": {"regionCode": "999999999999", "members": members(id_number())}},
        token=world.xiangfen,
    )

    # Newest first, a page at a time; the cursors walk every row once.
    seen: list[int] = []
    after = None
    while True:
        page = (await h.ok(AUDIT_LOG, {"first": 3, "after": after}, token=world.admin))["auditLog"]
        assert page["totalCount"] == 4
        seen += [n["sequence"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [4, 3, 2, 1]

    newest = (await h.ok(AUDIT_LOG, {"first": 1}, token=world.supervisor))["auditLog"]
    [node] = newest["nodes"]
    assert node["operation"] == "mutation:householdCreate" and node["outcome"] == "FAILED"
    assert node["actorName"] == "xiangfen" and node["roles"] == ["CIVIL_AFFAIRS_OFFICER"]
    assert node["details"]["errors"][0]["code"] == "UNKNOWN_REGION"
    assert node["requestId"] and node["actorKind"] == "USER"

    async def sequences(filter: dict[str, Any]) -> list[int]:
        data = await h.ok(AUDIT_LOG, {"first": 10, "filter": filter}, token=world.admin)
        return [n["sequence"] for n in data["auditLog"]["nodes"]]

    assert await sequences({"outcome": "DENIED"}) == [3]
    assert await sequences({"actorName": "supervisor"}) == [3]
    assert await sequences({"operation": "mutation:householdCreate"}) == [4, 3, 2, 1]
    assert await sequences({"operation": "query:*"}) == []
    assert await sequences({"target": first["household"]["id"]}) == [1]
    now = dt.datetime.now(dt.UTC)
    hour = dt.timedelta(hours=1)
    assert await sequences({"from": (now - hour).isoformat()}) == [4, 3, 2, 1]
    assert await sequences({"to": (now - hour).isoformat()}) == []
    assert await sequences({"from": (now + hour).isoformat()}) == []

    denied = await h.gql(AUDIT_LOG, {"first": 1}, token=world.xiangfen)
    assert denied["data"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad_first = await h.gql(AUDIT_LOG, {"first": 0}, token=world.admin)
    assert "data" not in bad_first  # refused before anything ran
    officer = await h.actor("officer2", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141024")
    assert (await h.gql(AUDIT_LOG, {"first": 1}, token=officer))["data"] is None


async def test_a_mutation_that_records_its_own_row_gets_no_second_one(world: World) -> None:
    """``personReveal`` records its reveal in its write transaction, and changes nothing."""
    h = world.h
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    before = len(await events(h))
    shown = await h.ok(
        """mutation($input: PersonRevealInput!) {
          personReveal(input: $input) { idNumber errors { code } } }""",
        {"input": {"id": person["id"], "fields": ["ID_NUMBER"], "reason": "home visit check"}},
        token=world.xiangfen,
    )
    assert shown["personReveal"]["errors"] == []
    rows = (await events(h))[before:]
    assert len(rows) == 1
    assert rows[0].operation != "mutation:personReveal" and rows[0].targets == [person["id"]]
    assert rows[0].request_id
