"""Trusted documents: the GraphQL documents an administrator registers for each API client
and for the users' applications (``bangfu documents add``), by the SHA-256 of their text.

Revision ID: core_0009
Revises: core_0008
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0009"
down_revision: str | Sequence[str] | None = "core_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_trusted_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("operations", sa.String(length=500), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["core_api_client.id"],
            name=op.f("fk_core_trusted_document_client_id_core_api_client"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_trusted_document")),
        sa.UniqueConstraint(
            "client_id", "sha256", name=op.f("uq_core_trusted_document_client_id_sha256")
        ),
    )


def downgrade() -> None:
    op.drop_table("core_trusted_document")
