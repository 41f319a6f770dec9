"""GraphQL of the five cares (五个关心, R6): care events, responses, holiday events.

Every due state shown, filtered on or counted comes from one SQL expression,
``bangfu.core.care.due.due_state`` (through ``due_state_of``), so the three always agree.
"""

import datetime as dt
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, and_, func, select
from strawberry.types import Info

from bangfu.core.calendar import Holiday
from bangfu.core.care.care_events import CareEvents, due_state_of
from bangfu.core.care.enums import DueState, ResponseKind
from bangfu.core.care.event_models import CareEvent, CareResponse
from bangfu.core.care.events import CareEventKind
from bangfu.core.care.models import Pairing
from bangfu.core.db import path_within
from bangfu.core.effective import current
from bangfu.core.registry.models import Person
from bangfu.core.security.models import User
from bangfu.schema.care.common import StaffMember, care_service, key_of, region_path, staff
from bangfu.schema.care.loaders import load
from bangfu.schema.composed import PersonType
from bangfu.schema.connections import CURSOR, After, Before, First, Last, Page, paginate
from bangfu.schema.descriptions import ERRORS, FILTER, GLOBAL_ID, INPUT
from bangfu.schema.errors import CoreError
from bangfu.schema.nodes import node_source
from bangfu.schema.permissions import requires
from bangfu.schema.relay import Node, decode_id, to_global_id
from bangfu.schema.scan_cost import INDEXED, NARROWS, SCANS
from bangfu.schema.transactions import run_mutation
from bangfu.schema.types import Organisation

SENSITIVE_KINDS = frozenset({CareEventKind.HOSPITALISATION})


@node_source(CareResponse, read="care:read")
@strawberry.type(name="CareResponse", description="A visit or call answering a care event.")
class CareResponseType(Node):
    kind: ResponseKind = strawberry.field(description="A visit or a call.")
    responded_on: dt.date = strawberry.field(description="The day of the visit or call.")
    notes: str = strawberry.field(
        description="What the official found and did, free text; empty when none were written."
    )
    help_given: str | None = strawberry.field(description="What help was given, if any.")

    @strawberry.field(description="The global ID of the response.")  # type: ignore[misc]
    @staticmethod
    def id(root: CareResponse) -> strawberry.ID:
        return strawberry.ID(to_global_id("CareResponse", root.id))

    @strawberry.field(description="The user who visited or called.")
    @staticmethod
    async def responder(root: CareResponse, info: Info) -> StaffMember | None:
        return await staff(info, root.responder_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, CareResponse)


@strawberry.type(name="CareEventCount", description="How many events are in a due state.")
class CareEventCount:
    due_state: DueState = strawberry.field(description="The due state counted.")
    count: int = strawberry.field(description="How many matching events are in it (0 or more).")


@strawberry.type(
    name="CareEscalation",
    description="Overdue events of one responsible organisation (the paired officials' "
    "organisation; null: persons without an active pairing).",
)
class CareEscalation:
    organisation_id: strawberry.Private[int | None]
    overdue: int = strawberry.field(description="How many of its events are OVERDUE.")
    oldest_deadline: dt.date = strawberry.field(
        description="The earliest deadline among them: how long the oldest has waited."
    )

    @strawberry.field(
        description="The organisation the paired officials work for; null for the events of "
        "persons with no active pairing."
    )
    async def organisation(self, info: Info) -> Organisation | None:
        if self.organisation_id is None:
            return None
        return await info.context.loaders["organisation"].load(self.organisation_id)


@strawberry.input(description="Filters for care events; all given filters must hold.")
class CareEventFilter:
    region_code: str | None = strawberry.field(
        default=None, description="Persons living there.", metadata=NARROWS
    )
    kinds: list[CareEventKind] | None = strawberry.field(
        default=None, description="Only events of one of these kinds.", metadata=SCANS
    )
    due_states: list[DueState] | None = strawberry.field(
        default=None,
        description="Only events in one of these due states (judged today).",
        metadata=SCANS,
    )
    open_only: bool = strawberry.field(
        default=False, description="Not answered yet.", metadata=SCANS
    )
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the events of this person (a global ID).", metadata=INDEXED
    )
    responsible_organisation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Events whose person's paired official works there.",
        metadata=SCANS,
    )
    paired_with_me: bool = strawberry.field(
        default=False, description="Events of the persons paired with you.", metadata=INDEXED
    )


