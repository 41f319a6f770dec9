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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_webhook_endpoint")),
        sa.UniqueConstraint("name", name=op.f("uq_core_webhook_endpoint_name")),
    )


def downgrade() -> None:
    op.drop_table("core_webhook_endpoint")
