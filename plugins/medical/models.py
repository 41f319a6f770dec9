"""Tables of the medical plugin (all prefixed ``medical_``).

Money is exact: ``Numeric(12, 2)`` yuan, handled as ``decimal.Decimal``, never float.
"""

import datetime as dt
import decimal
import enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.plugin import Base, PersonScoped, utcnow

MONEY = Numeric(12, 2)


class InsuranceScheme(enum.StrEnum):
    """Basic medical insurance schemes."""

    RESIDENT = "RESIDENT"  # 城乡居民基本医疗保险
    EMPLOYEE = "EMPLOYEE"  # 职工基本医疗保险


class InsuranceEnrolment(PersonScoped, Base):
    """A person's basic medical insurance for one year, and whether critical-illness
    insurance (大病保险) covers them that year."""

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
    critical_illness_covered: Mapped[bool] = mapped_column(default=False, server_default=false())

    __table_args__ = (
        UniqueConstraint("person_id", "year"),
        CheckConstraint("premium >= 0", name="premium"),
    )


class MedicalCondition(PersonScoped, Base):
    """A chronic or serious illness (慢性病 / 大病) of a person: sensitive (PIPL art. 28).

    ``diagnosis_code`` comes from the configured list (``BANGFU_MEDICAL_CONDITIONS``);
    ``diagnosis_cipher`` is the free-text diagnosis, encrypted with the field cipher and
    bound to the person (see :mod:`bangfu.plugins.medical.diagnoses`). Column names say
    "diagnosis" so the audit trail masks them.
    """

    __tablename__ = "medical_condition"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    diagnosis_code: Mapped[str] = mapped_column(String(64))
    diagnosis_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    serious: Mapped[bool] = mapped_column(default=False)
    diagnosed_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Hospitalisation(PersonScoped, Base):
    """A stay in hospital; ``discharged_on`` is empty while the person is still there."""

    __tablename__ = "medical_hospitalisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    hospital: Mapped[str] = mapped_column(String(200))
    admitted_on: Mapped[dt.date] = mapped_column(Date)
    discharged_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    serious: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("discharged_on IS NULL OR discharged_on >= admitted_on", name="dates"),
    )


class MedicalAidClaim(PersonScoped, Base):
    """A one-stop settlement (一站式结算) of medical costs: who paid what, in yuan.

    The four parts add up to the total exactly; the database checks it too (rounded to
    the fen, so SQLite's floating-point sums cannot reject a true equality).
    """

    __tablename__ = "medical_aid_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    hospitalisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("medical_hospitalisation.id"), index=True, default=None
    )
    total_cost: Mapped[decimal.Decimal] = mapped_column(MONEY)
    paid_by_insurance: Mapped[decimal.Decimal] = mapped_column(MONEY)
    paid_by_medical_aid: Mapped[decimal.Decimal] = mapped_column(MONEY)
    paid_by_donations: Mapped[decimal.Decimal] = mapped_column(MONEY)
    out_of_pocket: Mapped[decimal.Decimal] = mapped_column(MONEY)
    settled_on: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("total_cost > 0", name="total"),
        CheckConstraint(
            "paid_by_insurance >= 0 AND paid_by_medical_aid >= 0 "
            "AND paid_by_donations >= 0 AND out_of_pocket >= 0",
            name="parts",
        ),
        CheckConstraint(
            "ROUND(total_cost - (paid_by_insurance + paid_by_medical_aid "
            "+ paid_by_donations + out_of_pocket), 2) = 0",
            name="parts_add_up",
        ),
    )
