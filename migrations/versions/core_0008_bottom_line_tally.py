"""The bottom line's tally: per area, indicator and status, how many hardship persons'
verdicts are in it, kept by triggers on ``core_bottom_line_verdict`` (``bottomLineSummary``
reads it instead of counting the verdicts). Filled from the verdicts stored now.

The verdicts' index for the at-risk filter also covers the person (the filter reads an
area's persons at risk from the index alone).

``bangfu.core.bottomline.models`` creates the same triggers for ``create_all`` (tests) from
:func:`triggers`; a later change of them is a new revision whose ``triggers`` it uses.

Revision ID: core_0008
Revises: core_0007
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0008"
down_revision: str | Sequence[str] | None = "core_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_ADD = """INSERT INTO core_bottom_line_tally (area_path, indicator, status, slot, n)
SELECT {row}.area_path, {row}.indicator, {row}.status, 0, {n} WHERE {row}.hardship
ON CONFLICT (area_path, indicator, status, slot) DO UPDATE SET n = n + excluded.n;"""
_PG_ADD = """INSERT INTO core_bottom_line_tally (area_path, indicator, status, slot, n)
    SELECT area_path, indicator, status, {slot}, {n} FROM {rows}
    WHERE hardship GROUP BY area_path, indicator, status
    ON CONFLICT (area_path, indicator, status, slot)
    DO UPDATE SET n = core_bottom_line_tally.n + excluded.n;"""
_EVENTS = ("insert", "delete", "update")
#: PostgreSQL: the writing transaction's own slot, 1 to 2**31 - 1 (0 is the folded count).
#: Transactions alive at once are fewer than 2**31 IDs apart, so their slots differ; were
#: two ever to share one, the second would only wait for the first (the counts add up).
_SLOT = "CAST(mod(txid_current(), 2147483646) + 1 AS integer)"


def _sqlite() -> list[str]:
    old, new = _SQLITE_ADD.format(row="OLD", n=-1), _SQLITE_ADD.format(row="NEW", n=1)
    bodies = {"insert": new, "delete": old, "update": old + "\n" + new}
    return [
        f"CREATE TRIGGER core_bottom_line_tally_{name} AFTER {name.upper()} "
        f"ON core_bottom_line_verdict BEGIN\n{bodies[name]}\nEND"
        for name in _EVENTS
    ]


def _postgresql() -> list[str]:
    tables = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    function = (
        "CREATE FUNCTION core_bottom_line_tally_add() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP IN ('DELETE', 'UPDATE') THEN\n    "
        + _PG_ADD.format(slot=_SLOT, n="-count(*)", rows="old_rows")
        + "\n  END IF;\n"
        "  IF TG_OP IN ('INSERT', 'UPDATE') THEN\n    "
        + _PG_ADD.format(slot=_SLOT, n="count(*)", rows="new_rows")
        + "\n  END IF;\n"
        "  RETURN NULL;\n"
        "END $$"
    )
    return [function] + [
        f"CREATE TRIGGER core_bottom_line_tally_{name} AFTER {name.upper()} "
        f"ON core_bottom_line_verdict REFERENCING {tables[name]} FOR EACH STATEMENT "
        "EXECUTE FUNCTION core_bottom_line_tally_add()"
        for name in _EVENTS
    ]


def triggers(dialect: str) -> list[str]:
    """The statements that create the tally's triggers on ``dialect``."""
    return _postgresql() if dialect == "postgresql" else _sqlite()


def upgrade() -> None:
    op.drop_index(
        "ix_core_bottom_line_verdict_indicator_status", table_name="core_bottom_line_verdict"
    )
    op.create_index(
        "ix_core_bottom_line_verdict_at_risk",
        "core_bottom_line_verdict",
        ["indicator", "status", "area_path", "person_id"],
        unique=False,
    )
    op.create_table(
        "core_bottom_line_tally",
        sa.Column(
            "area_path",
            sa.String(length=200).with_variant(sa.VARCHAR(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "area_path", "indicator", "status", "slot", name=op.f("pk_core_bottom_line_tally")
        ),
    )
    dialect = op.get_bind().dialect.name
    for statement in triggers(dialect):
        op.execute(statement)
    op.execute(
        "INSERT INTO core_bottom_line_tally (area_path, indicator, status, slot, n) "
        "SELECT area_path, indicator, status, 0, count(*) FROM core_bottom_line_verdict "
        "WHERE hardship GROUP BY area_path, indicator, status"
    )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    on = " ON core_bottom_line_verdict" if postgresql else ""
    for name in _EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS core_bottom_line_tally_{name}{on}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS core_bottom_line_tally_add()")
    op.drop_table("core_bottom_line_tally")
    op.drop_index("ix_core_bottom_line_verdict_at_risk", table_name="core_bottom_line_verdict")
    op.create_index(
        "ix_core_bottom_line_verdict_indicator_status",
        "core_bottom_line_verdict",
        ["indicator", "status", "area_path"],
        unique=False,
    )
