"""Employment plugin: trainings, job placements and public-welfare posts; the reason a
person cannot work becomes an enum (with a disability grade) plus a free-text detail, and
a work status records the monthly income; at most one current status per person.

Revision ID: employment_0002
Revises: employment_0001
Create Date: 2026-11-29 00:53:29.308090
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "employment_0002"
down_revision: str | Sequence[str] | None = "employment_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNABLE_REASONS = ("DISABILITY", "ILLNESS", "AGE")


def upgrade() -> None:
    op.create_table(
        "employment_training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_employment_training_person_id_core_person"),
        ),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "NOT completed OR end_date IS NOT NULL",
            name=op.f("ck_employment_training_completed_end"),
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_employment_training_dates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employment_training")),
    )
    op.create_index(op.f("ix_employment_training_person_id"), "employment_training", ["person_id"])

    op.create_table(
        "employment_job_placement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_employment_job_placement_person_id_core_person"),
        ),
        sa.Column("employer", sa.String(length=200), nullable=False),
        sa.Column("post", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("monthly_wage", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_employment_job_placement_dates"),
        ),
        sa.CheckConstraint("monthly_wage > 0", name=op.f("ck_employment_job_placement_wage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employment_job_placement")),
    )
    op.create_index(
        op.f("ix_employment_job_placement_person_id"), "employment_job_placement", ["person_id"]
    )

    op.create_table(
        "employment_welfare_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_employment_welfare_post_person_id_core_person"),
        ),
        sa.Column("post", sa.String(length=200), nullable=False),
        sa.Column("monthly_subsidy", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_employment_welfare_post_dates")),
        sa.CheckConstraint("monthly_subsidy > 0", name=op.f("ck_employment_welfare_post_subsidy")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employment_welfare_post")),
    )
    op.create_index(
        op.f("ix_employment_welfare_post_person_id"), "employment_welfare_post", ["person_id"]
    )

    # SQLite cannot add constraints to a table in place: batch mode rebuilds it there.
    with op.batch_alter_table("employment_work_status") as batch_op:
        batch_op.alter_column(
            "reason",
            new_column_name="reason_detail",
            existing_type=sa.String(length=200),
            existing_nullable=True,
        )
        batch_op.add_column(
            sa.Column("monthly_income", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "unable_reason",
                sa.Enum(
                    *UNABLE_REASONS,
                    name="unable_reason",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("disability_grade", sa.Integer(), nullable=True))

    # 0001 kept the reason as free text ("disability" in the demo data): move the known
    # reasons into the enum; anything else stays as the detail.
    for reason in UNABLE_REASONS:
        op.execute(
            sa.text(
                "UPDATE employment_work_status SET unable_reason = :reason, reason_detail = NULL "
                "WHERE status = 'UNABLE_TO_WORK' AND lower(reason_detail) = lower(:reason)"
            ).bindparams(reason=reason)
        )

    with op.batch_alter_table("employment_work_status") as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_employment_work_status_income"),
            "monthly_income IS NULL OR monthly_income >= 0",
        )
        batch_op.create_check_constraint(
            op.f("ck_employment_work_status_unable_reason_status"),
            "unable_reason IS NULL OR status = 'UNABLE_TO_WORK'",
        )
        batch_op.create_check_constraint(
            op.f("ck_employment_work_status_disability_grade"),
            "disability_grade IS NULL OR "
            "(unable_reason = 'DISABILITY' AND disability_grade BETWEEN 1 AND 4)",
        )
        batch_op.create_index(
            "uq_employment_work_status_current",
            ["person_id"],
            unique=True,
            sqlite_where=sa.text("until IS NULL"),
            postgresql_where=sa.text("until IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("employment_work_status") as batch_op:
        batch_op.drop_index("uq_employment_work_status_current")
        batch_op.drop_constraint(op.f("ck_employment_work_status_disability_grade"), type_="check")
        batch_op.drop_constraint(
            op.f("ck_employment_work_status_unable_reason_status"), type_="check"
        )
        batch_op.drop_constraint(op.f("ck_employment_work_status_income"), type_="check")

    op.execute(
        "UPDATE employment_work_status SET reason_detail = lower(unable_reason) "
        "WHERE unable_reason IS NOT NULL AND reason_detail IS NULL"
    )

    with op.batch_alter_table("employment_work_status") as batch_op:
        batch_op.drop_constraint(op.f("ck_employment_work_status_unable_reason"), type_="check")
        batch_op.drop_column("disability_grade")
        batch_op.drop_column("unable_reason")
        batch_op.drop_column("monthly_income")
        batch_op.alter_column(
            "reason_detail",
            new_column_name="reason",
            existing_type=sa.String(length=200),
            existing_nullable=True,
        )

    op.drop_index(
        op.f("ix_employment_welfare_post_person_id"), table_name="employment_welfare_post"
    )
    op.drop_table("employment_welfare_post")
    op.drop_index(
        op.f("ix_employment_job_placement_person_id"), table_name="employment_job_placement"
    )
    op.drop_table("employment_job_placement")
    op.drop_index(op.f("ix_employment_training_person_id"), table_name="employment_training")
    op.drop_table("employment_training")
