"""Notification channels of plugins: a delivery per notification and channel that the
worker sends and retries (its id, when it is due, when it ended), and each attempt.

Revision ID: core_0013
Revises: core_0012
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0013"
down_revision: str | Sequence[str] | None = "core_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "core_notification_delivery", sa.Column("delivery_id", sa.String(length=36), nullable=True)
    )
    op.add_column(
        "core_notification_delivery",
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "core_notification_delivery",
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    # The in-app rows written before: delivered when they were handed over.
    op.execute("UPDATE core_notification_delivery SET finished_at = at")
    op.create_index(
        "ix_core_notification_delivery_delivery_id",
        "core_notification_delivery",
        ["delivery_id"],
        unique=True,
    )
    op.create_index(
        "ix_core_notification_delivery_due",
        "core_notification_delivery",
        ["state", "next_attempt_at"],
    )
    op.create_table(
        "core_notification_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_pk", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_pk"],
            ["core_notification_delivery.id"],
            name=op.f("fk_core_notification_attempt_delivery_pk_core_notification_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_notification_attempt")),
    )
    op.create_index(
        "ix_core_notification_attempt_delivery_pk", "core_notification_attempt", ["delivery_pk"]
    )


def downgrade() -> None:
    op.drop_table("core_notification_attempt")
    op.drop_index("ix_core_notification_delivery_due", "core_notification_delivery")
    op.drop_index("ix_core_notification_delivery_delivery_id", "core_notification_delivery")
    with op.batch_alter_table("core_notification_delivery") as batch:
        batch.drop_column("finished_at")
        batch.drop_column("next_attempt_at")
        batch.drop_column("delivery_id")
