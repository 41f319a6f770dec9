"""Imports at the same time: one at a time per database, each seeing what the one before
committed; one that waits too long, or loses a race to another writer, gets a clean,
retryable answer. Real concurrency, on SQLite and PostgreSQL."""

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import bangfu.core.roster.importer
from bangfu.core.roster.importer import RosterImport
from bangfu.core.roster.lock import ImportBusy
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, World, id_number, make_world
from tests.roster_files import household, workbook
from tests.test_roster_import import audit_rows, counts, upload

pytestmark = pytest.mark.anyio


@pytest.fixture
def all_read_first(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """``arm(n)``: the next ``n`` imports each finish reading their file (in its worker
    thread) before any of them opens its transaction, so that they truly overlap."""

    def arm(n: int) -> None:
        barrier = threading.Barrier(n, timeout=120)
        real = RosterImport._parse

        def parse(self: RosterImport, path: Path, report: Any) -> Any:
            rows = real(self, path, report)
            barrier.wait()
            return rows

        monkeypatch.setattr(RosterImport, "_parse", parse)

    return arm


def rows_of_households(count: int) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for _ in range(count):
        rows += household(
            XIANGFEN_VILLAGE,
            (id_number(), "户主"),
            (id_number(), "配偶", "配偶"),
            (id_number(), "子女", "子女"),
        )
    return rows


async def test_the_same_file_three_times_at_once(
    world: World, all_read_first: Callable[[int], None]
) -> None:
    h = world.h
    content = workbook(rows_of_households(4))
    all_read_first(3)
    responses = await asyncio.gather(*(upload(h, world.xiangfen, content) for _ in range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200], [r.text for r in responses]
    rows = sorted((r.json()["counts"]["rows"] for r in responses), key=lambda c: c["CREATED"])
    assert rows == [
        {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 12},
        {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 12},
        {"CREATED": 12, "UPDATED": 0, "UNCHANGED": 0},
    ]
    assert await counts(h) == {
        "Person": 12,
        "Household": 4,
        "Membership": 12,
        "CategoryAssignment": 0,
    }
    assert await audit_rows(h) == [("roster.import", "ok", False)] * 3


async def test_overlapping_files_at_once(
    world: World, all_read_first: Callable[[int], None]
) -> None:
    h = world.h
    rows = rows_of_households(6)
    first, second = workbook(rows[:12]), workbook(rows[6:])  # households 3 and 4 in both
    all_read_first(2)
    responses = await asyncio.gather(
        upload(h, world.xiangfen, first), upload(h, world.xiangfen, second)
    )
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    created = sorted(r.json()["counts"]["rows"]["CREATED"] for r in responses)
    assert created == [6, 12]  # the second found the first's households and added two
    assert (await counts(h))["Person"] == 18 and (await counts(h))["Household"] == 6


async def test_an_import_that_waits_too_long_may_be_sent_again(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"roster_import_wait_seconds": 1}
    ) as h:
        world = await make_world(h)
        gave_up = asyncio.Event()
        real = bangfu.core.roster.importer.import_lock

        async def watched(session: Any, wait_seconds: int) -> None:
            try:
                await real(session, wait_seconds)
            except ImportBusy:
                gave_up.set()
                raise

        monkeypatch.setattr(bangfu.core.roster.importer, "import_lock", watched)
        content = workbook(rows_of_households(1))
        # Another import holds the lock (taken here the way an import takes it).
        async with h.engine.connect() as holder:
            await holder.begin()
            if holder.dialect.name == "postgresql":
                await holder.execute(
                    text(
                        "SELECT pg_advisory_xact_lock(hashtext('bangfu roster import ' "
                        "|| current_schema()))"
                    )
                )
            else:
                await holder.exec_driver_sql("BEGIN IMMEDIATE")
            waiting = asyncio.create_task(upload(h, world.xiangfen, content))
            await gave_up.wait()
            await holder.rollback()
        response = await waiting
        assert response.status_code == 409, response.text
        assert response.headers["retry-after"] == "60"
        report = response.json()
        assert report["retryable"] and not report["committed"] and report["counts"] == {}
        assert report["failure"] == (
            "another roster import was running for longer than this one may wait; nothing "
            "was written: send the file again in a few minutes"
        )
        assert (await counts(h))["Person"] == 0
        assert await audit_rows(h) == [("roster.import", "failed", False)]
        again = await upload(h, world.xiangfen, content)
        assert again.status_code == 200 and (await counts(h))["Person"] == 3


async def test_a_mutation_that_wins_a_race_leaves_a_retryable_import(
    world: World, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database_url is None or database_url.startswith("sqlite"):
        pytest.skip("on SQLite an import holds the write lock: no other writer can race it")
    h = world.h
    rows = rows_of_households(1)
    real = RosterImport._check_database

    async def then_registered_meanwhile(self: RosterImport, *args: Any) -> None:
        await real(self, *args)
        # Between the checks and the writes, another user registers the head.
        await h.household(XIANGFEN_VILLAGE, [("HEAD", "抢先登记", rows[0][1])])

    monkeypatch.setattr(RosterImport, "_check_database", then_registered_meanwhile)
    response = await upload(h, world.xiangfen, workbook(rows))
    assert response.status_code == 409, response.text
    report = response.json()
    assert report["retryable"] and report["counts"] == {}
    assert "another change registered some of the same persons or households" in (report["failure"])
    assert (await counts(h))["Person"] == 1  # the mutation's, not the import's
    monkeypatch.setattr(RosterImport, "_check_database", real)
    again = await upload(h, world.xiangfen, workbook(rows))  # sent again: it now fits
    assert again.status_code == 200, again.text
    assert (await counts(h))["Person"] == 3
