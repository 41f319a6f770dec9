"""Employment plugin tables: work status records.

Revision ID: employment_0001
Revises: (none; depends on core_0001)
Create Date: 2026-11-28 23:33:21.273329
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "employment_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("employment",)
depends_on: str | Sequence[str] | None = "core_0001"


def upgrade() -> None:
    op.create_table(
        "employment_work_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "EMPLOYED",
                "SELF_EMPLOYED",
                "SEEKING_WORK",
                "IN_TRAINING",
                "UNABLE_TO_WORK",
                "STUDENT",
                "RETIRED",
                name="work_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "until IS NULL OR until >= since", name=op.f("ck_employment_work_status_dates")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_employment_work_status_person_id_core_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employment_work_status")),
    )
    op.create_index(
        op.f("ix_employment_work_status_person_id"),
        "employment_work_status",
        ["person_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_employment_work_status_person_id"), table_name="employment_work_status")
    op.drop_table("employment_work_status")
