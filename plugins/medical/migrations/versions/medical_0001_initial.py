"""Medical plugin tables: basic medical insurance enrolments.

Revision ID: medical_0001
Revises: (none; depends on core_0001)
Create Date: 2026-11-28 23:33:20.502197
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "medical_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("medical",)
depends_on: str | Sequence[str] | None = "core_0001"


def upgrade() -> None:
    op.create_table(
        "medical_insurance_enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "scheme",
            sa.Enum(
                "RESIDENT",
                "EMPLOYEE",
                name="insurance_scheme",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("premium", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("premium_paid_by_government", sa.Boolean(), nullable=False),
        sa.CheckConstraint("premium >= 0", name=op.f("ck_medical_insurance_enrolment_premium")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_medical_insurance_enrolment_person_id_core_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_insurance_enrolment")),
        sa.UniqueConstraint(
            "person_id", "year", name=op.f("uq_medical_insurance_enrolment_person_id_year")
        ),
    )
    op.create_index(
        op.f("ix_medical_insurance_enrolment_person_id"),
        "medical_insurance_enrolment",
        ["person_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_medical_insurance_enrolment_person_id"), table_name="medical_insurance_enrolment"
    )
    op.drop_table("medical_insurance_enrolment")
