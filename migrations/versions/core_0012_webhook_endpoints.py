"""Webhook endpoints: where partner systems are told of care events (``bangfu webhook add``),
the event kinds each wants and its signing secret, encrypted.

Revision ID: core_0012
Revises: core_0011
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0012"
down_revision: str | Sequence[str] | None = "core_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_webhook_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.String(length=500), nullable=False),
        sa.Column("secret_cipher", sa.LargeBinary(), nullable=False),
        sa.Column(
            "area_path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_webhook_endpoint")),
        sa.UniqueConstraint("name", name=op.f("uq_core_webhook_endpoint_name")),
    )
    op.create_table(
        "core_webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("endpoint_name", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("subject_kind", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["core_webhook_endpoint.id"],
            name=op.f("fk_core_webhook_delivery_endpoint_id_core_webhook_endpoint"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_webhook_delivery")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_core_webhook_delivery_delivery_id")),
        sa.UniqueConstraint(
            "endpoint_id",
            "event",
            "subject_kind",
            "subject_id",
            name=op.f("uq_core_webhook_delivery_endpoint_id_event_subject_kind_subject_id"),
        ),
    )
    op.create_index(
        "ix_core_webhook_delivery_due",
        "core_webhook_delivery",
        ["state", "next_attempt_at"],
    )
    op.create_table(
        "core_webhook_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_pk", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_pk"],
            ["core_webhook_delivery.id"],
            name=op.f("fk_core_webhook_attempt_delivery_pk_core_webhook_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_webhook_attempt")),
    )
    op.create_index(
        op.f("ix_core_webhook_attempt_delivery_pk"), "core_webhook_attempt", ["delivery_pk"]
    )


def downgrade() -> None:
    op.drop_table("core_webhook_attempt")
    op.drop_table("core_webhook_delivery")
    op.drop_table("core_webhook_endpoint")
