"""Care events (五个关心, R6): recording raised events, responses, holiday events.

Plugins raise events through ``PluginHost.raise_care_event``; core's
``bangfu_care_event`` implementation (``bangfu.core.plugins._CorePlugin``) calls
:func:`record_event`. Users raise them with ``careEventRaise``; the holiday calendar
with :meth:`CareEvents.raise_holiday_events`.
"""

import datetime as dt
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import Holiday, holiday_around, holiday_date
from bangfu.core.care.common import CareService
from bangfu.core.care.due import deadline_for, due_state
from bangfu.core.care.enums import ResponseKind
from bangfu.core.care.event_models import CareEvent, CareResponse
from bangfu.core.care.events import CareEventKind, CareEventRaised
from bangfu.core.care.models import Pairing
from bangfu.core.config import Settings
from bangfu.core.effective import current
from bangfu.core.errors import DomainError, ErrorCode, FieldError, text_problems
from bangfu.core.i18n import _
from bangfu.core.notify import service as notify
from bangfu.core.registry.models import Person
from bangfu.core.text_limits import MAX_NOTES

HOLIDAY_CALENDAR = "holiday-calendar"
_BATCH = 500


def holiday_source(holiday: Holiday, year: int) -> str:
    return f"holiday:{holiday.slug}:{year}"


def due_state_of(settings: Settings, today: dt.date) -> Any:
    """``CareEvent``'s due state on ``today``, as a SQL expression (bangfu.core.care.due)."""
    return due_state(CareEvent.deadline, CareEvent.answered_on, today, settings.care_due_soon_days)


async def record_event(
    session: AsyncSession, event: CareEventRaised, settings: Settings
) -> CareEvent:
    """Record a raised event with its deadline, once per person, kind and source.

    Runs in the raiser's transaction; an event with the same ``source`` recorded before
    is returned instead of a new one (raising is idempotent).
    """
    kind = CareEventKind(event.kind)
    if event.source is not None:
        found = await session.scalar(
            select(CareEvent).where(
                CareEvent.person_id == event.person_id,
                CareEvent.kind == kind,
                CareEvent.source == event.source,
            )
        )
        if found is not None:
            return found
    if await session.get(Person, event.person_id) is None:
        raise DomainError.of("personId", _("no Person with this ID"), ErrorCode.NOT_FOUND)
    row = CareEvent(
        person_id=event.person_id,
        kind=kind,
        occurred_on=event.occurred_on,
        deadline=deadline_for(kind, event.occurred_on, settings.care_sla),
        raised_by=event.raised_by[:100],
        summary=event.summary[:500],
        source=event.source,
    )
    session.add(row)
    await session.flush()
    await notify.care_events_raised(
        session, [notify.EventFacts(row.id, row.person_id, kind.value, row.deadline)]
    )
    return row


