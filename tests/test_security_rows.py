"""SECURITY.md rows that no other module covers in full (docs/security.md maps each row).

- out-of-area `nodes(ids:)` and `household(id:)` look exactly like absent ones;
- an out-of-area update changes nothing;
- a partner API client reads `idNumber` masked and cannot reveal it;
- a refused field read leaves one `denied` audit row naming the field;
- PostgreSQL refuses `TRUNCATE` of the audit trail;
- two concurrent updates with one `expectedVersion`: one wins, the other gets VERSION_CONFLICT;
- `bangfu db backup` then `bangfu db restore` into an empty database, as an operator runs them.
"""

import asyncio
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bangfu.cli import main
from bangfu.core.registry.models import Person
from bangfu.core.security import Role, audit
from bangfu.core.security.models import AuditEvent
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import World, create_household, id_number

pytestmark = pytest.mark.anyio

PERSON_UPDATE = """
mutation($input: PersonUpdateInput!) {
  personUpdate(input: $input) { person { name phone version } errors { field code message } }
}"""


async def test_out_of_area_nodes_and_household_look_like_absent_ones(world: World) -> None:
    h = world.h
    created = await create_household(h, world.xiangfen)
    household, head = created["household"]["id"], created["household"]["head"]["id"]
    query = """query($ids: [ID!]!, $h: ID!) {
      nodes(ids: $ids) { id ... on Person { name } ... on Household { address } }
      household(id: $h) { id address }
    }"""
    mine = await h.ok(query, {"ids": [head, household], "h": household}, token=world.xiangfen)
    assert mine["nodes"] == [
        {"id": head, "name": "王建国"},
        {"id": household, "address": "东关村 12 号"},
    ]
    assert mine["household"] == {"id": household, "address": "东关村 12 号"}

    other = await h.gql(query, {"ids": [head, household], "h": household}, token=world.hongtong)
    absent_ids = [to_global_id("Person", 987654), to_global_id("Household", 987654)]
    absent = await h.gql(
        query, {"ids": absent_ids, "h": to_global_id("Household", 987654)}, token=world.hongtong
    )
    assert other == absent == {"data": {"nodes": [None, None], "household": None}}


async def test_an_out_of_area_update_changes_nothing(world: World) -> None:
    h = world.h
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    answer = await h.ok(
        PERSON_UPDATE,
        {"input": {"id": person["id"], "expectedVersion": person["version"], "name": "改名"}},
        token=world.hongtong,
    )
    assert answer["personUpdate"]["person"] is None
    assert [e["code"] for e in answer["personUpdate"]["errors"]] == ["NOT_FOUND"]
    async with h.session() as session:
        stored = await session.scalar(select(Person).where(Person.id == 1))
        assert stored is not None
        assert (stored.name, stored.version) == ("王建国", person["version"])


async def test_a_partner_client_reads_id_numbers_masked_and_cannot_reveal(world: World) -> None:
    h = world.h
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    number = await _id_number_of(h, "王建国")
    client = await h.api_client("partner", region="141023")
    answer = await h.ok(
        "query($id: ID!) { person(id: $id) { name idNumber } }", {"id": person["id"]}, token=client
    )
    shown = answer["person"]["idNumber"]
    assert answer["person"]["name"] == "王建国"
    assert shown == number[:6] + "********" + number[-4:]
    assert number[6:14] not in shown
    reveal = await h.gql(
        """mutation($input: PersonRevealInput!) {
             personReveal(input: $input) { idNumber errors { field code } } }""",
        {"input": {"id": person["id"], "fields": ["ID_NUMBER"], "reason": "check"}},
        token=client,
    )
    assert number not in str(reveal)
    assert reveal.get("data") is None or reveal["data"]["personReveal"]["idNumber"] is None


async def _id_number_of(h: Harness, name: str) -> str:
    async with h.session() as session:
        person = await session.scalar(select(Person).where(Person.name == name))
        assert person is not None
        return h.id_number_of(person)


