"""Scheduled work on Huey (bangfu.core.jobs): the holiday job, retries and the record of
runs, and several workers sharing one queue without running a job twice.

Each test runs on SQLite and, when ``BANGFU_TEST_DATABASE_URL`` is set, on PostgreSQL."""

import asyncio
import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from huey.storage import PostgresStorage
from sqlalchemy import func, select, text

from bangfu.cli import main
from bangfu.core.calendar import Holiday, today
from bangfu.core.care import jobs as care_jobs
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.jobs import HOLIDAY_EVENTS, holidays_due
from bangfu.core.config import Settings
from bangfu.core.jobs import Daily, Every, Job, JobContext, JobFailure, JobRegistry
from bangfu.core.jobs.models import JobRun
from bangfu.core.jobs.queue import POSTGRES_TABLE_PREFIX, POSTGRES_TABLES, JobQueue
from bangfu.core.migrate import JOB_QUEUE_TABLES
from bangfu.migrations.versions.core_0006_jobs import HUEY_POSTGRES_DDL, HUEY_TABLES
from bangfu.testing import Harness
from tests import jobs_worker
from tests.helpers import World
from tests.test_care_helpers import family, official, pair

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent


async def queue_tables(harness: Harness) -> None:
    """On PostgreSQL, the queue's tables as migration core_0006 makes them (the harness
    creates the models' tables only); on SQLite the queue has its own file."""
    if harness.settings.is_sqlite:
        return
    async with harness.engine.begin() as connection:
        for statement in HUEY_POSTGRES_DDL:
            await connection.execute(text(statement))


async def runs(harness: Harness) -> list[JobRun]:
    async with harness.session() as session:
        return list(await session.scalars(select(JobRun).order_by(JobRun.id)))


def test_the_migration_creates_the_tables_huey_expects() -> None:
    storage = PostgresStorage("bangfu", table_prefix=POSTGRES_TABLE_PREFIX, create_tables=False)
    assert tuple(storage.ddl) == HUEY_POSTGRES_DDL
    assert set(HUEY_TABLES) == set(POSTGRES_TABLES) == JOB_QUEUE_TABLES


def test_schedules() -> None:
    china = dt.timezone(dt.timedelta(hours=8))
    daily = Daily(dt.time(1, 0))
    assert daily.period(dt.datetime(2026, 12, 6, 0, 59, tzinfo=china)) is None
    assert daily.period(dt.datetime(2026, 12, 6, 1, 0, tzinfo=china)) == "2026-12-06"
    assert daily.period(dt.datetime(2026, 12, 5, 17, 30, tzinfo=dt.UTC)) == "2026-12-06"
    every = Every(10)
    assert every.period(dt.datetime(2026, 12, 6, 0, 0, 9, tzinfo=dt.UTC)) == (
        "2026-12-06T00:00:00+00:00"
    )
    assert holidays_due(dt.date(2026, 12, 20), 14) == [
        (Holiday.NEW_YEAR, 2027, dt.date(2027, 1, 1))
    ]
    assert holidays_due(dt.date(2026, 12, 20), 11) == []
    with pytest.raises(ValueError):
        Job("Bad Name", HOLIDAY_EVENTS.run)
    with pytest.raises(ValueError):
        JobRegistry([HOLIDAY_EVENTS, HOLIDAY_EVENTS])


async def test_the_holiday_job_raises_the_events_once(world: World) -> None:
    h = world.h
    await queue_tables(h)
    _, gid = await official(h, "official-a")
    for _ in range(2):
        f = await family(h)
        await pair(world, f.person_gids[0], gid)
    # At most 92 days separate two major holidays: one is always within 100 days.
    settings = h.settings.model_copy(update={"holiday_events_lead_days": 100})
    due = holidays_due(today(), 100)
    assert due
    # Due from midnight (the real job waits until 01:00), whenever the test runs.
    job = dataclasses.replace(HOLIDAY_EVENTS, schedule=Daily(dt.time(0, 0)))
    queue = JobQueue(settings, JobRegistry([job]), blocking=False)
    try:
        assert await asyncio.to_thread(queue.run_once) == 1  # today's period: claimed, run
        assert await asyncio.to_thread(queue.run_once) == 0  # the period is done
        queue.enqueue(HOLIDAY_EVENTS.name)  # run by hand once more: nothing new
        assert await asyncio.to_thread(queue.run_once) == 1
    finally:
        queue.close()
    async with h.session() as session:
        raised = await session.scalar(select(func.count(CareEvent.id)))
    assert raised == 2 * len(due)
    first, second = await runs(h)
    assert (first.job, first.outcome, first.attempts) == ("care.holiday-events", "SUCCEEDED", 1)
    assert first.period == today().isoformat() and first.finished_at is not None
    slug, year = due[0][0].slug, due[0][1]
    assert first.detail is not None and f"{slug} {year}: 2" in first.detail
    assert second.period is None and second.detail is not None
    assert f"{slug} {year}: 0" in second.detail


