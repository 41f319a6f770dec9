"""The bottom line's tally (``core_bottom_line_tally``): triggers on the stored verdicts keep
the summary's counts, whatever writes them; it always equals counting the verdicts; a
compaction changes no count; a restored backup has it again; on PostgreSQL two writers of
one village's counts never wait for each other."""

import argparse
import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from bangfu import bottomline_cli
from bangfu.core import backup
from bangfu.core.bottomline import tally
from bangfu.core.bottomline.models import BottomLineTally
from bangfu.core.registry.models import Person
from bangfu.demo import load_demo
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

TODAY = dt.date(2026, 11, 28)


async def demo(h: Harness, households: int = 30) -> None:
    async with h.session() as session, session.begin():
        await load_demo(session, h.cipher, h.host, households=households, seed=11, today=TODAY)


async def state(h: Harness) -> tuple[Counter[tally.Key], list[str]]:
    async with h.session() as session:
        return await tally.counts(session, None), await tally.differences(session)


async def test_the_tally_counts_the_hardship_verdicts_through_every_change(
    harness: Harness,
) -> None:
    await demo(harness)
    kept, differences = await state(harness)
    assert differences == []
    persons = sum(n for (_, indicator, _), n in kept.items() if indicator == "FOOD")
    assert persons > 20  # the demo's hardship persons, counted once per indicator
    # A write that ends a hardship person's hardship: their ten counts go.
    async with harness.session() as session:
        someone = await session.scalar(
            text(
                "SELECT person_id FROM core_bottom_line_verdict WHERE hardship "
                "ORDER BY person_id LIMIT 1"
            )
        )
    async with harness.session() as session, session.begin():
        await session.execute(update(Person).where(Person.id == someone).values(deceased=True))
    after, differences = await state(harness)
    assert differences == []
    assert sum(n for (_, indicator, _), n in after.items() if indicator == "FOOD") == persons - 1
    # Compacting changes no count; on PostgreSQL it leaves one row per key.
    async with harness.session() as session, session.begin():
        await tally.compact(session)
    await tally.vacuum(harness.services.sessions, full=True)  # PostgreSQL; nothing on SQLite
    compacted, differences = await state(harness)
    assert (compacted, differences) == (after, [])
    async with harness.session() as session:
        slots = await session.scalar(
            select(func.count()).select_from(BottomLineTally).where(BottomLineTally.slot != 0)
        )
        zeros = await session.scalar(
            select(func.count()).select_from(BottomLineTally).where(BottomLineTally.n == 0)
        )
    assert (slots, zeros) == (0, 0)


async def test_a_restored_backup_has_its_tally_again(
    tmp_path: Path, harness: Harness, database_url: str | None
) -> None:
    await demo(harness, households=40)
    kept, _ = await state(harness)
    dump = tmp_path / "backup.jsonl.gz"
    written = await backup.backup(harness.engine, dump, revisions=set(), host=harness.host)
    assert "core_bottom_line_tally" not in written  # derived: not in the file
    assert written["core_bottom_line_verdict"] > 0
    (tmp_path / "target").mkdir()
    async with Harness.start(tmp_path / "target", database_url=database_url) as target:
        await backup.restore(target.engine, dump, revisions=set(), host=target.host)
        assert await state(target) == (kept, [])


async def test_writers_of_one_village_do_not_wait_for_each_other(
    harness: Harness, database_url: str | None
) -> None:
    """PostgreSQL: each transaction counts in a slot of its own. (SQLite has one writer.)"""
    if database_url is None:
        pytest.skip("one writer at a time on SQLite: nothing to wait for")
    await demo(harness, households=10)
    async with harness.session() as session:
        area, first, second = (
            await session.execute(
                text(
                    "SELECT p.area_path, min(p.id), max(p.id) FROM core_person p "
                    "GROUP BY p.area_path HAVING count(*) > 1 ORDER BY 1 LIMIT 1"
                )
            )
        ).one()
    insert = text(
        "INSERT INTO core_bottom_line_verdict (person_id, indicator, status, reasons, modules, "
        "judged_on, valid_until, hardship, area_path) VALUES (:p, 'TALLY_TEST', 'AT_RISK', "
        "'[]', 'test', :day, NULL, true, :area)"
    )
    async with harness.engine.connect() as one, harness.engine.connect() as other:
        await one.begin()
        await one.execute(insert, {"p": first, "day": TODAY, "area": area})
        await other.begin()
        await other.execute(insert, {"p": second, "day": TODAY, "area": area})
        await asyncio.wait_for(other.commit(), timeout=10)  # not held by the open one
        await one.commit()
    kept, differences = await state(harness)
    assert differences == []
    assert kept[(area, "TALLY_TEST", "AT_RISK")] == 2


async def test_check_finds_a_tampered_tally(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    await demo(harness, households=10)
    check = argparse.Namespace(bottomline_command="check", sample=None, region=None)
    assert await bottomline_cli.run(check, harness.settings, harness.host) == 0
    assert "the tally equals their counts" in capsys.readouterr().out
    async with harness.session() as session, session.begin():
        area = await session.scalar(select(BottomLineTally.area_path).limit(1))
        await session.execute(
            update(BottomLineTally)
            .where(BottomLineTally.area_path == area, BottomLineTally.indicator == "FOOD")
            .values(n=BottomLineTally.n + 5)
        )
    assert await bottomline_cli.run(check, harness.settings, harness.host) == 1
    out = capsys.readouterr().out
    assert f"tally {area} FOOD" in out and "counted" in out


async def test_a_rebuild_leaves_the_planner_statistics_of_the_verdicts(
    harness: Harness,
) -> None:
    """After ``bangfu bottomline rebuild`` PostgreSQL's planner knows the new verdicts
    (ANALYZE): with the old statistics a compiled page read the city's range of the area
    index for every person. SQLite keeps no such statistics: nothing to do there."""
    from bangfu.core.bottomline import stored

    await demo(harness)
    await stored.rebuild(harness.services.sessions, harness.host, harness.settings)
    async with harness.session() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
        analysed = await session.scalar(
            text(
                "SELECT coalesce(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
                "WHERE relname = 'core_bottom_line_verdict' AND schemaname = current_schema()"
            )
        )
    assert analysed is not None
