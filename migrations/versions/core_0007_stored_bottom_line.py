"""The stored bottom line: each person's verdict per indicator, and the rules versions the
verdicts were judged with.

The verdicts start empty; ``bangfu bottomline rebuild`` judges everyone (and ``bangfu
bottomline refresh`` does too while no rules version is stored).

Revision ID: core_0007
Revises: core_0006
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0007"
down_revision: str | Sequence[str] | None = "core_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_bottom_line_rules",
        sa.Column("module", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("module", name=op.f("pk_core_bottom_line_rules")),
    )
    op.create_table(
        "core_bottom_line_verdict",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("modules", sa.String(length=200), nullable=False),
        sa.Column("judged_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("hardship", sa.Boolean(), nullable=False),
        sa.Column(
            "area_path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_core_bottom_line_verdict_person_id_core_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "indicator", name=op.f("pk_core_bottom_line_verdict")),
    )
    op.create_index(
        op.f("ix_core_bottom_line_verdict_area_path"),
        "core_bottom_line_verdict",
        ["area_path"],
        unique=False,
    )
    op.create_index(
        "ix_core_bottom_line_verdict_indicator_status",
        "core_bottom_line_verdict",
        ["indicator", "status", "area_path"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_bottom_line_verdict_valid_until"),
        "core_bottom_line_verdict",
        ["valid_until"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_bottom_line_verdict_judged_on"),
        "core_bottom_line_verdict",
        ["judged_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_core_bottom_line_verdict_judged_on"), table_name="core_bottom_line_verdict"
    )
    op.drop_index(
        op.f("ix_core_bottom_line_verdict_valid_until"), table_name="core_bottom_line_verdict"
    )
    op.drop_index(
        "ix_core_bottom_line_verdict_indicator_status", table_name="core_bottom_line_verdict"
    )
    op.drop_index(
        op.f("ix_core_bottom_line_verdict_area_path"), table_name="core_bottom_line_verdict"
    )
    op.drop_table("core_bottom_line_verdict")
    op.drop_table("core_bottom_line_rules")
