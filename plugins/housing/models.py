"""Tables of the housing plugin (all prefixed ``housing_``)."""

import datetime as dt
import enum

from sqlalchemy import Date, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.registry import HouseholdScoped


class SafetyGrade(enum.StrEnum):
    """Dwelling safety grade (JGJ 125-2016): C partly dangerous, D wholly dangerous."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class SafetyAppraisal(HouseholdScoped, Base):
    """A safety appraisal of a household's dwelling."""

    __tablename__ = "housing_safety_appraisal"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    grade: Mapped[SafetyGrade] = mapped_column(
        Enum(SafetyGrade, name="safety_grade", native_enum=False, create_constraint=True, length=1)
    )
    appraised_on: Mapped[dt.date] = mapped_column(Date)
    appraising_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_organisation.id"), default=None
    )
    report_reference: Mapped[str | None] = mapped_column(String(100), default=None)
