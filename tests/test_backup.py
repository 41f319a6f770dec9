"""Backup, then restore into an empty instance: the counts and the audit chain hold.

The round trips at the stock demo size (3,000 households) run the ``bangfu`` command as an
operator does: ``demo``, ``db backup``, ``db upgrade`` on an empty database, ``db restore``,
``audit verify``, on SQLite, on PostgreSQL and across them.
"""

import asyncio
import datetime as dt
import gzip
import io
import itertools
import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.cli import load_host, main
from bangfu.core import backup
from bangfu.core.db import make_engine
from bangfu.core.registry.models import Person, Region, RegionLevel
from bangfu.core.registry.persons import read_id_number
from bangfu.core.security import SYSTEM, audit
from bangfu.demo import load_demo
from bangfu.testing import Harness
from tests.helpers import id_number

pytestmark = pytest.mark.anyio

PLUGINS = ("education", "medical", "housing", "employment")


async def counts(h: Harness) -> dict[str, int]:
    async with h.engine.connect() as connection:
        return {
            t.name: int(await connection.scalar(select(func.count()).select_from(t)) or 0)
            for t in backup.tables(h.host)
        }


async def test_backup_then_restore_into_an_empty_instance(
    tmp_path: Path, database_url: str | None
) -> None:
    dump = tmp_path / "bangfu-backup.jsonl.gz"
    dump.write_bytes(b"an older file, readable by all")
    dump.chmod(0o644)
    (tmp_path / "source").mkdir()
    (tmp_path / "target").mkdir()
    async with Harness.start(tmp_path / "source") as source:
        async with source.session() as session, session.begin():
            await load_demo(
                session,
                source.cipher,
                source.host,
                households=40,
                seed=3,
                today=dt.date(2026, 11, 28),
            )
            for i in range(5):
                await audit.record(session, SYSTEM, "test", audit.Outcome.OK, details={"i": i})
        before = await counts(source)
        written = await backup.backup(source.engine, dump, revisions=set(), host=source.host)
        assert written == before
        # Owner-only, even where an older file stood with looser permissions.
        assert stat.S_IMODE(dump.stat().st_mode) == 0o600
        async with source.session() as session:
            numbers = {
                p.id: read_id_number(source.cipher, p)
                for p in (await session.scalars(select(Person))).all()
            }

    # The target is the parametrised database: SQLite, and PostgreSQL when configured.
    async with Harness.start(tmp_path / "target", database_url=database_url) as target:
        restored = await backup.restore(target.engine, dump, revisions=set(), host=target.host)
        assert {k: v for k, v in restored.items() if v} == {k: v for k, v in before.items() if v}
        assert await counts(target) == before
        async with target.session() as session:
            assert await audit.verify(session) == []
            persons = (await session.scalars(select(Person))).all()
            assert {p.id: read_id_number(target.cipher, p) for p in persons} == numbers
        # New rows get fresh keys after a restore (sequences follow the restored rows).
        async with target.session() as session, session.begin():
            event = await audit.record(session, SYSTEM, "after-restore", audit.Outcome.OK)
            assert event.id == before["core_audit_event"] + 1
        async with target.session() as session:
            assert await audit.verify(session) == []

        # A second restore into the now non-empty database is refused, changing nothing.
        with pytest.raises(backup.RestoreError, match="is not empty"):
            await backup.restore(target.engine, dump, revisions=set(), host=target.host)


async def test_restore_refuses_other_revisions_and_truncated_files(tmp_path: Path) -> None:
    dump = tmp_path / "b.jsonl.gz"
    async with Harness.start(tmp_path) as h:
        await backup.backup(h.engine, dump, revisions={"core_0002"}, host=h.host)
        with pytest.raises(backup.RestoreError, match="migrate to the same revisions"):
            await backup.restore(h.engine, dump, revisions={"core_0001"}, host=h.host)
        lines = gzip.decompress(dump.read_bytes()).decode().splitlines()
        (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress("\n".join(lines[:-1]).encode()))
        with pytest.raises(backup.RestoreError, match="truncated"):
            await backup.restore(
                h.engine, tmp_path / "cut.jsonl.gz", revisions={"core_0002"}, host=h.host
            )
        (tmp_path / "plain.txt").write_text("not gzip")
        with pytest.raises(backup.RestoreError, match="not a readable gzip file"):
            await backup.restore(
                h.engine, tmp_path / "plain.txt", revisions={"core_0002"}, host=h.host
            )


