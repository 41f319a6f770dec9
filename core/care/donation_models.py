"""Social donations (社会捐助, R4) and their allocations to plan measures.

Amounts are stored exactly, as whole fen (0.01 yuan) in integers: no floating point on
SQLite, and ``allocated_fen`` can be raised with a conditional UPDATE that never lets
the allocations exceed the donation.
"""

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.care.areas import OverlappingAreaScoped
from bangfu.core.care.enums import ProblemDomain, db_enum
from bangfu.core.db import Base, utcnow
from bangfu.core.registry.models import Category
from bangfu.core.registry.scoping import HouseholdScoped


class Donation(OverlappingAreaScoped, Base):
    """A donation: who gave how much when, and what it may be spent on."""

    __tablename__ = "core_donation"

    id: Mapped[int] = mapped_column(primary_key=True)
    donor: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    allocated_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    received_on: Mapped[dt.date] = mapped_column(Date)
    # Restrictions: the area (area_path, region_code), and optionally a category and domain.
    region_code: Mapped[str] = mapped_column(ForeignKey("core_region.code"), index=True)
    category: Mapped[Category | None] = mapped_column(db_enum(Category, "category"), default=None)
    domain: Mapped[ProblemDomain | None] = mapped_column(
        db_enum(ProblemDomain, "problem_domain"), default=None
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint("allocated_fen >= 0 AND allocated_fen <= amount_fen", name="allocated"),
    )


class DonationAllocation(HouseholdScoped, Base):
    """Part of a donation given to a plan measure."""

    __tablename__ = "core_donation_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("core_donation.id"), index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("core_assistance_measure.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    allocated_on: Mapped[dt.date] = mapped_column(Date)
    allocated_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount"),)
