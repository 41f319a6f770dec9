"""Medical plugin: critical-illness cover, conditions, hospitalisations, medical-aid claims.

Revision ID: medical_0002
Revises: medical_0001
Create Date: 2026-11-29 00:56:25.027716
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "medical_0002"
down_revision: str | Sequence[str] | None = "medical_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "medical_insurance_enrolment",
        sa.Column(
            "critical_illness_covered", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.create_table(
        "medical_condition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("diagnosis_code", sa.String(length=64), nullable=False),
        sa.Column("diagnosis_cipher", sa.LargeBinary(), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("diagnosed_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_medical_condition_person_id_core_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_condition")),
    )
    op.create_index(
        op.f("ix_medical_condition_person_id"), "medical_condition", ["person_id"], unique=False
    )
    op.create_table(
        "medical_hospitalisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("hospital", sa.String(length=200), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "discharged_on IS NULL OR discharged_on >= admitted_on",
            name=op.f("ck_medical_hospitalisation_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_medical_hospitalisation_person_id_core_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_hospitalisation")),
    )
    op.create_index(
        op.f("ix_medical_hospitalisation_person_id"),
        "medical_hospitalisation",
        ["person_id"],
        unique=False,
    )
    op.create_table(
        "medical_aid_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("hospitalisation_id", sa.Integer(), nullable=True),
        sa.Column("total_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_by_insurance", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_by_medical_aid", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_by_donations", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("out_of_pocket", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ROUND(total_cost - (paid_by_insurance + paid_by_medical_aid "
            "+ paid_by_donations + out_of_pocket), 2) = 0",
            name=op.f("ck_medical_aid_claim_parts_add_up"),
        ),
        sa.CheckConstraint(
            "paid_by_insurance >= 0 AND paid_by_medical_aid >= 0 "
            "AND paid_by_donations >= 0 AND out_of_pocket >= 0",
            name=op.f("ck_medical_aid_claim_parts"),
        ),
        sa.CheckConstraint("total_cost > 0", name=op.f("ck_medical_aid_claim_total")),
        sa.ForeignKeyConstraint(
            ["hospitalisation_id"],
            ["medical_hospitalisation.id"],
            name=op.f("fk_medical_aid_claim_hospitalisation_id_medical_hospitalisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_medical_aid_claim_person_id_core_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_aid_claim")),
    )
    op.create_index(
        op.f("ix_medical_aid_claim_hospitalisation_id"),
        "medical_aid_claim",
        ["hospitalisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_medical_aid_claim_person_id"), "medical_aid_claim", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_medical_aid_claim_settled_on"), "medical_aid_claim", ["settled_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_medical_aid_claim_settled_on"), table_name="medical_aid_claim")
    op.drop_index(op.f("ix_medical_aid_claim_person_id"), table_name="medical_aid_claim")
    op.drop_index(op.f("ix_medical_aid_claim_hospitalisation_id"), table_name="medical_aid_claim")
    op.drop_table("medical_aid_claim")
    op.drop_index(
        op.f("ix_medical_hospitalisation_person_id"), table_name="medical_hospitalisation"
    )
    op.drop_table("medical_hospitalisation")
    op.drop_index(op.f("ix_medical_condition_person_id"), table_name="medical_condition")
    op.drop_table("medical_condition")
    with op.batch_alter_table("medical_insurance_enrolment") as batch_op:
        batch_op.drop_column("critical_illness_covered")
