"""Care events (五个关心, R6) and the paired official's responses to them.

The due state of an event is never stored: ``bangfu.core.care.due`` computes it from
``deadline`` and ``answered_on`` in SQL, for every query, filter and count.
"""

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.care.enums import ResponseKind, db_enum
from bangfu.core.care.events import CareEventKind
from bangfu.core.db import Base, utcnow
from bangfu.core.registry.scoping import PersonScoped


class CareEvent(PersonScoped, Base):
    """Something that calls for the paired official's care, with its deadline.

    ``source`` (the record that raised it, or ``holiday:<holiday>:<year>``) makes raising
    idempotent: one event per person, kind and source (a unique index).
    ``answered_on`` is the day of the first response.
    """

    __tablename__ = "core_care_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    kind: Mapped[CareEventKind] = mapped_column(db_enum(CareEventKind, "care_event_kind"))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    raised_by: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str | None] = mapped_column(String(200), default=None)
    answered_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index(
            "uq_core_care_event_source",
            "person_id",
            "kind",
            "source",
            unique=True,
            sqlite_where=text("source IS NOT NULL"),
            postgresql_where=text("source IS NOT NULL"),
        ),
    )


class CareResponse(PersonScoped, Base):
    """A visit or call answering a care event, with notes and the help given."""

    __tablename__ = "core_care_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("core_care_event.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    kind: Mapped[ResponseKind] = mapped_column(db_enum(ResponseKind, "response_kind"))
    responded_on: Mapped[dt.date] = mapped_column(Date)
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    help_given: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
