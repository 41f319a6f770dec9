"""The job queue: Huey (https://huey.readthedocs.io), on the database Bangfu already has.

- SQLite (the embedded default): Huey's ``SqliteStorage`` in a file beside the database,
  ``bangfu.jobs.db`` for ``bangfu.db`` (:func:`jobs_sqlite_file`). Workers on the one
  machine share it.
- PostgreSQL: Huey's ``PostgresStorage`` (psycopg 3) on the tables ``huey_task``,
  ``huey_schedule``, ``huey_kv`` and ``huey_counter`` of Bangfu's own database (migration
  core_0006), so workers on several machines share one queue: a task is taken with
  ``DELETE ... FOR UPDATE SKIP LOCKED`` (one worker each), LISTEN/NOTIFY wakes idle ones.

Huey retries failed tasks and schedules delayed ones. Two things are added here, on Huey's
own extension points:

- Periodic jobs are enqueued at most once per period, whichever worker sees the period
  first: :meth:`_Huey.read_periodic` claims ``periodic:<job>:<period>`` with the storage's
  atomic ``put_if_empty`` (an ``INSERT`` under the key table's primary key) before it
  enqueues. Huey itself expects one scheduler among its consumers; this lets every worker
  run one, so no machine is special.
- The record of runs (``core_job_run``) is written from Huey's signals and post-execute
  hook, in the worker's thread, on Bangfu's database.
"""

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from huey import Huey, signals
from huey.api import Task, TaskWrapper
from huey.consumer import Consumer, Scheduler
from huey.storage import PostgresStorage, SqliteStorage
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker, utcnow
from bangfu.core.errors import DomainError
from bangfu.core.jobs import Job, JobContext, JobFailure, JobRegistry, Schedule
from bangfu.core.jobs.models import JobOutcome, JobRun
from bangfu.core.security import SYSTEM

if TYPE_CHECKING:
    from bangfu.core.plugins import PluginHost

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Huey's queue name (one queue: the rows of every table carry it).
QUEUE_NAME = "bangfu"
#: The tables of Huey's PostgreSQL storage (migration core_0006 creates them).
POSTGRES_TABLE_PREFIX = "huey"
POSTGRES_TABLES = tuple(
    f"{POSTGRES_TABLE_PREFIX}_{name}" for name in ("kv", "schedule", "task", "counter")
)
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"[:120]


def jobs_sqlite_file(settings: Settings) -> Path:
    """The queue's SQLite file beside the database file: ``bangfu.jobs.db``."""
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise ValueError("the job queue needs a SQLite database file")
    path = Path(database)
    return path.with_name(f"{path.stem}.jobs{path.suffix or '.db'}")


def postgres_connection_params(settings: Settings) -> dict[str, Any]:
    """psycopg's connection parameters for the database of ``BANGFU_DATABASE_URL``."""
    url = make_url(settings.database_url)
    params: dict[str, Any] = {
        "host": url.host or url.query.get("host"),
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
        "application_name": "bangfu-worker",
    }
    ssl = url.query.get("ssl") or url.query.get("sslmode")
    if isinstance(ssl, str):
        params["sslmode"] = ssl
    if settings.database_schema:
        params["options"] = f"-c search_path={settings.database_schema}"
    return {key: value for key, value in params.items() if value is not None}


class _Huey(Huey):
    """Huey whose periodic tasks are claimed per period before they are enqueued."""

    def __init__(self, *args: Any, schedules: dict[str, Schedule], **kwargs: Any) -> None:
        self.schedules = schedules
        super().__init__(*args, **kwargs)

    def read_periodic(self, timestamp: dt.datetime | None) -> list[Task]:
        now = (timestamp or self._get_timestamp()).replace(tzinfo=dt.UTC)  # Huey: naive UTC
        claimed = []
        for task in super().read_periodic(now.replace(tzinfo=None)):
            period = self.schedules[task.name].period(now)
            if period is None:
                continue
            if self.put_if_empty(f"periodic:{task.name}:{period}", now.isoformat()):
                task.kwargs = {"period": period}
                claimed.append(task)
            else:
                logger.debug("periodic job %s of %s: claimed by another worker", task.name, period)
        return claimed


