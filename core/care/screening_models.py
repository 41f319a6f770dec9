"""Screening campaigns (排查, R5, R7): frozen targets, visits and the problems found."""

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.care.areas import OverlappingAreaScoped
from bangfu.core.care.enums import ProblemDomain, Severity, VisitOutcome, db_enum
from bangfu.core.db import Base, PathString, utcnow
from bangfu.core.registry.scoping import HouseholdScoped
from bangfu.core.security.masking import SENSITIVE_TEXT


class ScreeningCampaign(OverlappingAreaScoped, Base):
    """A campaign over an area for a period; its targets are frozen when it is created."""

    __tablename__ = "core_screening_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("core_region.code"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates"),)


class ScreeningTarget(HouseholdScoped, Base):
    """A household the campaign must visit, and how its latest visit went.

    ``household_path`` is the household's region path when the campaign started, so that
    coverage is counted against the frozen list; ``last_outcome`` is empty until visited.
    """

    __tablename__ = "core_screening_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("core_screening_campaign.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    household_path: Mapped[str] = mapped_column(PathString)
    last_outcome: Mapped[VisitOutcome | None] = mapped_column(
        db_enum(VisitOutcome, "visit_outcome"), default=None
    )
    last_visited_on: Mapped[dt.date | None] = mapped_column(Date, default=None)

    __table_args__ = (
        UniqueConstraint("campaign_id", "household_id"),
        Index("ix_core_screening_target_campaign_path", "campaign_id", "household_path"),
    )


class ScreeningVisit(HouseholdScoped, Base):
    """A door-to-door visit of a target household: who went, when, and the outcome."""

    __tablename__ = "core_screening_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("core_screening_campaign.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    visited_on: Mapped[dt.date] = mapped_column(Date)
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), default=None)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    outcome: Mapped[VisitOutcome] = mapped_column(db_enum(VisitOutcome, "visit_outcome"))
    notes: Mapped[str | None] = mapped_column(Text, default=None, info=SENSITIVE_TEXT)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Problem(HouseholdScoped, Base):
    """A problem a visit found; a key problem (重点问题) must be answered by the plan."""

    __tablename__ = "core_screening_problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("core_screening_visit.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_person.id"), index=True, default=None
    )
    domain: Mapped[ProblemDomain] = mapped_column(db_enum(ProblemDomain, "problem_domain"))
    description: Mapped[str] = mapped_column(String(1000), info=SENSITIVE_TEXT)
    severity: Mapped[Severity] = mapped_column(db_enum(Severity, "severity"))
    is_key: Mapped[bool] = mapped_column(default=False)