async def test_a_failing_job_is_retried_and_its_runs_recorded(harness: Harness) -> None:
    await queue_tables(harness)
    calls: Counter[str] = Counter()

    async def flaky(context: JobContext) -> str:
        calls["flaky"] += 1
        assert context.attempt == calls["flaky"]
        if context.attempt < 3:
            raise ConnectionError("the service at 10.0.0.7 is down")
        return "done on the third attempt"

    async def broken(context: JobContext) -> None:
        calls["broken"] += 1
        raise JobFailure("the notification service refused the batch")

    async def personal(context: JobContext) -> None:
        raise ValueError("张三 110101199003078515 has no pairing")

    registry = JobRegistry(
        [
            Job("test.flaky", flaky, retries=3, retry_delay=0),
            Job("test.broken", broken, retries=1, retry_delay=0),
            Job("test.personal", personal, retries=0),
            Job("test.later", personal, retries=2, retry_delay=3600),
        ]
    )
    queue = JobQueue(harness.settings, registry, blocking=False)
    try:
        ids = {name: queue.enqueue(name) for name in ("test.flaky", "test.broken")}
        ids["test.personal"] = queue.enqueue("test.personal")
        ids["test.later"] = queue.enqueue("test.later")
        assert await asyncio.to_thread(queue.run_once) == 3 + 2 + 1 + 1
        assert await asyncio.to_thread(queue.run_once) == 0  # the retry of test.later: later
    finally:
        queue.close()
    assert calls == {"flaky": 3, "broken": 2}
    by_task = {run.task_id: run for run in await runs(harness)}
    flaky_run = by_task[ids["test.flaky"]]
    assert (flaky_run.outcome, flaky_run.attempts) == ("SUCCEEDED", 3)
    assert flaky_run.detail == "done on the third attempt"
    assert flaky_run.error == "ConnectionError"  # the last failure, without its message
    broken_run = by_task[ids["test.broken"]]
    assert (broken_run.outcome, broken_run.attempts) == ("FAILED", 2)
    assert broken_run.error == "JobFailure: the notification service refused the batch"
    assert broken_run.finished_at is not None
    personal_run = by_task[ids["test.personal"]]
    assert (personal_run.outcome, personal_run.attempts, personal_run.error) == (
        "FAILED",
        1,
        "ValueError",
    )
    later = by_task[ids["test.later"]]
    assert (later.outcome, later.attempts, later.finished_at) == ("RETRYING", 1, None)


def _environment(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "BANGFU_DATABASE_URL": settings.database_url}
    env.pop("BANGFU_DATABASE_SCHEMA", None)
    if settings.database_schema:
        env["BANGFU_DATABASE_SCHEMA"] = settings.database_schema
    env["BANGFU_JOBS_CHECK_SECONDS"] = "1"
    return env


def spawn(log: Path, env: dict[str, str]) -> "subprocess.Popen[bytes]":
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs_worker", str(log)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
async def workers(harness: Harness, tmp_path: Path) -> AsyncIterator[tuple[Path, Any]]:
    """Two worker processes on the harness's database; stopped (SIGTERM) by ``stop``."""
    await queue_tables(harness)
    log = tmp_path / "runs.log"
    env = _environment(harness.settings)
    processes = [spawn(log, env) for _ in range(2)]

    def stop() -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    try:
        for process in processes:
            assert process.stdout is not None
            assert await asyncio.to_thread(process.stdout.readline) == b"ready\n"
        yield log, stop
    finally:
        stop()


async def test_two_workers_run_a_job_once_and_a_periodic_job_once_per_period(
    harness: Harness, workers: tuple[Path, Any]
) -> None:
    log, stop = workers
    queue = JobQueue(harness.settings, jobs_worker.registry(str(log)), blocking=False)
    try:
        task_id = queue.enqueue("test.once")
    finally:
        queue.close()
    await asyncio.sleep(3 * jobs_worker.TICK_SECONDS + 0.5)  # three or four periods
    await asyncio.to_thread(stop)
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [line[:2] for line in lines if line[0] == "test.once"] == [["test.once", "-"]]
    ticks = Counter(period for name, period, _ in lines if name == "test.tick")
    assert len(ticks) >= 2, lines  # several periods passed ...
    assert set(ticks.values()) == {1}, lines  # ... and each ran once
    recorded = await runs(harness)
    once = [run for run in recorded if run.job == "test.once"]
    assert [(run.task_id, run.outcome) for run in once] == [(task_id, "SUCCEEDED")]
    periods = Counter(run.period for run in recorded if run.job == "test.tick")
    assert periods == ticks
    assert all(run.outcome == "SUCCEEDED" for run in recorded)


