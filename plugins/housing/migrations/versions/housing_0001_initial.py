"""Housing plugin tables: dwelling safety appraisals.

Revision ID: housing_0001
Revises: (none; depends on core_0001)
Create Date: 2026-11-28 23:33:20.945630
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "housing_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("housing",)
depends_on: str | Sequence[str] | None = "core_0001"


def upgrade() -> None:
    op.create_table(
        "housing_safety_appraisal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column(
            "grade",
            sa.Enum(
                "A", "B", "C", "D", name="safety_grade", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("appraised_on", sa.Date(), nullable=False),
        sa.Column("appraising_organisation_id", sa.Integer(), nullable=True),
        sa.Column("report_reference", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["appraising_organisation_id"],
            ["core_organisation.id"],
            name=op.f("fk_housing_safety_appraisal_appraising_organisation_id_core_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_housing_safety_appraisal_household_id_core_household"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_safety_appraisal")),
    )
    op.create_index(
        op.f("ix_housing_safety_appraisal_household_id"),
        "housing_safety_appraisal",
        ["household_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_housing_safety_appraisal_household_id"), table_name="housing_safety_appraisal"
    )
    op.drop_table("housing_safety_appraisal")
