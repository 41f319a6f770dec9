"""One plan per household (一户一策, R4, R5): measures answering the key problems."""

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.care.enums import FundingSource, MeasureStatus, ProblemDomain, db_enum
from bangfu.core.db import Base, utcnow
from bangfu.core.registry.scoping import HouseholdScoped


class AssistancePlan(HouseholdScoped, Base):
    """The household's one assistance plan."""

    __tablename__ = "core_assistance_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Measure(HouseholdScoped, Base):
    """A measure of a plan: what, by whom, by when, paid how; status changes are versioned."""

    __tablename__ = "core_assistance_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("core_assistance_plan.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    domain: Mapped[ProblemDomain] = mapped_column(db_enum(ProblemDomain, "problem_domain"))
    description: Mapped[str] = mapped_column(String(1000))
    responsible_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("core_organisation.id"), index=True
    )
    deadline: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[MeasureStatus] = mapped_column(
        db_enum(MeasureStatus, "measure_status"), default=MeasureStatus.PLANNED
    )
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    funding_source: Mapped[FundingSource] = mapped_column(db_enum(FundingSource, "funding_source"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("status != 'CANCELLED' OR status_reason IS NOT NULL", name="cancel_reason"),
    )


class MeasureProblem(HouseholdScoped, Base):
    """A problem a measure answers (a measure may answer several, a problem have several)."""

    __tablename__ = "core_measure_problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("core_assistance_measure.id"), index=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("core_screening_problem.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)

    __table_args__ = (UniqueConstraint("measure_id", "problem_id"),)
