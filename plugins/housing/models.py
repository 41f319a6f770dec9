"""Tables of the housing plugin (all prefixed ``housing_``), each scoped by its household.

- :class:`SafetyAppraisal`: a dwelling safety appraisal, grade A–D (JGJ 125-2016).
- :class:`RenovationProject`: renovation of a dangerous (C or D) house (农村危房改造).
- :class:`HousingAid`: a rental subsidy or a public rental housing allocation.
- :class:`DisasterReport`: a dwelling damaged by flood, fire, earthquake or another disaster.

Amounts are exact yuan (``Numeric(12, 2)``), never floats.
"""

import datetime as dt
import decimal
import enum

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.plugin import Base, HouseholdScoped, utcnow


def _enum(cls: type[enum.Enum], name: str, length: int = 32) -> Enum:
    # Stored as the member name in a VARCHAR with a CHECK constraint: portable and readable.
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=length)


class SafetyGrade(enum.StrEnum):
    """Dwelling safety grade (JGJ 125-2016): C partly dangerous, D wholly dangerous."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


DANGEROUS_GRADES = (SafetyGrade.C, SafetyGrade.D)
SAFE_GRADES = (SafetyGrade.A, SafetyGrade.B)


class RenovationStatus(enum.StrEnum):
    """Where a renovation project stands; it moves one step at a time, in this order."""

    PLANNED = "PLANNED"
    APPROVED = "APPROVED"
    UNDER_WAY = "UNDER_WAY"
    COMPLETED = "COMPLETED"
    ACCEPTED = "ACCEPTED"


#: A project in one of these statuses is *active*: the dangerous house is being dealt with.
ACTIVE_RENOVATION = (
    RenovationStatus.PLANNED,
    RenovationStatus.APPROVED,
    RenovationStatus.UNDER_WAY,
)
#: The status after each status (ACCEPTED is final).
NEXT_STATUS = {
    RenovationStatus.PLANNED: RenovationStatus.APPROVED,
    RenovationStatus.APPROVED: RenovationStatus.UNDER_WAY,
    RenovationStatus.UNDER_WAY: RenovationStatus.COMPLETED,
    RenovationStatus.COMPLETED: RenovationStatus.ACCEPTED,
}


class FundingSource(enum.StrEnum):
    """Who pays a renovation's subsidy."""

    GOVERNMENT_PROGRAMME = "GOVERNMENT_PROGRAMME"
    SOCIAL_DONATION = "SOCIAL_DONATION"


class AidKind(enum.StrEnum):
    """Housing aid other than renovation."""

    RENTAL_SUBSIDY = "RENTAL_SUBSIDY"  # 租赁补贴
    PUBLIC_RENTAL_HOUSING = "PUBLIC_RENTAL_HOUSING"  # 公租房实物配租


class DisasterKind(enum.StrEnum):
    FLOOD = "FLOOD"
    FIRE = "FIRE"
    EARTHQUAKE = "EARTHQUAKE"
    OTHER = "OTHER"


class SafetyAppraisal(HouseholdScoped, Base):
    """A safety appraisal of a household's dwelling."""

    __tablename__ = "housing_safety_appraisal"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    grade: Mapped[SafetyGrade] = mapped_column(
        Enum(SafetyGrade, name="safety_grade", native_enum=False, create_constraint=True, length=1)
    )
    appraised_on: Mapped[dt.date] = mapped_column(Date)
    # The appraising organisation: one in the registry, or a named appraisal body
    # (房屋安全鉴定机构) that is not; at least one of the two is recorded by the API.
    appraising_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_organisation.id"), default=None
    )
    report_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    # Added by housing_0002 (so it comes last in the table, as the migration adds it).
    appraiser_name: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (
        Index("ix_housing_safety_appraisal_household_latest", "household_id", "appraised_on"),
    )


class RenovationProject(HouseholdScoped, Base):
    """Renovation of a dangerous house (农村危房改造), from plan to acceptance.

    Started for a household whose latest appraisal is C or D (``appraisal_id``); accepted
    only with a new appraisal of A or B dated on or after completion
    (``acceptance_appraisal_id``). A household has at most one project not yet accepted.
    """

    __tablename__ = "housing_renovation_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    status: Mapped[RenovationStatus] = mapped_column(
        _enum(RenovationStatus, "housing_renovation_status"), index=True
    )
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("housing_safety_appraisal.id"))
    subsidy_amount: Mapped[decimal.Decimal] = mapped_column(Numeric(12, 2))
    funding_source: Mapped[FundingSource] = mapped_column(
        _enum(FundingSource, "housing_funding_source")
    )
    programme_name: Mapped[str | None] = mapped_column(String(200), default=None)
    donor: Mapped[str | None] = mapped_column(String(200), default=None)
    planned_on: Mapped[dt.date] = mapped_column(Date)
    approved_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    started_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    completed_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    acceptance_appraisal_id: Mapped[int | None] = mapped_column(
        ForeignKey("housing_safety_appraisal.id"), default=None
    )
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        # At most one project per household that is not yet accepted.
        Index(
            "uq_housing_renovation_project_open",
            "household_id",
            unique=True,
            sqlite_where=sql_text("status <> 'ACCEPTED'"),
            postgresql_where=sql_text("status <> 'ACCEPTED'"),
        ),
        CheckConstraint("subsidy_amount >= 0", name="subsidy_amount"),
        CheckConstraint(
            "(funding_source = 'GOVERNMENT_PROGRAMME' AND programme_name IS NOT NULL)"
            " OR (funding_source = 'SOCIAL_DONATION' AND donor IS NOT NULL)",
            name="funding",
        ),
        CheckConstraint(
            "status <> 'ACCEPTED' OR acceptance_appraisal_id IS NOT NULL", name="acceptance"
        ),
        CheckConstraint(
            "(approved_on IS NULL OR approved_on >= planned_on)"
            " AND (started_on IS NULL OR (approved_on IS NOT NULL AND started_on >= approved_on))"
            " AND (completed_on IS NULL OR (started_on IS NOT NULL AND completed_on >= started_on))"
            " AND (accepted_on IS NULL OR (completed_on IS NOT NULL"
            " AND accepted_on >= completed_on))",
            name="dates",
        ),
    )


class HousingAid(HouseholdScoped, Base):
    """A rental subsidy or a public rental housing allocation, for a period."""

    __tablename__ = "housing_aid"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    kind: Mapped[AidKind] = mapped_column(_enum(AidKind, "housing_aid_kind"))
    # Yuan per month: the subsidy paid, or the rent waived on the allocated dwelling.
    monthly_amount: Mapped[decimal.Decimal] = mapped_column(Numeric(12, 2))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    dwelling_address: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("monthly_amount >= 0", name="monthly_amount"),
        CheckConstraint("period_end >= period_start", name="period"),
    )


class DisasterReport(HouseholdScoped, Base):
    """A household's dwelling damaged by a disaster; ``responded_on`` once help was given."""

    __tablename__ = "housing_disaster_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    kind: Mapped[DisasterKind] = mapped_column(_enum(DisasterKind, "housing_disaster_kind"))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    damage: Mapped[str] = mapped_column(String(1000))
    reported_on: Mapped[dt.date] = mapped_column(Date)
    responded_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    response: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("reported_on >= occurred_on", name="reported"),
        CheckConstraint(
            "responded_on IS NULL OR (responded_on >= occurred_on AND response IS NOT NULL)",
            name="response",
        ),
    )
