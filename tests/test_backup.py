"""Backup, then restore into an empty instance: the counts and the audit chain hold."""

import datetime as dt
import gzip
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bangfu.testing import Harness
from core import backup
from core.demo import load_demo
from core.registry.models import Person
from core.registry.persons import read_id_number
from core.security import SYSTEM, audit

pytestmark = pytest.mark.anyio


async def counts(h: Harness) -> dict[str, int]:
    async with h.engine.connect() as connection:
        return {
            t.name: int(await connection.scalar(select(func.count()).select_from(t)) or 0)
            for t in backup.tables()
        }


async def test_backup_then_restore_into_an_empty_instance(
    tmp_path: Path, database_url: str | None
) -> None:
    dump = tmp_path / "bangfu-backup.jsonl.gz"
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
        written = await backup.backup(source.engine, dump, revisions=set())
        assert written == before
        assert stat.S_IMODE(dump.stat().st_mode) == 0o600
        async with source.session() as session:
            numbers = {
                p.id: read_id_number(source.cipher, p)
                for p in (await session.scalars(select(Person))).all()
            }

    # The target is the parametrised database: SQLite, and PostgreSQL when configured.
    async with Harness.start(tmp_path / "target", database_url=database_url) as target:
        restored = await backup.restore(target.engine, dump, revisions=set())
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
            await backup.restore(target.engine, dump, revisions=set())


async def test_restore_refuses_other_revisions_and_truncated_files(tmp_path: Path) -> None:
    dump = tmp_path / "b.jsonl.gz"
    async with Harness.start(tmp_path) as h:
        await backup.backup(h.engine, dump, revisions={"core_0002"})
        with pytest.raises(backup.RestoreError, match="migrate to the same revisions"):
            await backup.restore(h.engine, dump, revisions={"core_0001"})
        lines = gzip.decompress(dump.read_bytes()).decode().splitlines()
        (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress("\n".join(lines[:-1]).encode()))
        with pytest.raises(backup.RestoreError, match="truncated"):
            await backup.restore(h.engine, tmp_path / "cut.jsonl.gz", revisions={"core_0002"})
