"""Models of one-to-one pairing (一包一, R6): pairings and their five knowns.

The other care models: ``screening_models``, ``plan_models``, ``event_models``,
``donation_models``.
"""

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.care.enums import FiveKnownItem, db_enum
from bangfu.core.db import Base, utcnow
from bangfu.core.registry.scoping import PersonScoped
from bangfu.core.security.masking import SENSITIVE_TEXT


class Pairing(PersonScoped, Base):
    """One-to-one pairing (一包一): an official responsible for a hardship person (R6).

    At most one active pairing per person, enforced by the database; an ended pairing
    stays as hand-over history.
    """

    __tablename__ = "core_pairing"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index(
            "uq_core_pairing_active_person",
            "person_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )


class FiveKnown(PersonScoped, Base):
    """One of a pairing's five knowns: a note and the day it was last verified."""

    __tablename__ = "core_five_known"

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("core_pairing.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    item: Mapped[FiveKnownItem] = mapped_column(db_enum(FiveKnownItem, "five_known_item"))
    note: Mapped[str] = mapped_column(Text, info=SENSITIVE_TEXT)
    verified_on: Mapped[dt.date] = mapped_column(Date)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("pairing_id", "item"),)
