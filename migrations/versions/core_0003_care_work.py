"""The care work (R4-R7): screening campaigns, targets, visits and problems; assistance
plans, measures and the problems they answer; five knowns of pairings; care events and
responses; social donations and their allocations.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-29 00:59:07.034354
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0003"
down_revision: str | Sequence[str] | None = "core_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_assistance_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_core_assistance_plan_household_id_core_household"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_assistance_plan")),
        sa.UniqueConstraint("household_id", name=op.f("uq_core_assistance_plan_household_id")),
    )
    op.create_table(
        "core_care_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "HOSPITALISATION",
                "SCHOOL_DROPOUT",
                "DISASTER",
                "BEREAVEMENT",
                "HOLIDAY",
                name="care_event_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["core_person.id"], name=op.f("fk_core_care_event_person_id_core_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_care_event")),
    )
    with op.batch_alter_table("core_care_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_core_care_event_deadline"), ["deadline"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_core_care_event_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            "uq_core_care_event_source",
            ["person_id", "kind", "source"],
            unique=True,
            sqlite_where=sa.text("source IS NOT NULL"),
            postgresql_where=sa.text("source IS NOT NULL"),
        )

    op.create_table(
        "core_assistance_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column(
            "domain",
            sa.Enum(
                "LIVING",
                "EDUCATION",
                "MEDICAL",
                "HOUSING",
                "EMPLOYMENT",
                "CARE",
                name="problem_domain",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("responsible_organisation_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PLANNED",
                "UNDER_WAY",
                "DONE",
                "CANCELLED",
                name="measure_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "funding_source",
            sa.Enum(
                "GOVERNMENT_PROGRAMME",
                "SOCIAL_DONATION",
                name="funding_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status != 'CANCELLED' OR status_reason IS NOT NULL",
            name=op.f("ck_core_assistance_measure_cancel_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_core_assistance_measure_household_id_core_household"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["core_assistance_plan.id"],
            name=op.f("fk_core_assistance_measure_plan_id_core_assistance_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_organisation_id"],
            ["core_organisation.id"],
            name=op.f("fk_core_assistance_measure_responsible_organisation_id_core_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_assistance_measure")),
    )
    with op.batch_alter_table("core_assistance_measure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_assistance_measure_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_assistance_measure_plan_id"), ["plan_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_assistance_measure_responsible_organisation_id"),
            ["responsible_organisation_id"],
            unique=False,
        )

    op.create_table(
        "core_care_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "VISIT",
                "CALL",
                name="response_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("responded_on", sa.Date(), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("help_given", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["core_care_event.id"],
            name=op.f("fk_core_care_response_event_id_core_care_event"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_core_care_response_person_id_core_person"),
        ),
        sa.ForeignKeyConstraint(
            ["responder_id"],
            ["core_user.id"],
            name=op.f("fk_core_care_response_responder_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_care_response")),
    )
    with op.batch_alter_table("core_care_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_care_response_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_care_response_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "core_donation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor", sa.String(length=200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("allocated_fen", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "ORPHAN",
                "DE_FACTO_UNSUPPORTED_CHILD",
                "CHILD_IN_DIFFICULTY",
                "SPECIAL_HARDSHIP",
                "DIBAO",
                "POOR_DISABLED",
                "ENTITLED_GROUP",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "domain",
            sa.Enum(
                "LIVING",
                "EDUCATION",
                "MEDICAL",
                "HOUSING",
                "EMPLOYMENT",
                "CARE",
                name="problem_domain",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "area_path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "allocated_fen >= 0 AND allocated_fen <= amount_fen",
            name=op.f("ck_core_donation_allocated"),
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_core_donation_amount")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["core_user.id"],
            name=op.f("fk_core_donation_recorded_by_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["core_region.code"],
            name=op.f("fk_core_donation_region_code_core_region"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_donation")),
    )
    with op.batch_alter_table("core_donation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_core_donation_area_path"), ["area_path"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_core_donation_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "core_screening_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "area_path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_core_screening_campaign_dates")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["core_user.id"],
            name=op.f("fk_core_screening_campaign_created_by_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["core_region.code"],
            name=op.f("fk_core_screening_campaign_region_code_core_region"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_screening_campaign")),
    )
    with op.batch_alter_table("core_screening_campaign", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_screening_campaign_area_path"), ["area_path"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_screening_campaign_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "core_donation_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.Column("allocated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_core_donation_allocation_amount")),
        sa.ForeignKeyConstraint(
            ["allocated_by_id"],
            ["core_user.id"],
            name=op.f("fk_core_donation_allocation_allocated_by_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["donation_id"],
            ["core_donation.id"],
            name=op.f("fk_core_donation_allocation_donation_id_core_donation"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_core_donation_allocation_household_id_core_household"),
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["core_assistance_measure.id"],
            name=op.f("fk_core_donation_allocation_measure_id_core_assistance_measure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_donation_allocation")),
    )
    with op.batch_alter_table("core_donation_allocation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_donation_allocation_donation_id"), ["donation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_donation_allocation_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_donation_allocation_measure_id"), ["measure_id"], unique=False
        )

    op.create_table(
        "core_five_known",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "item",
            sa.Enum(
                "FAMILY_SITUATION",
                "ECONOMIC_SITUATION",
                "WISHES",
                "DIFFICULTIES",
                "MEDICAL_AND_SCHOOLING",
                name="five_known_item",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["core_pairing.id"],
            name=op.f("fk_core_five_known_pairing_id_core_pairing"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["core_person.id"], name=op.f("fk_core_five_known_person_id_core_person")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["core_user.id"],
            name=op.f("fk_core_five_known_updated_by_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_five_known")),
        sa.UniqueConstraint("pairing_id", "item", name=op.f("uq_core_five_known_pairing_id_item")),
    )
    with op.batch_alter_table("core_five_known", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_five_known_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "core_screening_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column(
            "household_path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "last_outcome",
            sa.Enum(
                "VISITED",
                "NOT_FOUND",
                "REFUSED",
                name="visit_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("last_visited_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["core_screening_campaign.id"],
            name=op.f("fk_core_screening_target_campaign_id_core_screening_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_core_screening_target_household_id_core_household"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_screening_target")),
        sa.UniqueConstraint(
            "campaign_id",
            "household_id",
            name=op.f("uq_core_screening_target_campaign_id_household_id"),
        ),
    )
    with op.batch_alter_table("core_screening_target", schema=None) as batch_op:
        batch_op.create_index(
            "ix_core_screening_target_campaign_path",
            ["campaign_id", "household_path"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_core_screening_target_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "core_screening_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("visitor_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "VISITED",
                "NOT_FOUND",
                "REFUSED",
                name="visit_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["core_screening_campaign.id"],
            name=op.f("fk_core_screening_visit_campaign_id_core_screening_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_core_screening_visit_household_id_core_household"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["core_organisation.id"],
            name=op.f("fk_core_screening_visit_organisation_id_core_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["core_user.id"],
            name=op.f("fk_core_screening_visit_visitor_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_screening_visit")),
    )
    with op.batch_alter_table("core_screening_visit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_screening_visit_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_screening_visit_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "core_screening_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column(
            "domain",
            sa.Enum(
                "LIVING",
                "EDUCATION",
                "MEDICAL",
                "HOUSING",
                "EMPLOYMENT",
                "CARE",
                name="problem_domain",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "LOW",
                "MEDIUM",
                "HIGH",
                name="severity",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("is_key", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_core_screening_problem_household_id_core_household"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_core_screening_problem_person_id_core_person"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["core_screening_visit.id"],
            name=op.f("fk_core_screening_problem_visit_id_core_screening_visit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_screening_problem")),
    )
    with op.batch_alter_table("core_screening_problem", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_screening_problem_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_screening_problem_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_screening_problem_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "core_measure_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_core_measure_problem_household_id_core_household"),
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["core_assistance_measure.id"],
            name=op.f("fk_core_measure_problem_measure_id_core_assistance_measure"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["core_screening_problem.id"],
            name=op.f("fk_core_measure_problem_problem_id_core_screening_problem"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_measure_problem")),
        sa.UniqueConstraint(
            "measure_id", "problem_id", name=op.f("uq_core_measure_problem_measure_id_problem_id")
        ),
    )
    with op.batch_alter_table("core_measure_problem", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_measure_problem_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_measure_problem_measure_id"), ["measure_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_core_measure_problem_problem_id"), ["problem_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("core_measure_problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_measure_problem_problem_id"))
        batch_op.drop_index(batch_op.f("ix_core_measure_problem_measure_id"))
        batch_op.drop_index(batch_op.f("ix_core_measure_problem_household_id"))

    op.drop_table("core_measure_problem")
    with op.batch_alter_table("core_screening_problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_screening_problem_visit_id"))
        batch_op.drop_index(batch_op.f("ix_core_screening_problem_person_id"))
        batch_op.drop_index(batch_op.f("ix_core_screening_problem_household_id"))

    op.drop_table("core_screening_problem")
    with op.batch_alter_table("core_screening_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_screening_visit_household_id"))
        batch_op.drop_index(batch_op.f("ix_core_screening_visit_campaign_id"))

    op.drop_table("core_screening_visit")
    with op.batch_alter_table("core_screening_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_screening_target_household_id"))
        batch_op.drop_index("ix_core_screening_target_campaign_path")

    op.drop_table("core_screening_target")
    with op.batch_alter_table("core_five_known", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_five_known_person_id"))

    op.drop_table("core_five_known")
    with op.batch_alter_table("core_donation_allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_donation_allocation_measure_id"))
        batch_op.drop_index(batch_op.f("ix_core_donation_allocation_household_id"))
        batch_op.drop_index(batch_op.f("ix_core_donation_allocation_donation_id"))

    op.drop_table("core_donation_allocation")
    with op.batch_alter_table("core_screening_campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_screening_campaign_region_code"))
        batch_op.drop_index(batch_op.f("ix_core_screening_campaign_area_path"))

    op.drop_table("core_screening_campaign")
    with op.batch_alter_table("core_donation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_donation_region_code"))
        batch_op.drop_index(batch_op.f("ix_core_donation_area_path"))

    op.drop_table("core_donation")
    with op.batch_alter_table("core_care_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_care_response_person_id"))
        batch_op.drop_index(batch_op.f("ix_core_care_response_event_id"))

    op.drop_table("core_care_response")
    with op.batch_alter_table("core_assistance_measure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_assistance_measure_responsible_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_core_assistance_measure_plan_id"))
        batch_op.drop_index(batch_op.f("ix_core_assistance_measure_household_id"))

    op.drop_table("core_assistance_measure")
    with op.batch_alter_table("core_care_event", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_core_care_event_source",
            sqlite_where=sa.text("source IS NOT NULL"),
            postgresql_where=sa.text("source IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_core_care_event_person_id"))
        batch_op.drop_index(batch_op.f("ix_core_care_event_deadline"))

    op.drop_table("core_care_event")
    op.drop_table("core_assistance_plan")
