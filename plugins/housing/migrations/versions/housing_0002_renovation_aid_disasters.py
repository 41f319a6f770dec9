"""Housing plugin: renovation projects, housing aid, disaster reports; appraiser names.

Revision ID: housing_0002
Revises: housing_0001
Create Date: 2026-11-29 00:57:31.947136
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "housing_0002"
down_revision: str | Sequence[str] | None = "housing_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "housing_safety_appraisal",
        sa.Column("appraiser_name", sa.String(length=200), nullable=True),
    )
    op.create_index(
        "ix_housing_safety_appraisal_household_latest",
        "housing_safety_appraisal",
        ["household_id", "appraised_on"],
        unique=False,
    )

    op.create_table(
        "housing_renovation_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PLANNED",
                "APPROVED",
                "UNDER_WAY",
                "COMPLETED",
                "ACCEPTED",
                name="housing_renovation_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("subsidy_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "funding_source",
            sa.Enum(
                "GOVERNMENT_PROGRAMME",
                "SOCIAL_DONATION",
                name="housing_funding_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("programme_name", sa.String(length=200), nullable=True),
        sa.Column("donor", sa.String(length=200), nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("acceptance_appraisal_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(funding_source = 'GOVERNMENT_PROGRAMME' AND programme_name IS NOT NULL)"
            " OR (funding_source = 'SOCIAL_DONATION' AND donor IS NOT NULL)",
            name=op.f("ck_housing_renovation_project_funding"),
        ),
        sa.CheckConstraint(
            "status <> 'ACCEPTED' OR acceptance_appraisal_id IS NOT NULL",
            name=op.f("ck_housing_renovation_project_acceptance"),
        ),
        sa.CheckConstraint(
            "(approved_on IS NULL OR approved_on >= planned_on)"
            " AND (started_on IS NULL OR (approved_on IS NOT NULL AND started_on >= approved_on))"
            " AND (completed_on IS NULL OR (started_on IS NOT NULL AND completed_on >= started_on))"
            " AND (accepted_on IS NULL OR (completed_on IS NOT NULL"
            " AND accepted_on >= completed_on))",
            name=op.f("ck_housing_renovation_project_dates"),
        ),
        sa.CheckConstraint(
            "subsidy_amount >= 0", name=op.f("ck_housing_renovation_project_subsidy_amount")
        ),
        sa.ForeignKeyConstraint(
            ["acceptance_appraisal_id"],
            ["housing_safety_appraisal.id"],
            name=op.f(
                "fk_housing_renovation_project_acceptance_appraisal_id_housing_safety_appraisal"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["housing_safety_appraisal.id"],
            name=op.f("fk_housing_renovation_project_appraisal_id_housing_safety_appraisal"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_housing_renovation_project_household_id_core_household"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_renovation_project")),
    )
    op.create_index(
        op.f("ix_housing_renovation_project_household_id"),
        "housing_renovation_project",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_housing_renovation_project_status"),
        "housing_renovation_project",
        ["status"],
        unique=False,
    )
    op.create_index(
        "uq_housing_renovation_project_open",
        "housing_renovation_project",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("status <> 'ACCEPTED'"),
        postgresql_where=sa.text("status <> 'ACCEPTED'"),
    )

    op.create_table(
        "housing_aid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "RENTAL_SUBSIDY",
                "PUBLIC_RENTAL_HOUSING",
                name="housing_aid_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("monthly_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("dwelling_address", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("monthly_amount >= 0", name=op.f("ck_housing_aid_monthly_amount")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_housing_aid_period")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_housing_aid_household_id_core_household"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_aid")),
    )
    op.create_index(
        op.f("ix_housing_aid_household_id"), "housing_aid", ["household_id"], unique=False
    )

    op.create_table(
        "housing_disaster_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "FLOOD",
                "FIRE",
                "EARTHQUAKE",
                "OTHER",
                name="housing_disaster_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("damage", sa.String(length=1000), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("responded_on", sa.Date(), nullable=True),
        sa.Column("response", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reported_on >= occurred_on", name=op.f("ck_housing_disaster_report_reported")
        ),
        sa.CheckConstraint(
            "responded_on IS NULL OR (responded_on >= occurred_on AND response IS NOT NULL)",
            name=op.f("ck_housing_disaster_report_response"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_housing_disaster_report_household_id_core_household"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_disaster_report")),
    )
    op.create_index(
        op.f("ix_housing_disaster_report_household_id"),
        "housing_disaster_report",
        ["household_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_housing_disaster_report_household_id"), table_name="housing_disaster_report"
    )
    op.drop_table("housing_disaster_report")
    op.drop_index(op.f("ix_housing_aid_household_id"), table_name="housing_aid")
    op.drop_table("housing_aid")
    op.drop_index(
        "uq_housing_renovation_project_open",
        table_name="housing_renovation_project",
        sqlite_where=sa.text("status <> 'ACCEPTED'"),
        postgresql_where=sa.text("status <> 'ACCEPTED'"),
    )
    op.drop_index(
        op.f("ix_housing_renovation_project_status"), table_name="housing_renovation_project"
    )
    op.drop_index(
        op.f("ix_housing_renovation_project_household_id"),
        table_name="housing_renovation_project",
    )
    op.drop_table("housing_renovation_project")
    op.drop_index(
        "ix_housing_safety_appraisal_household_latest", table_name="housing_safety_appraisal"
    )
    with op.batch_alter_table("housing_safety_appraisal") as batch_op:
        batch_op.drop_column("appraiser_name")
