"""Tables of the education plugin (all prefixed ``education_``)."""

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.registry import PersonScoped


class SchoolStage(enum.StrEnum):
    PRESCHOOL = "PRESCHOOL"
    PRIMARY = "PRIMARY"
    JUNIOR_SECONDARY = "JUNIOR_SECONDARY"
    SENIOR_SECONDARY = "SENIOR_SECONDARY"
    SECONDARY_VOCATIONAL = "SECONDARY_VOCATIONAL"
    HIGHER = "HIGHER"


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "ENROLLED"
    SUSPENDED = "SUSPENDED"
    DROPPED_OUT = "DROPPED_OUT"
    GRADUATED = "GRADUATED"
    NOT_YET_OF_SCHOOL_AGE = "NOT_YET_OF_SCHOOL_AGE"


class Enrolment(PersonScoped, Base):
    """A child's enrolment at a school; ``end_date`` is empty while it is current."""

    __tablename__ = "education_enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    school_name: Mapped[str] = mapped_column(String(200))
    school_region_code: Mapped[str | None] = mapped_column(
        ForeignKey("core_region.code"), default=None
    )
    stage: Mapped[SchoolStage] = mapped_column(
        Enum(SchoolStage, name="school_stage", native_enum=False, create_constraint=True, length=32)
    )
    grade: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[EnrolmentStatus] = mapped_column(
        Enum(
            EnrolmentStatus,
            name="enrolment_status",
            native_enum=False,
            create_constraint=True,
            length=32,
        )
    )
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, default=None)

    __table_args__ = (CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),)
