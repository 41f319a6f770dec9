"""The stored bottom line (R3): each person's verdict per indicator, kept current by the
write that changes it (``bangfu.core.bottomline.stored``), and the rules versions the
verdicts were judged with."""

import datetime as dt
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    ColumnElement,
    ForeignKey,
    Index,
    Select,
    String,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.db import Base, PathString
from bangfu.core.registry.scoping import AreaPathScoped, GlobalModel
from bangfu.migrations.versions import core_0008_bottom_line_tally as tally_migration


class StoredVerdict(AreaPathScoped, Base):
    """One person's verdict on one indicator, as judged on ``judged_on``.

    ``area_path`` is the person's (area filters and summaries need no join);
    ``hardship`` says whether the person held a hardship category that day (the summary
    counts only them). ``modules`` are the deciding modules, comma-separated.
    ``valid_until`` is the first day the verdict may change by the calendar alone (NULL:
    only a write changes it).
    """

    __tablename__ = "core_bottom_line_verdict"
    __table_args__ = (
        # Covering: the at-risk filter reads an area's persons from it alone.
        Index(
            "ix_core_bottom_line_verdict_at_risk", "indicator", "status", "area_path", "person_id"
        ),
    )

    person_id: Mapped[int] = mapped_column(
        ForeignKey("core_person.id", ondelete="CASCADE"), primary_key=True
    )
    indicator: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    modules: Mapped[str] = mapped_column(String(200))
    judged_on: Mapped[dt.date] = mapped_column(index=True)
    valid_until: Mapped[dt.date | None] = mapped_column(index=True)
    hardship: Mapped[bool]

    @classmethod
    def __paired_criteria__(cls, person_ids: Select[Any]) -> ColumnElement[bool]:
        return cls.person_id.in_(person_ids)


class RulesVersion(GlobalModel, Base):
    """The rules version of each module the stored verdicts were judged with."""

    __tablename__ = "core_bottom_line_rules"

    module: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))


class BottomLineTally(AreaPathScoped, Base):
    """How many hardship persons' verdicts of an area have an indicator in a status: the
    ``GROUP BY`` of ``bottomLineSummary``, kept by the database itself.

    Triggers on ``core_bottom_line_verdict`` (migration core_0008) add every
    inserted, deleted or changed row of a hardship person, whatever wrote it. The count of
    a key is the sum of ``n`` over its slots:

    - SQLite has one writer: every change adds to slot 0, so the table stays one row per
      (area, indicator, status).
    - PostgreSQL: each transaction adds to a slot of its own (from its transaction ID), so
      concurrent writers never wait for each other's counters (and cannot deadlock on
      them). :func:`bangfu.core.bottomline.tally.compact` folds the slots into slot 0 (the
      worker every few minutes, and every rebuild).
    """

    __tablename__ = "core_bottom_line_tally"
    # Not in backups: restoring the verdicts fills it again.
    __table_args__ = {"info": {"derived": True}}

    area_path: Mapped[str] = mapped_column(PathString, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


#: The tally's triggers per dialect, as the latest migration that changed them creates them.
TALLY_TRIGGERS = {
    dialect: tally_migration.triggers(dialect) for dialect in ("sqlite", "postgresql")
}

for _dialect, _statements in TALLY_TRIGGERS.items():
    for _statement in _statements:
        event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))
