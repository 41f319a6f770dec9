"""Tables of the employment plugin (all prefixed ``employment_``).

Every table is person-scoped: a row is visible to an actor whose area covers its person.
Money is ``Numeric(12, 2)``: exact yuan and fen, never floats.
"""

import datetime as dt
import decimal
import enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.db import Base
from bangfu.core.registry import PersonScoped


class WorkStatus(enum.StrEnum):
    """What a person does for a living (就业状态)."""

    EMPLOYED = "EMPLOYED"
    SELF_EMPLOYED = "SELF_EMPLOYED"
    SEEKING_WORK = "SEEKING_WORK"
    IN_TRAINING = "IN_TRAINING"
    UNABLE_TO_WORK = "UNABLE_TO_WORK"
    STUDENT = "STUDENT"
    RETIRED = "RETIRED"


WORKING = frozenset({WorkStatus.EMPLOYED, WorkStatus.SELF_EMPLOYED})
"""Statuses with work and an income."""

NOT_EXPECTED_TO_WORK = frozenset(
    {WorkStatus.UNABLE_TO_WORK, WorkStatus.STUDENT, WorkStatus.RETIRED}
)
"""Statuses for which the work indicators do not apply."""


class UnableReason(enum.StrEnum):
    """Why a person cannot work (sensitive: health data, PIPL art. 28)."""

    DISABILITY = "DISABILITY"
    ILLNESS = "ILLNESS"
    AGE = "AGE"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Enums are strings with a CHECK constraint: the same on SQLite and PostgreSQL."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32)


def _money() -> Numeric[decimal.Decimal]:
    return Numeric(12, 2)


class WorkStatusRecord(PersonScoped, Base):
    """A person's work status from ``since``; the one without ``until`` is current.

    History is kept: recording a new status closes the current one the day before.
    (Columns are in the order the migrations built them.)
    """

    __tablename__ = "employment_work_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    status: Mapped[WorkStatus] = mapped_column(_enum(WorkStatus, "work_status"))
    employer: Mapped[str | None] = mapped_column(
        String(200), default=None, doc="The employer (EMPLOYED), or the business (SELF_EMPLOYED)."
    )
    reason_detail: Mapped[str | None] = mapped_column(
        String(200), default=None, doc="A note on why the person cannot work."
    )
    since: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date, default=None)
    monthly_income: Mapped[decimal.Decimal | None] = mapped_column(
        _money(), default=None, doc="Declared monthly income from this work, in yuan."
    )
    unable_reason: Mapped[UnableReason | None] = mapped_column(
        _enum(UnableReason, "unable_reason"), default=None
    )
    disability_grade: Mapped[int | None] = mapped_column(
        Integer, default=None, doc="GB/T 26341 grade 1 to 4, when the reason is DISABILITY."
    )

    __table_args__ = (
        CheckConstraint("until IS NULL OR until >= since", name="dates"),
        CheckConstraint("monthly_income IS NULL OR monthly_income >= 0", name="income"),
        CheckConstraint(
            "unable_reason IS NULL OR status = 'UNABLE_TO_WORK'", name="unable_reason_status"
        ),
        CheckConstraint(
            "disability_grade IS NULL OR "
            "(unable_reason = 'DISABILITY' AND disability_grade BETWEEN 1 AND 4)",
            name="disability_grade",
        ),
        # At most one current status per person.
        Index(
            "uq_employment_work_status_current",
            "person_id",
            unique=True,
            sqlite_where=text("until IS NULL"),
            postgresql_where=text("until IS NULL"),
        ),
    )


class Training(PersonScoped, Base):
    """A vocational training course a person attends (职业技能培训)."""

    __tablename__ = "employment_training"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    course: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(
        Date, default=None, doc="The (planned) last day; empty when open-ended."
    )
    completed: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        CheckConstraint("NOT completed OR end_date IS NOT NULL", name="completed_end"),
    )


class JobPlacement(PersonScoped, Base):
    """A job the person was placed in (就业安置): employer, post, wage."""

    __tablename__ = "employment_job_placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    employer: Mapped[str] = mapped_column(String(200))
    post: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    monthly_wage: Mapped[decimal.Decimal] = mapped_column(_money())

    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        CheckConstraint("monthly_wage > 0", name="wage"),
    )


class PublicWelfarePost(PersonScoped, Base):
    """A public-welfare post (公益性岗位) for a fixed period, paid a monthly subsidy."""

    __tablename__ = "employment_welfare_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    post: Mapped[str] = mapped_column(String(200))
    monthly_subsidy: Mapped[decimal.Decimal] = mapped_column(_money())
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("monthly_subsidy > 0", name="subsidy"),
    )


MODELS = (WorkStatusRecord, Training, JobPlacement, PublicWelfarePost)
