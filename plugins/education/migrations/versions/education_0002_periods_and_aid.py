"""Education plugin: enrolment periods (end reason, optional school for
NOT_YET_OF_SCHOOL_AGE, one current period per child) and education aid.

Revision ID: education_0002
Revises: education_0001
Create Date: 2026-11-29 00:57:51.702597
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "education_0002"
down_revision: str | Sequence[str] | None = "education_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("end_date IS NULL")


def upgrade() -> None:
    # Changing nullability needs a table rebuild on SQLite (batch mode); on PostgreSQL
    # these are plain ALTER TABLE statements.
    with op.batch_alter_table("education_enrolment") as batch_op:
        batch_op.add_column(sa.Column("end_reason", sa.String(length=200), nullable=True))
        batch_op.alter_column("school_name", existing_type=sa.VARCHAR(length=200), nullable=True)
        batch_op.alter_column("stage", existing_type=sa.VARCHAR(length=32), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_education_enrolment_school"),
            "status = 'NOT_YET_OF_SCHOOL_AGE' OR (school_name IS NOT NULL AND stage IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            op.f("ck_education_enrolment_grade"), "grade IS NULL OR grade BETWEEN 1 AND 8"
        )
    op.create_index(
        op.f("ix_education_enrolment_school_region_code"),
        "education_enrolment",
        ["school_region_code"],
    )
    op.create_index(
        "uq_education_enrolment_current_person",
        "education_enrolment",
        ["person_id"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )

    op.create_table(
        "education_aid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "TUITION_WAIVER",
                "BOARDING_SUBSIDY",
                "SCHOLARSHIP",
                "TRANSPORT",
                "OTHER",
                name="education_aid_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column(
            "funding_source",
            sa.Enum(
                "GOVERNMENT_PROGRAMME",
                "SOCIAL_DONATION",
                name="education_funding_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("programme", sa.String(length=200), nullable=True),
        sa.Column("donor", sa.String(length=200), nullable=True),
        sa.Column("granting_organisation_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_education_aid_amount")),
        sa.CheckConstraint(
            "(funding_source = 'GOVERNMENT_PROGRAMME' AND programme IS NOT NULL)"
            " OR (funding_source = 'SOCIAL_DONATION' AND donor IS NOT NULL)",
            name=op.f("ck_education_aid_funding"),
        ),
        sa.ForeignKeyConstraint(
            ["granting_organisation_id"],
            ["core_organisation.id"],
            name=op.f("fk_education_aid_granting_organisation_id_core_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["core_person.id"], name=op.f("fk_education_aid_person_id_core_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_aid")),
    )
    op.create_index(
        op.f("ix_education_aid_granting_organisation_id"),
        "education_aid",
        ["granting_organisation_id"],
    )
    op.create_index("ix_education_aid_person_granted", "education_aid", ["person_id", "granted_on"])


def downgrade() -> None:
    op.drop_index("ix_education_aid_person_granted", table_name="education_aid")
    op.drop_index(op.f("ix_education_aid_granting_organisation_id"), table_name="education_aid")
    op.drop_table("education_aid")

    op.drop_index("uq_education_enrolment_current_person", table_name="education_enrolment")
    op.drop_index(
        op.f("ix_education_enrolment_school_region_code"), table_name="education_enrolment"
    )
    # Periods without a school (NOT_YET_OF_SCHOOL_AGE) cannot be kept by the old table.
    op.execute("DELETE FROM education_enrolment WHERE school_name IS NULL OR stage IS NULL")
    with op.batch_alter_table("education_enrolment") as batch_op:
        batch_op.drop_constraint(op.f("ck_education_enrolment_grade"), type_="check")
        batch_op.drop_constraint(op.f("ck_education_enrolment_school"), type_="check")
        batch_op.alter_column("stage", existing_type=sa.VARCHAR(length=32), nullable=False)
        batch_op.alter_column("school_name", existing_type=sa.VARCHAR(length=200), nullable=False)
        batch_op.drop_column("end_reason")