async def test_a_backup_under_writes_is_the_database_of_one_moment(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection commits a household (household, person, membership) and an
    audit event after the backup has read the households but before it reads the persons:
    the backup holds none of it, and restores with its audit chain intact."""
    dump = tmp_path / "under-load.jsonl.gz"
    (tmp_path / "source").mkdir()
    (tmp_path / "target").mkdir()
    async with Harness.start(tmp_path / "source", database_url=database_url) as source:
        async with source.session() as session, session.begin():
            await load_demo(session, source.cipher, source.host, households=20, seed=5)
            await audit.record(session, SYSTEM, "before", audit.Outcome.OK)
        before = await counts(source)
        dump_table = backup._dump_table

        async def dump_then_write(connection: Any, table: Any, out: Any) -> int:
            count = await dump_table(connection, table, out)
            if table.name == "core_household":
                await source.household("141023", [("HEAD", "赵新户", id_number())])
                async with source.session() as session, session.begin():
                    await audit.record(session, SYSTEM, "meanwhile", audit.Outcome.OK)
            return count

        monkeypatch.setattr(backup, "_dump_table", dump_then_write)
        written = await backup.backup(source.engine, dump, revisions=set(), host=source.host)
        after = await counts(source)
    assert after["core_person"] == before["core_person"] + 1  # the writer did commit
    assert after["core_audit_event"] == before["core_audit_event"] + 1
    assert written == before

    async with Harness.start(tmp_path / "target") as target:
        await backup.restore(target.engine, dump, revisions=set(), host=target.host)
        assert await counts(target) == before
        async with target.session() as session:
            assert await audit.verify(session) == []


async def test_a_failed_backup_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = tmp_path / "nightly.jsonl.gz"
    dump.write_bytes(b"yesterday's backup")
    dump_table = backup._dump_table

    async def fail_at_persons(connection: Any, table: Any, out: Any) -> int:
        if table.name == "core_person":
            raise OSError(28, "No space left on device")
        return await dump_table(connection, table, out)

    monkeypatch.setattr(backup, "_dump_table", fail_at_persons)
    async with Harness.start(tmp_path) as h:
        with pytest.raises(OSError, match="No space left"):
            await backup.backup(h.engine, dump, revisions=set(), host=h.host)
    assert dump.read_bytes() == b"yesterday's backup"
    assert [name for name in os.listdir(tmp_path) if "nightly" in name] == [dump.name]


async def test_references_to_later_rows_and_tables_are_set_after_the_inserts(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin's tables may form a cycle (here A → B → A) and refer to later rows of
    their own table: the backup lists A first, so A's references are set at the end."""
    metadata = MetaData()
    a = Table(
        "cycle_a",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("b_id", ForeignKey("cycle_b.id", use_alter=True), nullable=True),
        Column("parent_id", ForeignKey("cycle_a.id"), nullable=True),
    )
    b = Table(
        "cycle_b",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("a_id", ForeignKey("cycle_a.id"), nullable=False),
    )
    monkeypatch.setattr(backup, "tables", lambda _host: [a, b])
    host = load_host()  # its tables are a and b here
    monkeypatch.setattr(backup, "REFERENCE_TABLES", ())
    rows_a = [
        {"id": 1, "b_id": None, "parent_id": None},
        {"id": 2, "b_id": None, "parent_id": None},
        {"id": 3, "b_id": None, "parent_id": 1},
    ]
    final_a = [
        {"id": 1, "b_id": 1, "parent_id": 3},  # a later row of its own table
        {"id": 2, "b_id": 1, "parent_id": None},
        {"id": 3, "b_id": None, "parent_id": 1},
    ]
    dump = tmp_path / "cycle.jsonl.gz"
    source = make_engine(_sqlite(tmp_path / "source.db"), pooled=False)
    async with source.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(insert(a), rows_a)
        await connection.execute(insert(b), [{"id": 1, "a_id": 2}])
        for row in final_a:
            await connection.execute(update(a).where(a.c.id == row["id"]).values(row))
    await backup.backup(source, dump, revisions=set(), host=host)
    await source.dispose()

    schema = None
    url = _sqlite(tmp_path / "target.db")
    if database_url is not None:
        url, schema = database_url, f"cycle_{uuid.uuid4().hex[:10]}"
        await _execute(url, None, text(f'CREATE SCHEMA "{schema}"'))
    target = make_engine(url, schema=schema, pooled=False)
    try:
        async with target.begin() as connection:
            await connection.run_sync(metadata.create_all)
        restored = await backup.restore(target, dump, revisions=set(), host=host)
        assert restored == {"cycle_a": 3, "cycle_b": 1}
        async with target.connect() as connection:
            found = (await connection.execute(select(a).order_by(a.c.id))).mappings().all()
            assert [dict(row) for row in found] == final_a
    finally:
        await target.dispose()
        if schema is not None:
            await _execute(url, None, text(f'DROP SCHEMA "{schema}" CASCADE'))


# -------------------------------------------------------------------------
# The command, as an operator runs it
# -------------------------------------------------------------------------


@dataclass
class Source:
    """The stock demo on SQLite, backed up with ``bangfu db backup``."""

    folder: Path
    key_file: Path
    dump: Path
    counts: dict[str, int]
    ward: int  # a person whose guardian has a higher key, batches further on
    guardian: int


def _env(
    monkeypatch: pytest.MonkeyPatch, key_file: Path, url: str, schema: str | None = None
) -> None:
    monkeypatch.setenv("BANGFU_SECRET_KEY_FILE", str(key_file))
    monkeypatch.setenv("BANGFU_DATABASE_URL", url)
    if schema is None:
        monkeypatch.delenv("BANGFU_DATABASE_SCHEMA", raising=False)
    else:
        monkeypatch.setenv("BANGFU_DATABASE_SCHEMA", schema)


AUDIT_EVENTS = 300
# A township created after its village was recoded: the village's code sorts first.
TOWNSHIP = {
    "code": "141023900",
    "name": "新设镇",
    "level": RegionLevel.TOWNSHIP,
    "parent_code": "141023",
    "path": "141000/141023/141023900/",
    "sort_key": 0,
}
VILLAGE = {
    "code": "141023100901",
    "name": "后迁村",
    "level": RegionLevel.VILLAGE,
    "parent_code": "141023900",
    "path": "141000/141023/141023900/141023100901/",
    "sort_key": 0,
}


def _sqlite(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _table_counts(url: str, schema: str | None) -> dict[str, int]:
    engine = make_engine(url, schema=schema, pooled=False)
    try:
        async with engine.connect() as connection:
            return {
                t.name: int(await connection.scalar(select(func.count()).select_from(t)) or 0)
                for t in backup.tables(load_host())
            }
    finally:
        await engine.dispose()


async def _execute(url: str, schema: str | None, *statements: Any) -> None:
    engine = make_engine(url, schema=schema, pooled=False)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(statement)
    finally:
        await engine.dispose()


async def _scalar(url: str, schema: str | None, query: Any) -> Any:
    engine = make_engine(url, schema=schema, pooled=False)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(query)
    finally:
        await engine.dispose()


async def _unusual_rows(url: str) -> tuple[int, int]:
    """Audit events beyond one batch, a ward registered before their guardian, and a
    village whose township's code sorts after the village's: references a restore must
    insert in an order of its own."""
    engine = make_engine(url, pooled=False)
    try:
        async with engine.begin() as connection:
            ward, guardian = (
                await connection.execute(select(func.min(Person.id), func.max(Person.id)))
            ).one()
            await connection.execute(
                update(Person).where(Person.id == ward).values(guardian_id=guardian)
            )
            await connection.execute(insert(Region), [TOWNSHIP, VILLAGE])
        async with AsyncSession(engine) as session, session.begin():
            for i in range(AUDIT_EVENTS):
                await audit.record(
                    session, SYSTEM, "test.event", audit.Outcome.OK, details={"i": i}
                )
        return int(ward), int(guardian)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """Generated once per module: ``bangfu demo`` (3,000 households), audited commands,
    unusual references, then ``bangfu db backup``."""
    folder = tmp_path_factory.mktemp("stock")
    key_file, dump = folder / "bangfu.key", folder / "stock.jsonl.gz"
    url = _sqlite(folder / "source.db")
    where = ["--organisation", "141023-civil-affairs", "--region", "141023"]
    with pytest.MonkeyPatch.context() as monkeypatch:
        _env(monkeypatch, key_file, url)
        assert main(["demo"]) == 0
        monkeypatch.setattr("sys.stdin", io.StringIO("Restore-2026!check\n"))
        role = ["--role", "CIVIL_AFFAIRS_OFFICER", "--password-stdin"]
        assert main(["user", "create", "restorer", *where, *role]) == 0
        assert main(["client", "create", "partner", *where]) == 0
        ward, guardian = asyncio.run(_unusual_rows(url))
        assert main(["db", "backup", str(dump)]) == 0
        yield Source(folder, key_file, dump, asyncio.run(_table_counts(url, None)), ward, guardian)


def _lines(dump: Path) -> list[str]:
    return gzip.decompress(dump.read_bytes()).decode().splitlines()


def _write_lines(dump: Path, records: list[dict[str, Any]]) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    dump.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def _restore_and_verify(
    source: Source,
    dump: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    schema: str | None = None,
) -> None:
    """``db upgrade`` on an empty database, ``db restore``, ``audit verify``: every table
    holds what the source held, and the chain holds."""
    _env(monkeypatch, source.key_file, url, schema)
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "restore", str(dump)]) == 0
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert f"audit trail intact: {source.counts['core_audit_event']} events" in out
    assert asyncio.run(_table_counts(url, schema)) == source.counts
    # The references a restore sets after the inserts.
    guardian = select(Person.guardian_id).where(Person.id == source.ward)
    assert asyncio.run(_scalar(url, schema, guardian)) == source.guardian
    parent = select(Region.parent_code).where(Region.code == VILLAGE["code"])
    assert asyncio.run(_scalar(url, schema, parent)) == TOWNSHIP["code"]


