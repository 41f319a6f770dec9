"""Idempotency claims that resolve after a crash (owner, lease, committed marker); the
client address of failed logins (throttled per account and address, no more lockout).

Claims left in progress by an earlier version cannot tell whether their request committed:
they are taken as committed (their retry gets IDEMPOTENCY_ANSWER_LOST, never a second
effect).

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0005"
down_revision: str | Sequence[str] | None = "core_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("core_idempotency_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True))
    record = sa.table(
        "core_idempotency_record",
        sa.column("status_code", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("lease_until", sa.DateTime(timezone=True)),
        sa.column("committed_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        record.update()
        .where(record.c.status_code.is_(None))
        .values(lease_until=record.c.created_at, committed_at=record.c.created_at)
    )

    with op.batch_alter_table("core_login_failure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            batch_op.f("ix_core_login_failure_address"), ["address"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("core_login_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_login_failure_address"))
        batch_op.drop_column("pending")
        batch_op.drop_column("address")
    with op.batch_alter_table("core_idempotency_record", schema=None) as batch_op:
        batch_op.drop_column("committed_at")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("owner")