class CareEvents(CareService):
    """Care-event use cases for users."""

    async def raise_event(
        self, person_id: int, kind: CareEventKind, occurred_on: dt.date, summary: str
    ) -> CareEvent:
        await self.person(person_id, "input.personId")
        errors: list[FieldError] = []
        # Care is for persons in hardship (docs/care.md): a person holding no category on
        # the day nor today is refused. Events raised by modules are not held to this.
        if not await self.is_hardship_person(
            person_id, occurred_on
        ) and not await self.is_hardship_person(person_id, self.today):
            errors.append(
                FieldError(
                    "input.personId",
                    _(
                        "the person holds no hardship category: care events are raised for "
                        "persons in hardship (certify a category first)"
                    ),
                    ErrorCode.NOT_A_HARDSHIP_PERSON,
                )
            )
        if kind is CareEventKind.HOLIDAY:
            errors += self.holiday_errors(occurred_on, "input.occurredOn")
        else:
            errors += self.future_day(occurred_on, "input.occurredOn")
        errors += text_problems("input.summary", summary, 500, required=False)
        if errors:
            raise DomainError(*errors)
        return await record_event(
            self.session,
            CareEventRaised(
                person_id=person_id,
                kind=kind,
                occurred_on=occurred_on,
                raised_by=f"user:{self.actor.name}",
                summary=summary.strip(),
            ),
            self.settings,
        )

    def holiday_errors(self, day: dt.date, field: str) -> list[FieldError]:
        """``NOT_A_MAJOR_HOLIDAY`` unless ``day`` lies in the window of a major holiday that
        counts (``BANGFU_CARE_HOLIDAYS``, ``BANGFU_CARE_HOLIDAY_DAYS_BEFORE``)."""
        counted = self.settings.care_holidays
        before = self.settings.care_holiday_days_before
        if holiday_around(day, counted, before) is not None:
            return []
        return [
            FieldError(
                field,
                _(
                    "{day} is not a major holiday: a HOLIDAY care event falls on one of the "
                    "days of {holidays}, or up to {days} days before it",
                    day=day.isoformat(),
                    holidays=", ".join(h.value for h in counted),
                    days=before,
                ),
                ErrorCode.NOT_A_MAJOR_HOLIDAY,
            )
        ]

    async def respond(
        self,
        event_id: int,
        kind: ResponseKind,
        responded_on: dt.date | None,
        notes: str,
        help_given: str | None,
        *,
        may_answer_any: bool,
    ) -> CareResponse:
        """Record a visit or call; the first response answers the event.

        The paired official answers the events of their persons; ``may_answer_any``
        (civil affairs, administrators) lets an actor answer any event in their area.
        """
        event = await self.get(CareEvent, event_id, "input.eventId")
        if not may_answer_any:
            paired = await self.session.scalar(
                select(Pairing.id).where(
                    Pairing.person_id == event.person_id,
                    Pairing.official_id == self.actor.id,
                    current(Pairing.start_date, Pairing.end_date, self.today),
                )
            )
            if paired is None:
                raise DomainError.of(
                    "input.eventId",
                    _("only the person's paired official may answer this event"),
                    ErrorCode.FORBIDDEN,
                )
        responded_on = responded_on or self.today
        errors = self.future_day(responded_on, "input.respondedOn")
        if event.kind is not CareEventKind.HOLIDAY and responded_on < event.occurred_on:
            errors.append(
                FieldError(
                    "input.respondedOn",
                    _("a response cannot precede the event"),
                    ErrorCode.INVALID_DATE_RANGE,
                )
            )
        errors += text_problems("input.notes", notes, MAX_NOTES)
        errors += text_problems("input.helpGiven", help_given, MAX_NOTES, required=False)
        if errors:
            raise DomainError(*errors)
        response = CareResponse(
            event_id=event.id,
            person_id=event.person_id,
            kind=kind,
            responded_on=responded_on,
            responder_id=self.actor.id,
            notes=notes.strip(),
            help_given=(help_given or "").strip() or None,
        )
        self.session.add(response)
        # The first response answers the event: a conditional UPDATE, so that two
        # responses at once cannot both claim it.
        await self.session.execute(
            update(CareEvent)
            .where(CareEvent.id == event.id, CareEvent.answered_on.is_(None))
            .values(answered_on=responded_on)
            .execution_options(synchronize_session=False)
        )
        await self.flush()
        await notify.care_event_answered(self.session, event.id)
        await self.session.refresh(event)
        return response

    async def raise_holiday_events(self, holiday: Holiday, year: int) -> tuple[dt.date, int]:
        """A HOLIDAY event for every person with an active pairing, once per holiday and
        year: running it again raises nothing new. Returns the holiday's date and how many
        events were raised now."""
        if holiday not in self.settings.care_holidays:
            raise DomainError.of(
                "input.holiday",
                _(
                    "{holiday} is not one of the major holidays whose care events count: "
                    "{holidays} (the setting BANGFU_CARE_HOLIDAYS)",
                    holiday=holiday.value,
                    holidays=", ".join(h.value for h in self.settings.care_holidays),
                ),
                ErrorCode.NOT_A_MAJOR_HOLIDAY,
            )
        if abs(year - self.today.year) > 1:
            raise DomainError.of(
                "input.year",
                _("raise holiday events within a year of today"),
                ErrorCode.INVALID_YEAR,
            )
        try:
            day = holiday_date(holiday, year)
        except LookupError as exc:
            raise DomainError.of("input.year", str(exc), ErrorCode.INVALID_INPUT) from exc
        source = holiday_source(holiday, year)
        deadline = deadline_for(CareEventKind.HOLIDAY, day, self.settings.care_sla)
        persons = list(await self.session.scalars(self._persons_without(source, day)))
        created = 0
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        for start in range(0, len(persons), _BATCH):
            rows = [
                {
                    "person_id": person_id,
                    "kind": CareEventKind.HOLIDAY,
                    "occurred_on": day,
                    "deadline": deadline,
                    "raised_by": HOLIDAY_CALENDAR,
                    "summary": f"{holiday.slug} {year}",
                    "source": source,
                }
                for person_id in persons[start : start + _BATCH]
            ]
            # A concurrent run may have raised some meanwhile: the unique index keeps one.
            result = await self.session.execute(
                insert(CareEvent)
                .values(rows)
                .on_conflict_do_nothing()
                .returning(CareEvent.id, CareEvent.person_id)
            )
            raised = result.all()
            created += len(raised)
            await notify.care_events_raised(
                self.session,
                [notify.EventFacts(i, p, CareEventKind.HOLIDAY.value, deadline) for i, p in raised],
            )
        return day, created

    def _persons_without(self, source: str, day: dt.date) -> Select[Any]:
        raised = select(CareEvent.person_id).where(
            CareEvent.kind == CareEventKind.HOLIDAY, CareEvent.source == source
        )
        return (
            select(Pairing.person_id)
            .where(
                current(Pairing.start_date, Pairing.end_date, day),
                Pairing.person_id.not_in(raised),
            )
            .order_by(Pairing.person_id)
        )

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name