@strawberry.input(description="A situation that calls for care (`careEventRaise`, R6).")
class CareEventRaiseInput:
    person_id: strawberry.ID = strawberry.field(description="The person's global ID.")
    kind: CareEventKind = strawberry.field(description="Which of the five cares.")
    occurred_on: dt.date = strawberry.field(description="For HOLIDAY: the holiday.")
    summary: str = strawberry.field(
        default="",
        description="What happened, for the official (at most 500 characters); for a "
        "hospitalisation it is health data, shown only with registry:read-sensitive.",
    )


@strawberry.input(description="A visit or call answering a care event (`careEventRespond`).")
class CareEventRespondInput:
    event_id: strawberry.ID = strawberry.field(description="The care event's global ID.")
    kind: ResponseKind = strawberry.field(description="A visit or a call.")
    notes: str = strawberry.field(description="What the official found and did, free text.")
    help_given: str | None = strawberry.field(
        default=None, description="What help was given, if any, free text."
    )
    responded_on: dt.date | None = strawberry.field(default=None, description="Today by default.")


@strawberry.input(
    description="A major holiday whose care events to raise (`careHolidayEventsRaise`)."
)
class CareHolidayEventsRaiseInput:
    holiday: Holiday = strawberry.field(description="The holiday.")
    year: int = strawberry.field(
        description="The year of the holiday (its date follows China's official calendar)."
    )


