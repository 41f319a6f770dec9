"""Tables of the employment plugin (all prefixed ``employment_``)."""

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.registry import PersonScoped


class WorkStatus(enum.StrEnum):
    EMPLOYED = "EMPLOYED"
    SELF_EMPLOYED = "SELF_EMPLOYED"
    SEEKING_WORK = "SEEKING_WORK"
    IN_TRAINING = "IN_TRAINING"
    UNABLE_TO_WORK = "UNABLE_TO_WORK"
    STUDENT = "STUDENT"
    RETIRED = "RETIRED"


class WorkStatusRecord(PersonScoped, Base):
    """A person's work status from a date; the one without ``until`` is current."""

    __tablename__ = "employment_work_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    status: Mapped[WorkStatus] = mapped_column(
        Enum(WorkStatus, name="work_status", native_enum=False, create_constraint=True, length=32)
    )
    employer: Mapped[str | None] = mapped_column(String(200), default=None)
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    since: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date, default=None)

    __table_args__ = (CheckConstraint("until IS NULL OR until >= since", name="dates"),)
