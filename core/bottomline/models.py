"""The stored bottom line (R3): each person's verdict per indicator, kept current by the
write that changes it (``bangfu.core.bottomline.stored``), and the rules versions the
verdicts were judged with."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, Select, String
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.db import Base
from bangfu.core.registry.scoping import AreaPathScoped, GlobalModel


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
        Index("ix_core_bottom_line_verdict_indicator_status", "indicator", "status", "area_path"),
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