def _pg_schema(url: str) -> str:
    schema = f"restore_{uuid.uuid4().hex[:10]}"
    asyncio.run(_execute(url, None, text(f'CREATE SCHEMA "{schema}"')))
    return schema


def _drop_schemas(url: str | None, schemas: list[str]) -> None:
    for schema in schemas:
        asyncio.run(_execute(url or "", None, text(f'DROP SCHEMA "{schema}" CASCADE')))


def test_stock_demo_round_trip(
    stock: Source,
    database_url: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SQLite → SQLite; with PostgreSQL: SQLite → PostgreSQL → SQLite. The last copy's
    backup is the source's backup, line for line."""
    header = json.loads(_lines(stock.dump)[0])
    assert {r.split("_")[0] for r in header["revisions"]} == {"core", *PLUGINS}
    for plugin in PLUGINS:  # each built-in plugin's tables hold rows
        assert sum(n for t, n in stock.counts.items() if t.startswith(f"{plugin}_")) > 0
    assert stock.counts["core_audit_event"] > AUDIT_EVENTS
    assert stock.counts["core_person"] > 3 * backup.BATCH
    assert stock.counts["core_api_client"] == 1

    schemas: list[str] = []
    try:
        last = stock.dump
        if database_url is not None:
            schemas.append(_pg_schema(database_url))
            _restore_and_verify(stock, last, monkeypatch, capsys, database_url, schemas[0])
            last = tmp_path / "from-postgresql.jsonl.gz"
            assert main(["db", "backup", str(last)]) == 0
        _restore_and_verify(stock, last, monkeypatch, capsys, _sqlite(tmp_path / "restored.db"))
        assert main(["db", "backup", str(tmp_path / "again.jsonl.gz")]) == 0
        assert _lines(tmp_path / "again.jsonl.gz") == _lines(stock.dump)
    finally:
        _drop_schemas(database_url, schemas)


@dataclass
class Small:
    """``bangfu demo --households 30`` on SQLite, backed up with ``bangfu db backup``."""

    url: str
    key_file: Path
    dump: Path


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Small]:
    folder = tmp_path_factory.mktemp("small")
    found = Small(_sqlite(folder / "small.db"), folder / "bangfu.key", folder / "small.jsonl.gz")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _env(monkeypatch, found.key_file, found.url)
        assert main(["demo", "--households", "30"]) == 0
        assert main(["db", "backup", str(found.dump)]) == 0
    yield found