def test_worker_and_jobs_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """On a new SQLite file: ``bangfu worker --once`` migrates it (as ``bangfu serve``
    does) and runs the daily job; ``bangfu jobs`` lists, enqueues and prints the runs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BANGFU_DATABASE_URL", "sqlite+aiosqlite:///bangfu.db")
    monkeypatch.delenv("BANGFU_DATABASE_SCHEMA", raising=False)
    # Due from midnight (the real job waits until 01:00), whenever the test runs.
    from bangfu.core.bottomline import jobs as bottom_line_jobs

    daily = dataclasses.replace(HOLIDAY_EVENTS, schedule=Daily(dt.time(0, 0)))
    monkeypatch.setattr(care_jobs, "HOLIDAY_EVENTS", daily)
    refresh = dataclasses.replace(bottom_line_jobs.REFRESH, schedule=Daily(dt.time(0, 0)))
    monkeypatch.setattr(bottom_line_jobs, "REFRESH", refresh)
    from bangfu.core.notify import jobs as notify_jobs

    reminders = dataclasses.replace(notify_jobs.CARE_REMINDERS, schedule=Daily(dt.time(0, 0)))
    monkeypatch.setattr(notify_jobs, "CARE_REMINDERS", reminders)
    # The daily jobs (the refresh, the holidays, the care reminders), the tally's
    # compaction (every 10 min), the notifications' delivery (every minute) and the
    # webhooks' (every 30 s).
    assert main(["worker", "--once"]) == 0
    assert "bangfu worker: ran 6 jobs" in capsys.readouterr().out
    assert (tmp_path / "bangfu.jobs.db").exists()
    assert main(["jobs", "list"]) == 0
    assert "care.holiday-events" in capsys.readouterr().out
    assert main(["jobs", "enqueue", "care.holiday-events"]) == 0
    assert main(["jobs", "enqueue", "nothing"]) == 2
    assert main(["worker", "--once"]) == 0
    assert "bangfu worker: ran 1 job" in capsys.readouterr().out
    assert main(["jobs", "runs", "--limit", "7"]) == 0
    out = capsys.readouterr().out
    assert out.count("care.holiday-events") == 2 and out.count("bottomline.refresh") == 1
    assert out.count("bottomline.compact-tally") == 1
    assert out.count("notify.care-reminders") == 1 and out.count("notify.deliver") == 1
    assert out.count("webhooks.deliver") == 1
    assert out.count("SUCCEEDED") == 7


async def test_the_refresh_job_judges_what_the_calendar_made_due(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``bottomline.refresh`` (daily): after the calendar passes verdicts' ``valid_until``,
    exactly those persons are judged again, and its run says how many."""
    from bangfu.core import calendar
    from bangfu.core.bottomline import stored
    from bangfu.core.bottomline.jobs import REFRESH
    from bangfu.core.bottomline.models import StoredVerdict
    from bangfu.core.security.actor import SYSTEM
    from bangfu.demo import load_demo

    await queue_tables(harness)
    async with harness.session() as session, session.begin():
        await load_demo(session, harness.cipher, harness.host, households=30, seed=5)
    await stored.rebuild(harness.services.sessions, harness.host, harness.settings)
    async with harness.session() as session:
        session.info["actor"] = SYSTEM
        first_due = await session.scalar(select(func.min(StoredVerdict.valid_until)))
        assert first_due is not None
        due = set(
            await session.scalars(
                select(StoredVerdict.person_id).where(StoredVerdict.valid_until <= first_due)
            )
        )
    real_today = calendar.today()
    monkeypatch.setattr(calendar, "today", lambda: first_due)
    job = dataclasses.replace(REFRESH, schedule=None)
    queue = JobQueue(harness.settings, JobRegistry([job]), blocking=False)
    try:
        queue.enqueue(REFRESH.name)
        assert await asyncio.to_thread(queue.run_once) == 1
    finally:
        queue.close()
    (run,) = await runs(harness)
    assert (run.job, run.outcome) == ("bottomline.refresh", "SUCCEEDED")
    assert run.detail == f"judged {len(due)} persons ({len(due)} due)"
    async with harness.session() as session:
        session.info["actor"] = SYSTEM
        left = await session.scalar(
            select(func.count()).where(StoredVerdict.valid_until <= first_due)
        )
        judged_today = set(
            await session.scalars(
                select(StoredVerdict.person_id).where(StoredVerdict.judged_on == first_due)
            )
        )
    assert left == 0
    # Judged on the rebuild's day too when that is the first day due; else exactly those.
    assert due <= judged_today
    if first_due > real_today:
        assert judged_today == due
