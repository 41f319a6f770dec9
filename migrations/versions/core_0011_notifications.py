"""Notifications (issue 22): what a user is told because they must act, exactly once per
recipient, reason and subject, and their deliveries per channel.

Revision ID: core_0011
Revises: core_0010
Create Date: 2026-12-06 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0011"
down_revision: str | Sequence[str] | None = "core_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("subject_kind", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=300), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["core_user.id"],
            name=op.f("fk_core_notification_recipient_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_notification")),
        sa.UniqueConstraint(
            "recipient_id",
            "reason",
            "subject_kind",
            "subject_id",
            name=op.f("uq_core_notification_recipient_id_reason_subject_kind_subject_id"),
        ),
    )
    op.create_index(
        "ix_core_notification_recipient_id_id", "core_notification", ["recipient_id", "id"]
    )
    op.create_index("ix_core_notification_state", "core_notification", ["state"])
    op.create_index(
        "ix_core_notification_subject", "core_notification", ["subject_kind", "subject_id"]
    )
    op.create_table(
        "core_notification_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["core_notification.id"],
            name=op.f("fk_core_notification_delivery_notification_id_core_notification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_notification_delivery")),
        sa.UniqueConstraint(
            "notification_id",
            "channel",
            name=op.f("uq_core_notification_delivery_notification_id_channel"),
        ),
    )


def downgrade() -> None:
    op.drop_table("core_notification_delivery")
    op.drop_index("ix_core_notification_subject", table_name="core_notification")
    op.drop_index("ix_core_notification_state", table_name="core_notification")
    op.drop_index("ix_core_notification_recipient_id_id", table_name="core_notification")
    op.drop_table("core_notification")
