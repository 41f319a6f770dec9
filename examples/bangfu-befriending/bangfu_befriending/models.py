"""The tables of the befriending plugin (交朋友, R8): every one person-scoped.

A volunteer of a trade union, women's federation or youth league befriends a hardship
person (a ``Relationship``), keeps in contact (``Contact``: a visit, a call or an
activity, with notes on the family and the person's emotional state, and the help or
donation given), and raises a ``Flag`` when the person's emotional state worsens, which
the person's paired official sees.
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
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.plugin import Base, PersonScoped, utcnow


class ContactKind(enum.StrEnum):
    """How the volunteer kept in touch."""

    VISIT = "VISIT"
    CALL = "CALL"
    ACTIVITY = "ACTIVITY"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=16)


class Relationship(PersonScoped, Base):
    """A volunteer befriends a person, for an organisation, since a day (until another)."""

    __tablename__ = "befriending_relationship"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    since: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("until IS NULL OR until >= since", name="dates"),
        Index(
            "uq_befriending_relationship_active",
            "person_id",
            "volunteer_id",
            unique=True,
            sqlite_where=text("until IS NULL"),
            postgresql_where=text("until IS NULL"),
        ),
    )


class Contact(PersonScoped, Base):
    """One contact of a befriending relationship.

    Readable only by the writing organisation, the person's paired official and city
    administrators; ``emotional_state`` is sensitive (every read is audited).
    """

    __tablename__ = "befriending_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    relationship_id: Mapped[int] = mapped_column(
        ForeignKey("befriending_relationship.id"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    contacted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[ContactKind] = mapped_column(_enum(ContactKind, "befriending_contact_kind"))
    family_changes: Mapped[str | None] = mapped_column(Text, default=None)
    emotional_state: Mapped[str | None] = mapped_column(Text, default=None)
    help_given: Mapped[str | None] = mapped_column(Text, default=None)
    donation_yuan: Mapped[decimal.Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("donation_yuan IS NULL OR donation_yuan > 0", name="donation_positive"),
    )


class Flag(PersonScoped, Base):
    """A volunteer's alarm: the person's emotional state has worsened (open until closed)."""

    __tablename__ = "befriending_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    raised_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(2000))
    closed_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