MISSING = 987654321


def _rows(records: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    return [r["row"] for r in records if r.get("table") == table]


def _orphan_in_last_table(records: list[dict[str, Any]]) -> str:
    last = [r["table"] for r in records if "table" in r][-1]
    row = _rows(records, last)[-1]
    row[next(c for c in row if c.endswith("_id"))] = MISSING
    return f"table {last}: a row refers to a row that the backup does not hold (foreign key"


def _guardian_missing(records: list[dict[str, Any]]) -> str:
    _rows(records, "core_person")[0]["guardian_id"] = MISSING
    return "table core_person: a row refers to a row that the backup does not hold (foreign key"


def _username_twice(records: list[dict[str, Any]]) -> str:
    first, second = _rows(records, "core_user")[:2]
    second["username"] = first["username"]
    return "table core_user: two rows have the same key (unique"


def _birth_date_unreadable(records: list[dict[str, Any]]) -> str:
    person = _rows(records, "core_person")[0]
    person["birth_date"] = f"{person['name']} {MISSING}"
    return "table core_person: column birth_date holds a value that is not a date"


def _name_as_version(records: list[dict[str, Any]]) -> str:
    # SQLite would store the text in an integer column; PostgreSQL's COPY would refuse it
    # with the value in its message.
    _rows(records, "core_household")[0]["version"] = _rows(records, "core_person")[0]["name"]
    return "table core_household: column version holds a value that is not a whole number"


def test_a_failed_restore_changes_nothing_and_prints_no_row(
    small: Small,
    database_url: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Backups that break the target's rules (at the last table, in a reference set after
    every insert, a duplicate user name, values of the wrong kind): one line naming the
    table and the failure, no value of any row (nor, with ``--debug``, of any statement),
    and the target as it was."""
    original = [json.loads(line) for line in _lines(small.dump)]
    persons, users = _rows(original, "core_person"), _rows(original, "core_user")
    private = {persons[0]["name"], persons[0]["phone"], users[0]["username"], str(MISSING)}
    private.discard(None)
    url, schema = _sqlite(tmp_path / "target.db"), None
    if database_url is not None:
        url, schema = database_url, _pg_schema(database_url)
    try:
        _env(monkeypatch, small.key_file, url, schema)
        assert main(["db", "upgrade"]) == 0
        upgraded = asyncio.run(_table_counts(url, schema))
        damages = (
            _orphan_in_last_table,
            _guardian_missing,
            _username_twice,
            _birth_date_unreadable,
        )
        for damage, debug in itertools.product(damages, (False, True)):
            records = [json.loads(line) for line in _lines(small.dump)]
            message = damage(records)
            bad = tmp_path / f"{damage.__name__}.jsonl.gz"
            _write_lines(bad, records)
            capsys.readouterr()
            assert main(["db", "restore", str(bad), *(["--debug"] * debug)]) == 1
            out, err = capsys.readouterr()
            first, *rest = err.splitlines()
            assert first.startswith(f"bangfu db restore: {message}"), first
            assert first.endswith("nothing was restored"), first
            if debug:
                assert rest[0] == "Traceback (most recent call last):"
            else:
                assert rest == ["(--debug shows where it failed)"]
            for value in private:
                assert value not in out + err, (damage.__name__, value)
            assert asyncio.run(_table_counts(url, schema)) == upgraded
    finally:
        _drop_schemas(database_url, [schema] if schema else [])


# Another plugin's model, imported by the process but not enabled (a test module, a plugin
# switched off): on the same metadata, as plugins' models are, its table not in the database.
STRAY_PLUGIN = """
import sys
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from bangfu.plugin import Base, PersonScoped
from bangfu.cli import main


class Note(PersonScoped, Base):
    __tablename__ = "stray_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"))
    text: Mapped[str] = mapped_column(String(100))


