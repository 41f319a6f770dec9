"""Education plugin tables: school enrolments.

Revision ID: education_0001
Revises: (none; depends on core_0001)
Create Date: 2026-11-28 23:33:20.185061
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "education_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("education",)
depends_on: str | Sequence[str] | None = "core_0001"


def upgrade() -> None:
    op.create_table(
        "education_enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("school_name", sa.String(length=200), nullable=False),
        sa.Column("school_region_code", sa.String(length=12), nullable=True),
        sa.Column(
            "stage",
            sa.Enum(
                "PRESCHOOL",
                "PRIMARY",
                "JUNIOR_SECONDARY",
                "SENIOR_SECONDARY",
                "SECONDARY_VOCATIONAL",
                "HIGHER",
                name="school_stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "ENROLLED",
                "SUSPENDED",
                "DROPPED_OUT",
                "GRADUATED",
                "NOT_YET_OF_SCHOOL_AGE",
                name="enrolment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_education_enrolment_dates")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_education_enrolment_person_id_core_person"),
        ),
        sa.ForeignKeyConstraint(
            ["school_region_code"],
            ["core_region.code"],
            name=op.f("fk_education_enrolment_school_region_code_core_region"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_enrolment")),
    )
    op.create_index(
        op.f("ix_education_enrolment_person_id"), "education_enrolment", ["person_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_education_enrolment_person_id"), table_name="education_enrolment")
    op.drop_table("education_enrolment")