async def test_a_refused_field_read_leaves_one_denied_row(world: World) -> None:
    h = world.h
    created = await create_household(
        h,
        world.xiangfen,
        members=[
            {
                "relation": "HEAD",
                "person": {
                    "name": "残疾人",
                    "idNumber": id_number(),
                    "disability": {"category": 1, "grade": 2},
                },
            }
        ],
    )
    person = created["household"]["head"]["id"]
    member = await h.actor("union", roles=[Role.MASS_ORGANISATION_MEMBER], region="141023")
    answer = await h.gql(
        "query($id: ID!) { person(id: $id) { name a: disability { grade } b: disability { grade } } }",
        {"id": person},
        token=member,
    )
    assert answer["data"]["person"] == {"name": "残疾人", "a": None, "b": None}
    async with h.session() as session:
        rows = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.actor_name == "union").order_by(AuditEvent.id)
            )
        ).all()
    assert [(r.operation, r.outcome) for r in rows] == [("query:Person.disability", "denied")]
    assert rows[0].request_id and rows[0].roles == "MASS_ORGANISATION_MEMBER"


async def test_postgresql_refuses_truncating_the_audit_trail(world: World) -> None:
    h = world.h
    if h.settings.database_schema is None:
        pytest.skip("SQLite has no TRUNCATE (its DELETE triggers are tested in test_audit.py)")
    await create_household(h, world.xiangfen)
    async with h.session() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEvent))
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text("TRUNCATE core_audit_event"))
        await session.rollback()
    async with h.session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert await audit.verify(session) == []


async def test_two_concurrent_updates_with_one_expected_version(world: World) -> None:
    h = world.h
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    version = person["version"]

    async def update(phone: str) -> dict[str, object]:
        answer = await h.ok(
            PERSON_UPDATE,
            {"input": {"id": person["id"], "expectedVersion": version, "phone": phone}},
            token=world.xiangfen,
        )
        return answer["personUpdate"]  # type: ignore[no-any-return]

    first, second = await asyncio.gather(update("13800000001"), update("13800000002"))
    winners = [p for p in (first, second) if not p["errors"]]
    losers = [p for p in (first, second) if p["errors"]]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0]["person"] is None
    assert losers[0]["errors"] == [
        {
            "field": "input.expectedVersion",
            "code": "VERSION_CONFLICT",
            "message": f"the person was changed meanwhile: current version is {version + 1}",
        }
    ]
    async with h.session() as session:
        stored = await session.scalar(select(Person).where(Person.name == "王建国"))
        assert stored is not None and stored.version == version + 1
        assert stored.phone == winners[0]["person"]["phone"]  # type: ignore[index]


async def test_backup_and_restore_commands(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What an operator runs: upgrade, demo, backup; then upgrade and restore elsewhere."""
    monkeypatch.delenv("BANGFU_DATABASE_SCHEMA", raising=False)
    monkeypatch.setenv("BANGFU_SECRET_KEY_FILE", str(tmp_path / "bangfu.key"))
    dump = tmp_path / "backup.jsonl.gz"

    async def cli(database: Path, *args: str) -> int:
        monkeypatch.setenv("BANGFU_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
        return await anyio.to_thread.run_sync(main, list(args))

    source, target = tmp_path / "source.db", tmp_path / "target.db"
    assert await cli(source, "db", "upgrade") == 0
    assert await cli(source, "demo", "--households", "20", "--seed", "5") == 0
    capsys.readouterr()
    assert await cli(source, "db", "backup", str(dump)) == 0
    wrote = capsys.readouterr().out
    assert wrote.startswith("wrote ") and str(dump) in wrote

    assert await cli(target, "db", "upgrade") == 0
    capsys.readouterr()
    assert await cli(target, "db", "restore", str(dump)) == 0
    restored = capsys.readouterr().out
    rows = wrote.split()[1]
    assert restored.startswith(f"restored {rows} rows of ")
    assert await cli(target, "audit", "verify") == 0

    # Restoring again into the now full database is refused with a clear message.
    capsys.readouterr()
    assert await cli(target, "db", "restore", str(dump)) == 1
    assert "is not empty" in capsys.readouterr().err
