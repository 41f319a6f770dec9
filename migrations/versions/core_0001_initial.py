"""Core tables: regions, organisations, persons, households, memberships,
category assignments, users and access tokens.

Revision ID: core_0001
Revises: (none)
Create Date: 2026-11-28 23:33:19.725259
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("core",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_region",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "CITY",
                "COUNTY",
                "TOWNSHIP",
                "VILLAGE",
                name="region_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column(
            "path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("sort_key", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["core_region.code"],
            name=op.f("fk_core_region_parent_code_core_region"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_core_region")),
        sa.UniqueConstraint("path", name=op.f("uq_core_region_path")),
    )
    op.create_index(
        op.f("ix_core_region_parent_code"), "core_region", ["parent_code"], unique=False
    )
    op.create_table(
        "core_household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("is_key_household", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "area_path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["core_region.code"],
            name=op.f("fk_core_household_region_code_core_region"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_household")),
    )
    op.create_index(
        op.f("ix_core_household_area_path"), "core_household", ["area_path"], unique=False
    )
    op.create_index(
        op.f("ix_core_household_region_code"), "core_household", ["region_code"], unique=False
    )
    op.create_table(
        "core_organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PARTY_COMMITTEE",
                "GOVERNMENT",
                "COUNTY_GOVERNMENT",
                "DEPARTMENT",
                "TRADE_UNION",
                "WOMENS_FEDERATION",
                "YOUTH_LEAGUE",
                "GRASSROOTS_PARTY_ORGANISATION",
                name="organisation_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["core_region.code"],
            name=op.f("fk_core_organisation_region_code_core_region"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_organisation")),
        sa.UniqueConstraint("code", name=op.f("uq_core_organisation_code")),
    )
    op.create_index(
        op.f("ix_core_organisation_region_code"), "core_organisation", ["region_code"], unique=False
    )
    op.create_table(
        "core_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_number_digest", sa.String(length=64), nullable=False),
        sa.Column("id_number_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_masked", sa.String(length=18), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column(
            "sex",
            sa.Enum(
                "MALE", "FEMALE", name="sex", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column(
            "hukou_type",
            sa.Enum(
                "URBAN",
                "RURAL",
                name="hukou_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("disability_category", sa.Integer(), nullable=True),
        sa.Column("disability_grade", sa.Integer(), nullable=True),
        sa.Column("disability_certified_on", sa.Date(), nullable=True),
        sa.Column("guardian_id", sa.Integer(), nullable=True),
        sa.Column("deceased", sa.Boolean(), nullable=False),
        sa.Column("is_key_person", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "area_path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "disability_category IS NULL OR disability_category BETWEEN 1 AND 7",
            name=op.f("ck_core_person_disability_category"),
        ),
        sa.CheckConstraint(
            "disability_grade IS NULL OR disability_grade BETWEEN 1 AND 4",
            name=op.f("ck_core_person_disability_grade"),
        ),
        sa.ForeignKeyConstraint(
            ["guardian_id"],
            ["core_person.id"],
            name=op.f("fk_core_person_guardian_id_core_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["core_region.code"],
            name=op.f("fk_core_person_region_code_core_region"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_person")),
        sa.UniqueConstraint("id_number_digest", name=op.f("uq_core_person_id_number_digest")),
    )
    op.create_index(op.f("ix_core_person_area_path"), "core_person", ["area_path"], unique=False)
    op.create_index(op.f("ix_core_person_birth_date"), "core_person", ["birth_date"], unique=False)
    op.create_index(
        op.f("ix_core_person_guardian_id"), "core_person", ["guardian_id"], unique=False
    )
    op.create_index(op.f("ix_core_person_name"), "core_person", ["name"], unique=False)
    op.create_index(
        op.f("ix_core_person_region_code"), "core_person", ["region_code"], unique=False
    )
    op.create_table(
        "core_category_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
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
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("certifying_organisation_id", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=True),
        sa.Column("rule_version", sa.String(length=40), nullable=False),
        sa.Column("monthly_allowance", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "monthly_allowance IS NULL OR monthly_allowance >= 0",
            name=op.f("ck_core_category_assignment_allowance"),
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from",
            name=op.f("ck_core_category_assignment_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["certifying_organisation_id"],
            ["core_organisation.id"],
            name=op.f("fk_core_category_assignment_certifying_organisation_id_core_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_person.id"],
            name=op.f("fk_core_category_assignment_person_id_core_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_category_assignment")),
    )
    op.create_index(
        op.f("ix_core_category_assignment_category"),
        "core_category_assignment",
        ["category"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_category_assignment_person_id"),
        "core_category_assignment",
        ["person_id"],
        unique=False,
    )
    op.create_table(
        "core_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "relation",
            sa.Enum(
                "HEAD",
                "SPOUSE",
                "CHILD",
                "PARENT",
                "GRANDCHILD",
                "GRANDPARENT",
                "SIBLING",
                "OTHER_RELATIVE",
                "OTHER",
                name="relation",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_core_membership_dates")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["core_household.id"],
            name=op.f("fk_core_membership_household_id_core_household"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["core_person.id"], name=op.f("fk_core_membership_person_id_core_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_membership")),
    )
    op.create_index(
        op.f("ix_core_membership_household_id"), "core_membership", ["household_id"], unique=False
    )
    op.create_index(
        op.f("ix_core_membership_person_id"), "core_membership", ["person_id"], unique=False
    )
    op.create_index(
        "uq_core_membership_current_head",
        "core_membership",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("relation = 'HEAD' AND end_date IS NULL"),
        postgresql_where=sa.text("relation = 'HEAD' AND end_date IS NULL"),
    )
    op.create_index(
        "uq_core_membership_current_person",
        "core_membership",
        ["person_id"],
        unique=True,
        sqlite_where=sa.text("end_date IS NULL"),
        postgresql_where=sa.text("end_date IS NULL"),
    )
    op.create_table(
        "core_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["core_organisation.id"],
            name=op.f("fk_core_user_organisation_id_core_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["core_region.code"], name=op.f("fk_core_user_region_code_core_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_user")),
        sa.UniqueConstraint("username", name=op.f("uq_core_user_username")),
    )
    op.create_index(
        op.f("ix_core_user_organisation_id"), "core_user", ["organisation_id"], unique=False
    )
    op.create_table(
        "core_access_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["core_user.id"], name=op.f("fk_core_access_token_user_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_access_token")),
        sa.UniqueConstraint("digest", name=op.f("uq_core_access_token_digest")),
    )
    op.create_index(
        op.f("ix_core_access_token_user_id"), "core_access_token", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_core_access_token_user_id"), table_name="core_access_token")
    op.drop_table("core_access_token")
    op.drop_index(op.f("ix_core_user_organisation_id"), table_name="core_user")
    op.drop_table("core_user")
    op.drop_index(
        "uq_core_membership_current_person",
        table_name="core_membership",
        sqlite_where=sa.text("end_date IS NULL"),
        postgresql_where=sa.text("end_date IS NULL"),
    )
    op.drop_index(
        "uq_core_membership_current_head",
        table_name="core_membership",
        sqlite_where=sa.text("relation = 'HEAD' AND end_date IS NULL"),
        postgresql_where=sa.text("relation = 'HEAD' AND end_date IS NULL"),
    )
    op.drop_index(op.f("ix_core_membership_person_id"), table_name="core_membership")
    op.drop_index(op.f("ix_core_membership_household_id"), table_name="core_membership")
    op.drop_table("core_membership")
    op.drop_index(
        op.f("ix_core_category_assignment_person_id"), table_name="core_category_assignment"
    )
    op.drop_index(
        op.f("ix_core_category_assignment_category"), table_name="core_category_assignment"
    )
    op.drop_table("core_category_assignment")
    op.drop_index(op.f("ix_core_person_region_code"), table_name="core_person")
    op.drop_index(op.f("ix_core_person_name"), table_name="core_person")
    op.drop_index(op.f("ix_core_person_guardian_id"), table_name="core_person")
    op.drop_index(op.f("ix_core_person_birth_date"), table_name="core_person")
    op.drop_index(op.f("ix_core_person_area_path"), table_name="core_person")
    op.drop_table("core_person")
    op.drop_index(op.f("ix_core_organisation_region_code"), table_name="core_organisation")
    op.drop_table("core_organisation")
    op.drop_index(op.f("ix_core_household_region_code"), table_name="core_household")
    op.drop_index(op.f("ix_core_household_area_path"), table_name="core_household")
    op.drop_table("core_household")
    op.drop_index(op.f("ix_core_region_parent_code"), table_name="core_region")
    op.drop_table("core_region")