@dataclasses.dataclass
class _ThreadLoop:
    """An event loop and a database engine for one worker thread (Huey's threads are
    synchronous; jobs and the record of runs are async SQLAlchemy)."""

    runner: asyncio.Runner
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return self.runner.run(coroutine)

    def close(self) -> None:
        try:
            self.runner.run(self.engine.dispose())
        finally:
            self.runner.close()


def error_text(exc: BaseException) -> str:
    """What the record of runs says of a failure: no message that could quote a row."""
    if isinstance(exc, JobFailure):
        return f"JobFailure: {exc}"[:500]
    if isinstance(exc, DomainError):
        return ("DomainError: " + ", ".join(e.code for e in exc.errors))[:500]
    return type(exc).__qualname__[:500]


class JobQueue:
    """The registry's jobs as Huey tasks on the queue ``settings`` point at.

    ``blocking`` (PostgreSQL): an idle worker waits for a notification rather than
    polling; ``bangfu worker --once`` does not wait.
    """

    def __init__(
        self,
        settings: Settings,
        registry: JobRegistry,
        *,
        blocking: bool = True,
        host: "PluginHost | None" = None,
    ):
        self.settings = settings
        self.registry = registry
        self.host = host
        schedules = {job.name: job.schedule for job in registry if job.schedule is not None}
        if settings.is_sqlite:
            self.huey = _Huey(
                QUEUE_NAME,
                results=False,
                schedules=schedules,
                storage_class=SqliteStorage,
                filename=str(jobs_sqlite_file(settings)),
            )
        else:
            self.huey = _Huey(
                QUEUE_NAME,
                results=False,
                schedules=schedules,
                storage_class=PostgresStorage,
                table_prefix=POSTGRES_TABLE_PREFIX,
                create_tables=False,  # migration core_0006
                blocking=blocking,
                **postgres_connection_params(settings),
            )
        self.tasks: dict[str, TaskWrapper] = {job.name: self._task(job) for job in registry}
        self._local = threading.local()
        self.huey.signal(signals.SIGNAL_EXECUTING)(self._started)
        self.huey.signal(signals.SIGNAL_INTERRUPTED)(self._interrupted)
        self.huey.post_execute("bangfu_record")(self._finished)
        self.huey.on_shutdown("bangfu_close")(self.close_thread)

    # -- the jobs as tasks -----------------------------------------------------------

    def _task(self, job: Job) -> TaskWrapper:
        def execute(*args: Any, task: Task, **kwargs: Any) -> str | None:
            period = kwargs.pop("period", None)
            loop = self._loop()
            context = JobContext(
                self.settings, loop.sessions, period, self._attempt(job, task), self.host
            )
            return loop.run(job.run(context, *args, **kwargs))

        options: dict[str, Any] = {
            "retries": job.retries,
            "retry_delay": job.retry_delay,
            "name": job.name,
            "context": True,
        }
        if job.schedule is None:
            return self.huey.task(**options)(execute)
        schedule = job.schedule

        def due(timestamp: dt.datetime) -> bool:
            return schedule.period(timestamp.replace(tzinfo=dt.UTC)) is not None

        return self.huey.periodic_task(due, **options)(execute)

    @staticmethod
    def _attempt(job: Job, task: Task) -> int:
        return max(1, job.retries - int(task.retries) + 1)

    def enqueue(self, name: str, **kwargs: Any) -> str:
        """Enqueue job ``name`` (keyword arguments: JSON-like values); returns the task id,
        the ``task_id`` of its row in the record of runs."""
        task = self.tasks[name].s(**kwargs)
        self.huey.enqueue(task)
        return str(task.id)

    # -- running ---------------------------------------------------------------------

    def run_once(self) -> int:
        """Enqueue what is due now (scheduled retries, periodic jobs of a new period),
        run everything in the queue in this thread, and return how many tasks ran.
        Retries that are due later stay scheduled for the next run."""
        huey = self.huey
        for task in [*huey.read_schedule(), *huey.read_periodic(None)]:
            huey.enqueue(task)
        count = 0
        try:
            while (task := huey.dequeue()) is not None:
                huey.execute(task)
                count += 1
        finally:
            self.close_thread()
        return count

    def run_worker(self, threads: int = 1) -> None:
        """Huey's consumer: ``threads`` worker threads and a scheduler that checks the
        periodic jobs every ``BANGFU_JOBS_CHECK_SECONDS``, until SIGINT (stop now, the
        running jobs are recorded INTERRUPTED) or SIGTERM (finish the running jobs)."""
        scheduler = type(
            "BangfuScheduler",
            (Scheduler,),
            {"periodic_task_seconds": self.settings.jobs_check_seconds},
        )
        consumer_class = type("BangfuConsumer", (Consumer,), {"scheduler_class": scheduler})
        consumer = consumer_class(
            self.huey,
            workers=threads,
            worker_type="thread",
            periodic=True,
            scheduler_interval=1,
            graceful_signal="TERM",
        )
        consumer.run()

    def close(self) -> None:
        self.close_thread()
        self.huey.storage.close()

    # -- per-thread loop -------------------------------------------------------------

    def _loop(self) -> _ThreadLoop:
        loop: _ThreadLoop | None = getattr(self._local, "loop", None)
        if loop is None:
            engine = make_engine(
                self.settings.database_url,
                schema=self.settings.database_schema,
                pooled=False,
                hide_parameters=True,
            )
            loop = _ThreadLoop(asyncio.Runner(), engine, make_sessionmaker(engine))
            self._local.loop = loop
        return loop

    def close_thread(self) -> None:
        loop: _ThreadLoop | None = getattr(self._local, "loop", None)
        if loop is not None:
            self._local.loop = None
            loop.close()

    # -- the record of runs ------------------------------------------------------------

    def _started(self, signal: str, task: Task, *args: Any) -> None:
        job = self.registry[task.name]
        self._record(
            task,
            outcome=JobOutcome.RUNNING,
            attempts=self._attempt(job, task),
            finished=False,
        )

    def _finished(self, task: Task, value: Any, exc: BaseException | None) -> None:
        if exc is None:
            detail = None if value is None else str(value)[:500]
            self._record(task, outcome=JobOutcome.SUCCEEDED, finished=True, detail=detail)
        elif task.retries:  # Huey tries it again
            self._record(task, outcome=JobOutcome.RETRYING, finished=False, error=exc)
        else:
            self._record(task, outcome=JobOutcome.FAILED, finished=True, error=exc)

    def _interrupted(self, signal: str, task: Task, *args: Any) -> None:
        self._record(task, outcome=JobOutcome.INTERRUPTED, finished=True)

    def _record(
        self,
        task: Task,
        *,
        outcome: JobOutcome,
        finished: bool,
        attempts: int | None = None,
        error: BaseException | None = None,
        detail: str | None = None,
    ) -> None:
        loop = self._loop()

        async def write() -> None:
            async with loop.sessions() as session:
                session.info["actor"] = SYSTEM
                async with session.begin():
                    run = await session.scalar(select(JobRun).where(JobRun.task_id == task.id))
                    now = utcnow()
                    if run is None:
                        run = JobRun(
                            task_id=task.id,
                            job=task.name,
                            period=task.kwargs.get("period"),
                            attempts=attempts or 1,
                            started_at=now,
                            worker=WORKER_NAME,
                        )
                        session.add(run)
                    run.outcome = outcome
                    run.worker = WORKER_NAME
                    if attempts is not None:
                        run.attempts = attempts
                    run.finished_at = now if finished else None
                    if error is not None:
                        run.error = error_text(error)
                    if detail is not None:
                        run.detail = detail

        try:
            loop.run(write())
        except Exception:
            logger.exception("could not record a run of job %s", task.name)


async def recent_runs(
    sessions: async_sessionmaker[AsyncSession], limit: int = 20, job: str | None = None
) -> list[JobRun]:
    """The newest ``limit`` runs, newest first."""
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRun.job == job)
    async with sessions() as session:
        return list(await session.scalars(query))
