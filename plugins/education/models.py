"""Tables of the education plugin (all prefixed ``education_``).

Two records, both about one child (``PersonScoped``: visible when the child lives in the
actor's area):

* :class:`Enrolment` — a period of a child's schooling with a status: at a school
  (``ENROLLED``, ``SUSPENDED``), out of it (``DROPPED_OUT``, ``GRADUATED``), or too young
  for it (``NOT_YET_OF_SCHOOL_AGE``). ``end_date`` is empty while the period is current;
  a child has at most one current period (a partial unique index says so).
* :class:`EducationAid` — money granted to a child for schooling, in exact yuan, with
  its funding source and the organisation that granted it.
"""

import datetime as dt
import decimal
import enum

from sqlalchemy import (
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


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as the member name in a VARCHAR with a CHECK constraint: the same on SQLite
    # and PostgreSQL, and readable in a dump.
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32)


class SchoolStage(enum.StrEnum):
    """学段: the stage of schooling."""

    PRESCHOOL = "PRESCHOOL"  # 学前教育 (kindergarten)
    PRIMARY = "PRIMARY"  # 小学, grades 1-6
    JUNIOR_SECONDARY = "JUNIOR_SECONDARY"  # 初中, grades 1-3
    SENIOR_SECONDARY = "SENIOR_SECONDARY"  # 普通高中, grades 1-3
    SECONDARY_VOCATIONAL = "SECONDARY_VOCATIONAL"  # 中职, grades 1-3
    HIGHER = "HIGHER"  # 高等教育


#: The highest grade of each stage (a grade is 1 to this).
MAX_GRADE = {
    SchoolStage.PRESCHOOL: 3,
    SchoolStage.PRIMARY: 6,
    SchoolStage.JUNIOR_SECONDARY: 3,
    SchoolStage.SENIOR_SECONDARY: 3,
    SchoolStage.SECONDARY_VOCATIONAL: 3,
    SchoolStage.HIGHER: 8,
}


class EnrolmentStatus(enum.StrEnum):
    """学籍状态: the status of a period of schooling."""

    ENROLLED = "ENROLLED"  # 在校
    SUSPENDED = "SUSPENDED"  # 休学: still enrolled, not attending for now
    DROPPED_OUT = "DROPPED_OUT"  # 辍学
    GRADUATED = "GRADUATED"  # 毕业
    NOT_YET_OF_SCHOOL_AGE = "NOT_YET_OF_SCHOOL_AGE"  # 未到入学年龄


#: Statuses that mean the child has a school place (accounted for, R3 "has a school").
AT_SCHOOL = (EnrolmentStatus.ENROLLED, EnrolmentStatus.SUSPENDED)


class AidKind(enum.StrEnum):
    """The kinds of education aid (教育资助)."""

    TUITION_WAIVER = "TUITION_WAIVER"  # 学费减免
    BOARDING_SUBSIDY = "BOARDING_SUBSIDY"  # 寄宿生生活补助
    SCHOLARSHIP = "SCHOLARSHIP"  # 奖学金、助学金
    TRANSPORT = "TRANSPORT"  # 交通补助
    OTHER = "OTHER"


class FundingSource(enum.StrEnum):
    """Where the money came from."""

    GOVERNMENT_PROGRAMME = "GOVERNMENT_PROGRAMME"  # a named government programme
    SOCIAL_DONATION = "SOCIAL_DONATION"  # a donor (社会捐助)


class Enrolment(PersonScoped, Base):
    """A period of a child's schooling; ``end_date`` is empty while it is current."""

    __tablename__ = "education_enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    # Empty only for NOT_YET_OF_SCHOOL_AGE (see the "school" CHECK below).
    school_name: Mapped[str | None] = mapped_column(String(200), default=None)
    school_region_code: Mapped[str | None] = mapped_column(
        ForeignKey("core_region.code"), index=True, default=None
    )
    stage: Mapped[SchoolStage | None] = mapped_column(
        _enum(SchoolStage, "school_stage"), default=None
    )
    grade: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[EnrolmentStatus] = mapped_column(_enum(EnrolmentStatus, "enrolment_status"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        CheckConstraint(
            "status = 'NOT_YET_OF_SCHOOL_AGE' OR (school_name IS NOT NULL AND stage IS NOT NULL)",
            name="school",
        ),
        CheckConstraint("grade IS NULL OR grade BETWEEN 1 AND 8", name="grade"),
        # At most one current period per child: enforced by the database, not only the code.
        Index(
            "uq_education_enrolment_current_person",
            "person_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
    )


class EducationAid(PersonScoped, Base):
    """Education aid granted to a child: exact yuan, a funding source, a granting body."""

    __tablename__ = "education_aid"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"))
    kind: Mapped[AidKind] = mapped_column(_enum(AidKind, "education_aid_kind"))
    amount: Mapped[decimal.Decimal] = mapped_column(Numeric(12, 2))
    granted_on: Mapped[dt.date] = mapped_column(Date)
    funding_source: Mapped[FundingSource] = mapped_column(
        _enum(FundingSource, "education_funding_source")
    )
    programme: Mapped[str | None] = mapped_column(String(200), default=None)
    donor: Mapped[str | None] = mapped_column(String(200), default=None)
    granting_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("core_organisation.id"), index=True
    )
    note: Mapped[str | None] = mapped_column(String(500), default=None)

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(
            "(funding_source = 'GOVERNMENT_PROGRAMME' AND programme IS NOT NULL)"
            " OR (funding_source = 'SOCIAL_DONATION' AND donor IS NOT NULL)",
            name="funding",
        ),
        # Aid of a person in a school year: the loaders' and the bottom line's lookup.
        Index("ix_education_aid_person_granted", "person_id", "granted_on"),
    )
