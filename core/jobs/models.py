"""The record of job runs an operator reads (``bangfu jobs runs``, or plain SQL)."""

import datetime as dt
import enum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.db import Base
from bangfu.core.registry.scoping import GlobalModel


class JobOutcome(enum.StrEnum):
    RUNNING = "RUNNING"  # an attempt is running now (or its worker died during it)
    RETRYING = "RETRYING"  # an attempt failed; another is scheduled
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # the last attempt failed
    INTERRUPTED = "INTERRUPTED"  # the worker was stopped during the attempt


class JobRun(GlobalModel, Base):
    """One run of a job: one row per enqueued job, its attempts counted in ``attempts``.

    ``error`` is the last failure's exception class (and, for a ``JobFailure``, the
    message the job wrote for operators): never a message that could quote a row.
    ``detail`` is the job's own summary of a successful run. Operators' data, of no area
    (global): no GraphQL field reads it.
    """

    __tablename__ = "core_job_run"
    __table_args__ = (Index("ix_core_job_run_job_started_at", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    job: Mapped[str] = mapped_column(String(100))
    period: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    finished_at: Mapped[dt.datetime | None]
    worker: Mapped[str] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[str | None] = mapped_column(String(500))
