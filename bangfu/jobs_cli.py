"""``bangfu worker`` and ``bangfu jobs ...``: the job worker and the record of its runs.

The jobs are core's (:func:`bangfu.core.jobs.core_jobs`); the queue is Huey on the
database the settings point at (:mod:`bangfu.core.jobs.queue`).
"""

import argparse
import asyncio
import logging
import sys
from typing import Any

from bangfu.core.calendar import CHINA
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.i18n import _, ngettext
from bangfu.core.jobs import JobRegistry, default_registry
from bangfu.core.security import logmask


def add_commands(commands: Any) -> None:
    """Add ``worker`` and ``jobs`` to the ``bangfu`` command's sub-commands."""
    worker = commands.add_parser(
        "worker", help=_("run the scheduled and background jobs until interrupted")
    )
    worker.add_argument(
        "--once", action="store_true", help=_("run what is due now, then exit (for cron, tests)")
    )
    worker.add_argument("--threads", type=int, default=1, help=_("jobs run at once (default 1)"))
    jobs = commands.add_parser("jobs", help=_("the jobs and the record of their runs"))
    jobs_commands = jobs.add_subparsers(dest="jobs_command", required=True)
    runs = jobs_commands.add_parser("runs", help=_("print the record of runs, newest first"))
    runs.add_argument("--limit", type=int, default=20, help=_("how many runs (default 20)"))
    runs.add_argument("--job", help=_("only the runs of this job"))
    jobs_commands.add_parser("list", help=_("list the jobs and their schedules"))
    enqueue = jobs_commands.add_parser("enqueue", help=_("have a worker run a job now"))
    enqueue.add_argument("name", help=_("the job's name (bangfu jobs list)"))


def registry() -> JobRegistry:
    return default_registry()


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "worker":
        return worker_command(settings, once=args.once, threads=args.threads)
    if args.jobs_command == "runs":
        return asyncio.run(runs_command(settings, args.limit, args.job))
    if args.jobs_command == "list":
        for job in registry():
            schedule = job.schedule.describe() if job.schedule else "on demand"
            print(f"{job.name:<28} {schedule:<36} retries {job.retries}  {job.description}")
        return 0
    return enqueue_command(settings, args.name)


def _migrated(settings: Settings) -> bool:
    """Bring SQLite to the latest migration (as ``bangfu serve`` does); PostgreSQL must
    be there already (``bangfu db upgrade``)."""
    from bangfu.cli import load_host, upgrade
    from bangfu.core import migrate

    host = load_host()
    if settings.is_sqlite:
        asyncio.run(upgrade(settings, host))
        return True
    if migrate.pending(
        settings.database_url, host.migration_dirs(), schema=settings.database_schema
    ):
        print(
            _(
                "bangfu worker: the database is not at the latest migration; "
                "run `bangfu db upgrade` first"
            ),
            file=sys.stderr,
        )
        return False
    return True


def worker_command(settings: Settings, *, once: bool, threads: int) -> int:
    from bangfu.core.jobs.queue import JobQueue

    if threads < 1:
        print(_("bangfu worker: argument --threads: at least 1"), file=sys.stderr)
        return 2
    if not _migrated(settings):
        return 2
    logmask.install()  # as the server's: no ID number in a logged failure
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from bangfu.cli import load_host

    queue = JobQueue(settings, registry(), blocking=not once, host=load_host())
    try:
        if once:
            ran = queue.run_once()
            print(
                ngettext(
                    "bangfu worker: ran {count} job",
                    "bangfu worker: ran {count} jobs",
                    ran,
                    count=ran,
                )
            )
        else:
            jobs = ", ".join(job.name for job in queue.registry)
            print(_("bangfu worker: running {jobs} (Ctrl-C stops)", jobs=jobs), flush=True)
            queue.run_worker(threads)
    finally:
        queue.close()
    return 0


def enqueue_command(settings: Settings, name: str) -> int:
    from bangfu.core.jobs.queue import JobQueue

    jobs = registry()
    if name not in jobs:
        known = ", ".join(job.name for job in jobs)
        print(
            _("bangfu jobs enqueue: no job {name} (jobs: {known})", name=repr(name), known=known),
            file=sys.stderr,
        )
        return 2
    queue = JobQueue(settings, jobs, blocking=False)
    try:
        task_id = queue.enqueue(name)
    finally:
        queue.close()
    print(
        _(
            "enqueued {name} (task {task_id}); a running `bangfu worker` will run it",
            name=name,
            task_id=task_id,
        )
    )
    return 0


async def runs_command(settings: Settings, limit: int, job: str | None) -> int:
    from bangfu.core.jobs.queue import recent_runs

    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    try:
        runs = await recent_runs(make_sessionmaker(engine), max(1, limit), job)
    finally:
        await engine.dispose()
    if not runs:
        print(_("no job has run yet"))
        return 0
    print(
        f"{'started (Asia/Shanghai)':<20} {'finished':<9} {'job':<24} {'outcome':<11} "
        f"{'attempts':>8}  {'period':<20} {'worker':<24} error / detail"
    )
    for run_ in runs:
        started = run_.started_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        finished = (
            run_.finished_at.astimezone(CHINA).strftime("%H:%M:%S") if run_.finished_at else "-"
        )
        note = " | ".join(part for part in (run_.error, run_.detail) if part)
        print(
            f"{started:<20} {finished:<9} {run_.job:<24} {run_.outcome:<11} {run_.attempts:>8}  "
            f"{run_.period or '-':<20} {run_.worker:<24} {note}"
        )
    return 0
