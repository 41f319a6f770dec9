"""Audit rows record the area they are about, so that ``auditLog`` is scoped like every
read. Rows written before have none: only city-level readers see them (the append-only
triggers forbid filling them in, and the hash chain would not hold if they were).

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0004"
down_revision: str | Sequence[str] | None = "core_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column is added without touching a row: the append-only triggers do not
    # fire, and the table is never copied (which would drop its triggers on SQLite).
    op.add_column(
        "core_audit_event",
        sa.Column(
            "area_path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=True,
        ),
    )
    op.create_index(
        op.f("ix_core_audit_event_area_path"), "core_audit_event", ["area_path"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_core_audit_event_area_path"), table_name="core_audit_event")
    # SQLite drops the column in place (ALTER TABLE ... DROP COLUMN), keeping the triggers.
    with op.batch_alter_table("core_audit_event", recreate="never") as batch_op:
        batch_op.drop_column("area_path")
