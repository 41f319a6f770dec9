"""Township and village organisations (R7): four new organisation kinds.

``core_organisation.kind`` is a VARCHAR(32) with a CHECK constraint listing the kinds
(``native_enum=False``), not a PostgreSQL enum type: adding kinds replaces the CHECK. On
SQLite the table is rebuilt (batch mode); existing rows, GRASSROOTS_PARTY_ORGANISATION
among them, are kept. A downgrade refuses while rows of the new kinds exist (the old
CHECK would reject them).

Revision ID: core_0010
Revises: core_0009
Create Date: 2026-12-06 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0010"
down_revision: str | Sequence[str] | None = "core_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "core_organisation"
NAME = "organisation_kind"  # ck_core_organisation_organisation_kind by the naming convention

OLD_KINDS = (
    "PARTY_COMMITTEE",
    "GOVERNMENT",
    "COUNTY_GOVERNMENT",
    "DEPARTMENT",
    "TRADE_UNION",
    "WOMENS_FEDERATION",
    "YOUTH_LEAGUE",
    "GRASSROOTS_PARTY_ORGANISATION",
)
NEW_KINDS = (
    *OLD_KINDS,
    "TOWNSHIP_PARTY_COMMITTEE",
    "TOWNSHIP_GOVERNMENT",
    "VILLAGE_PARTY_BRANCH",
    "VILLAGE_COMMITTEE",
)


def _kind(kinds: Sequence[str]) -> sa.Enum:
    return sa.Enum(*kinds, name=NAME, native_enum=False, create_constraint=True, length=32)


def _replace(old: Sequence[str], new: Sequence[str]) -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column(
            "kind", existing_type=_kind(old), type_=_kind(new), existing_nullable=False
        )


def upgrade() -> None:
    _replace(OLD_KINDS, NEW_KINDS)


def downgrade() -> None:
    added = [kind for kind in NEW_KINDS if kind not in OLD_KINDS]
    used = op.get_bind().scalar(
        sa.text(f"SELECT count(*) FROM {TABLE} WHERE kind IN :kinds").bindparams(
            sa.bindparam("kinds", added, expanding=True)
        )
    )
    if used:
        raise RuntimeError(
            f"{used} organisation(s) of the kinds {', '.join(added)} exist: remove them "
            "before downgrading below core_0010_grassroots"
        )
    _replace(NEW_KINDS, OLD_KINDS)
