"""Scheduled and background work (bangfu.core.jobs): the record of job runs; on PostgreSQL
also the tables of the job library's queue (Huey's PostgresStorage, prefix ``huey``), so
that workers on several machines share one queue. On SQLite the queue has its own file
beside the database (``bangfu.jobs.db``), which Huey creates.

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0006"
down_revision: str | Sequence[str] | None = "core_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Huey 3.5's PostgresStorage DDL for the table prefix "huey" (tests/test_jobs.py checks
#: that the installed Huey still creates exactly these).
HUEY_POSTGRES_DDL = (
    "create table if not exists huey_kv ("
    "queue text not null, key text not null, value bytea not null, "
    "primary key(queue, key))",
    "create table if not exists huey_schedule ("
    "id bigserial primary key, queue text not null, "
    "data bytea not null, timestamp double precision not null)",
    "create index if not exists huey_schedule_queue_timestamp on huey_schedule (queue, timestamp)",
    "create table if not exists huey_task ("
    "id bigserial primary key, queue text not null, "
    "data bytea not null, "
    "priority double precision not null default 0.0)",
    "create index if not exists huey_task_queue_priority_id "
    "on huey_task (queue, priority desc, id)",
    "create table if not exists huey_counter ("
    "queue text not null, key text not null, "
    "value bigint not null default 0, primary key(queue, key))",
)
HUEY_TABLES = ("huey_kv", "huey_schedule", "huey_task", "huey_counter")


def upgrade() -> None:
    op.create_table(
        "core_job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_job_run")),
        sa.UniqueConstraint("task_id", name=op.f("uq_core_job_run_task_id")),
    )
    op.create_index(
        "ix_core_job_run_job_started_at", "core_job_run", ["job", "started_at"], unique=False
    )
    op.create_index(
        op.f("ix_core_job_run_started_at"), "core_job_run", ["started_at"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in HUEY_POSTGRES_DDL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(HUEY_TABLES):
            op.execute(f"drop table if exists {table}")
    op.drop_index(op.f("ix_core_job_run_started_at"), table_name="core_job_run")
    op.drop_index("ix_core_job_run_job_started_at", table_name="core_job_run")
    op.drop_table("core_job_run")
