"""Tables of the medical plugin (all prefixed ``medical_``)."""

import decimal
import enum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Integer, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.registry import PersonScoped


class InsuranceScheme(enum.StrEnum):
    """Basic medical insurance schemes."""

    RESIDENT = "RESIDENT"  # 城乡居民基本医疗保险
    EMPLOYEE = "EMPLOYEE"  # 职工基本医疗保险


class InsuranceEnrolment(PersonScoped, Base):
    """A person's basic medical insurance for one year."""

    __tablename__ = "medical_insurance_enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    scheme: Mapped[InsuranceScheme] = mapped_column(
        Enum(
            InsuranceScheme,
            name="insurance_scheme",
            native_enum=False,
            create_constraint=True,
            length=32,
        )
    )
    premium: Mapped[decimal.Decimal] = mapped_column(Numeric(12, 2))
    premium_paid_by_government: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        UniqueConstraint("person_id", "year"),
        CheckConstraint("premium >= 0", name="premium"),
    )