assert "stray_note" in Base.metadata.tables
sys.exit(main(sys.argv[1:]))
"""


def test_a_process_with_another_plugins_model_backs_up_and_restores(
    small: Small, database_url: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``bangfu db backup`` and ``restore`` in a process that also imported a model of a
    plugin the database does not have: the backup holds the host's tables (the same file
    as without the model) and restores. In a child process, so that the model stays out of
    this one's metadata."""

    def bangfu(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-c", STRAY_PLUGIN, *args], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr

    dump = tmp_path / "with-stray-model.jsonl.gz"
    _env(monkeypatch, small.key_file, small.url)
    bangfu("db", "backup", str(dump))
    assert _lines(dump) == _lines(small.dump)
    url, schema = _sqlite(tmp_path / "target.db"), None
    if database_url is not None:
        url, schema = database_url, _pg_schema(database_url)
    try:
        _env(monkeypatch, small.key_file, url, schema)
        bangfu("db", "upgrade")
        bangfu("db", "restore", str(dump))
        counts = asyncio.run(_table_counts(url, schema))
        assert counts == asyncio.run(_table_counts(small.url, None))
        assert counts["core_person"] > 0 and "stray_note" not in counts
    finally:
        _drop_schemas(database_url, [schema] if schema else [])


def test_refusals_are_one_line(
    small: Small, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, small.key_file, small.url)
    capsys.readouterr()
    assert main(["db", "restore", str(small.dump)]) == 1  # into the database it came from
    assert capsys.readouterr().err == (
        "bangfu db restore: table core_bottom_line_rules is not empty: restore needs an empty database\n"
    )
    missing = small.dump.parent / "no-such-folder" / "b.jsonl.gz"
    assert main(["db", "backup", str(missing)]) == 1
    first, *rest = capsys.readouterr().err.splitlines()
    assert first.startswith("bangfu db backup: failed ([Errno 2] No such file or directory")
    assert first.endswith("; no file written")
    assert rest == ["(--debug shows where it failed)"]
