"""A job worker of tests/test_jobs.py: ``python -m tests.jobs_worker LOG`` runs Huey's
consumer (``JobQueue.run_worker``) on the database of ``BANGFU_DATABASE_URL`` (and
``BANGFU_DATABASE_SCHEMA``) with two test jobs until SIGTERM. Each run of a job appends
one line ``<job> <period> <pid>`` to the file ``LOG`` (O_APPEND: whole lines)."""

import asyncio
import os
import sys

from bangfu.core.config import Settings
from bangfu.core.jobs import Every, Job, JobContext, JobRegistry
from bangfu.core.jobs.queue import JobQueue

#: The periodic test job's period (seconds).
TICK_SECONDS = 2


def registry(log: str) -> JobRegistry:
    async def note(context: JobContext, name: str) -> str:
        line = f"{name} {context.period or '-'} {os.getpid()}\n"
        descriptor = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line.encode())
        finally:
            os.close(descriptor)
        await asyncio.sleep(0.3)  # long enough for the other worker to try too
        return "noted"

    async def once(context: JobContext) -> str:
        return await note(context, "test.once")

    async def tick(context: JobContext) -> str:
        return await note(context, "test.tick")

    return JobRegistry(
        [
            Job("test.once", once, retries=0),
            Job("test.tick", tick, schedule=Every(TICK_SECONDS), retries=0),
        ]
    )


if __name__ == "__main__":
    queue = JobQueue(Settings(), registry(sys.argv[1]))
    print("ready", flush=True)
    try:
        queue.run_worker(threads=2)
    finally:
        queue.close()