@strawberry.type(
    name="CareHolidayEventsPayload", description="The result of `careHolidayEventsRaise`."
)
class CareHolidayEventsPayload:
    raised: int = strawberry.field(
        default=0, description="Events raised now (0 when raised before)."
    )
    holiday_date: dt.date | None = strawberry.field(
        description="The holiday's date that year; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


async def events_statement(info: Info, filter: "CareEventFilter | None") -> Select[Any]:
    """Care events matching ``filter`` (area scoping adds the rest)."""
    statement = select(CareEvent)
    if filter is None:
        return statement
    context = info.context
    if filter.kinds:
        statement = statement.where(CareEvent.kind.in_([CareEventKind(k) for k in filter.kinds]))
    if filter.due_states:
        states = [DueState(s).value for s in filter.due_states]
        statement = statement.where(due_state_of(context.settings, context.today).in_(states))
    if filter.open_only:
        statement = statement.where(CareEvent.answered_on.is_(None))
    if filter.person_id is not None:
        statement = statement.where(CareEvent.person_id == key_of(filter.person_id, "Person"))
    path = await region_path(info, filter.region_code)
    if path is not None:
        statement = statement.where(
            CareEvent.person_id.in_(select(Person.id).where(path_within(Person.area_path, path)))
        )
    if filter.paired_with_me:
        statement = statement.where(
            CareEvent.person_id.in_(_paired_with(context.actor.id, context.today))
        )
    if filter.responsible_organisation_id is not None:
        organisation = key_of(filter.responsible_organisation_id, "Organisation")
        statement = statement.where(
            CareEvent.person_id.in_(
                select(Pairing.person_id)
                .join(User, User.id == Pairing.official_id)
                .where(
                    current(Pairing.start_date, Pairing.end_date, context.today),
                    User.organisation_id == organisation,
                )
            )
        )
    return statement


def _paired_with(official_id: int | None, today: dt.date) -> Select[Any]:
    return select(Pairing.person_id).where(
        Pairing.official_id == official_id, current(Pairing.start_date, Pairing.end_date, today)
    )


@node_source(CareEvent, read="care:read", loader="care_event")
@strawberry.type(name="CareEvent", description="Something that calls for care (五个关心).")
class CareEventType(Node):
    kind: CareEventKind = strawberry.field(description="Which of the five cares.")
    occurred_on: dt.date = strawberry.field(description="For HOLIDAY: the holiday.")
    deadline: dt.date = strawberry.field(description="Answer on or before this day.")
    raised_by: str = strawberry.field(
        description="The module (plugin name), `user:<name>` or `holiday-calendar`."
    )
    source: str | None = strawberry.field(description="The record that raised it, if any.")
    answered_on: dt.date | None = strawberry.field(description="Day of the first response.")

    @strawberry.field(description="The global ID of the event.")  # type: ignore[misc]
    @staticmethod
    def id(root: CareEvent) -> strawberry.ID:
        return strawberry.ID(to_global_id("CareEvent", root.id))

    @strawberry.field(
        description="What happened; for hospitalisations (health data) only with "
        "registry:read-sensitive, null otherwise."
    )
    @staticmethod
    def summary(root: CareEvent, info: Info) -> str | None:
        if root.kind in SENSITIVE_KINDS and not info.context.allowed("registry:read-sensitive"):
            return None
        return root.summary

    @strawberry.field(description="Computed on today's date (Asia/Shanghai), never stored.")
    @staticmethod
    async def due_state(root: CareEvent, info: Info) -> DueState:
        return DueState(await load(info, "care_due_state", root.id))

    @strawberry.field(description="The person; null when you may not see them.")
    @staticmethod
    async def person(root: CareEvent, info: Info) -> PersonType | None:
        return await info.context.loaders["person"].load(root.person_id)

    @strawberry.field(description="The official paired with the person now, if any.")
    @staticmethod
    async def responsible_official(root: CareEvent, info: Info) -> StaffMember | None:
        pairing = await load(info, "care_active_pairing_of_person", root.person_id)
        return None if pairing is None else await staff(info, pairing.official_id)

    @strawberry.field(description="Visits and calls, first (the one that answered) first.")
    @staticmethod
    async def responses(root: CareEvent, info: Info) -> list[CareResponseType]:
        return await load(info, "care_responses", root.id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, CareEvent)


@strawberry.type(name="CareEventEdge", description="A care event and its cursor.")
class CareEventEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: CareEventType = strawberry.field(description="The care event.")


@strawberry.type(
    name="CareEventConnection", description="A page of care events, with the total count."
)
class CareEventConnection(Page):
    edges: list[CareEventEdge] = strawberry.field(
        description="The care events of this page with their cursors, in order."
    )
    nodes: list[CareEventType] = strawberry.field(
        description="The care events of this page, in order: `edges` without the cursors."
    )


@strawberry.type(name="CareEventPayload", description="The result of `careEventRaise`.")
class CareEventPayload:
    care_event: CareEventType | None = strawberry.field(
        description="The event raised, with its deadline; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="CareEventRespondPayload", description="The result of `careEventRespond`.")
class CareEventRespondPayload:
    response: CareResponseType | None = strawberry.field(
        description="The response recorded; null when the input was refused."
    )
    care_event: CareEventType | None = strawberry.field(
        description="The event after the response (answered by the first one); null when the "
        "input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="Query")
class CareEventQuery:
    @strawberry.field(description="One care event by global ID.", extensions=requires("care:read"))
    async def care_event(
        self, info: Info, id: Annotated[strawberry.ID, GLOBAL_ID]
    ) -> CareEventType | None:
        key = key_of(id, "CareEvent")
        return None if key < 0 else await load(info, "care_event", key)

    @strawberry.field(
        description="Care events in your area by area, kind, due state ..., a page at a time.",
        extensions=requires("care:read"),
    )
    async def care_events(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[CareEventFilter | None, FILTER] = None,
    ) -> CareEventConnection:
        statement = await events_statement(info, filter)
        return await paginate(
            info.context,
            CareEventConnection,
            CareEventEdge,
            statement,
            CareEvent,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="Your open events: those of the persons paired with you, not answered yet.",
        extensions=requires("care:read"),
    )
    async def my_care_events(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        include_answered: Annotated[
            bool,
            strawberry.argument(
                description="Also the events already answered; by default only open ones.",
                metadata=INDEXED,
            ),
        ] = False,
    ) -> CareEventConnection:
        statement = await events_statement(
            info, CareEventFilter(paired_with_me=True, open_only=not include_answered)
        )
        return await paginate(
            info.context,
            CareEventConnection,
            CareEventEdge,
            statement,
            CareEvent,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="How many events matching the filter are in each due state.",
        extensions=requires("care:read"),
        metadata=SCANS,
    )
    async def care_event_counts(
        self, info: Info, filter: Annotated[CareEventFilter | None, FILTER] = None
    ) -> list[CareEventCount]:
        context = info.context
        state = due_state_of(context.settings, context.today).label("due_state")
        inner = (await events_statement(info, filter)).with_only_columns(state).subquery()
        statement = select(inner.c.due_state, func.count()).group_by(inner.c.due_state)
        async with context.read() as session:
            found = dict((await session.execute(statement)).all())
        return [CareEventCount(due_state=s, count=int(found.get(s.value, 0))) for s in DueState]

    @strawberry.field(
        description="The escalation list: overdue events per responsible organisation, most first.",
        extensions=requires("care:read"),
        metadata=SCANS,
    )
    async def care_escalation(self, info: Info) -> list[CareEscalation]:
        context = info.context
        overdue = func.count(CareEvent.id)
        statement = (
            select(User.organisation_id, overdue, func.min(CareEvent.deadline))
            .select_from(CareEvent)
            .outerjoin(
                Pairing,
                and_(
                    Pairing.person_id == CareEvent.person_id,
                    current(Pairing.start_date, Pairing.end_date, context.today),
                ),
            )
            .outerjoin(User, User.id == Pairing.official_id)
            .where(due_state_of(context.settings, context.today) == DueState.OVERDUE.value)
            .group_by(User.organisation_id)
            .order_by(overdue.desc(), User.organisation_id)
        )
        async with context.read() as session:
            rows = (await session.execute(statement)).all()
        return [
            CareEscalation(organisation_id=org, overdue=count, oldest_deadline=oldest)
            for org, count, oldest in rows
        ]


@strawberry.type(name="Mutation")
class CareEventMutation:
    @strawberry.mutation(
        description="Raise a care event; its deadline follows the SLA of its kind.",
        extensions=requires("care:raise"),
    )
    async def care_event_raise(
        self, info: Info, input: Annotated[CareEventRaiseInput, INPUT]
    ) -> CareEventPayload:
        async def work(events: CareEvents) -> CareEvent:
            return await events.raise_event(
                decode_id(input.person_id, "Person", "input.personId"),
                CareEventKind(input.kind),
                input.occurred_on,
                input.summary,
            )

        return await run_mutation(info, CareEventPayload, work, service=care_service(CareEvents))

    @strawberry.mutation(
        description="Record a visit or call answering a care event; the first answers it. "
        "The paired official answers their persons' events; care:respond-any any in your area.",
        extensions=requires("care:respond"),
    )
    async def care_event_respond(
        self, info: Info, input: Annotated[CareEventRespondInput, INPUT]
    ) -> CareEventRespondPayload:
        may_answer_any = info.context.allowed("care:respond-any")

        async def work(events: CareEvents) -> dict[str, Any]:
            response = await events.respond(
                decode_id(input.event_id, "CareEvent", "input.eventId"),
                ResponseKind(input.kind),
                input.responded_on,
                input.notes,
                input.help_given,
                may_answer_any=may_answer_any,
            )
            event = await events.get(CareEvent, response.event_id, "input.eventId")
            return {"response": response, "care_event": event}

        return await run_mutation(
            info, CareEventRespondPayload, work, service=care_service(CareEvents)
        )

    @strawberry.mutation(
        description="Raise the holiday's events for every person with an active pairing "
        "(in your area), once: running it again raises nothing new.",
        extensions=requires("care:holidays"),
    )
    async def care_holiday_events_raise(
        self, info: Info, input: Annotated[CareHolidayEventsRaiseInput, INPUT]
    ) -> CareHolidayEventsPayload:
        holiday = Holiday(input.holiday)

        async def work(events: CareEvents) -> dict[str, Any]:
            day, raised = await events.raise_holiday_events(holiday, input.year)
            return {"holiday_date": day, "raised": raised}

        return await run_mutation(
            info, CareHolidayEventsPayload, work, service=care_service(CareEvents)
        )
