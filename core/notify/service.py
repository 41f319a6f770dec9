"""Recording notifications, exactly once, in the transaction of the change that causes them.

Who is told (docs/care.md, "Who is told"):

- a care event raised: the person's paired official; for a person nobody is paired with,
  the county's civil-affairs office (the active users with the ``CIVIL_AFFAIRS_OFFICER``
  role whose area is the person's county); and the responsible units (below) of the
  event's domains (:data:`KIND_DOMAINS`);
- a pairing started or ended: its official;
- a key problem found by a screening visit: the paired official of the person it names, or
  of every current member for a problem of the whole household; and the responsible units
  of the problem's domain;
- a reminder before a care event's deadline: as for the event raised;
- an escalation when the deadline passed unanswered: the county's civil-affairs office.

A responsible unit is the organisation of an open measure (neither ``DONE`` nor
``CANCELLED``) of the plan of a household the person is a current member of (一户一策), in
the domain concerned. Of a unit, the active users whose area holds the person's (the
household's, for a problem) and who may open the subject (``care:read``, and not a paired
official's view alone) are told.

The user whose write causes the notification is not told of it (they know). Every
function here runs in the caller's session and transaction: a write that rolls back
notifies no one. Recording is an ``INSERT ... ON CONFLICT DO NOTHING`` under the unique
key (recipient, reason, subject), on SQLite and PostgreSQL alike, so it is idempotent.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import today
from bangfu.core.db import utcnow
from bangfu.core.effective import current
from bangfu.core.i18n import N_, _, speaking
from bangfu.core.notify.models import (
    Notification,
    NotificationDelivery,
    NotificationReason,
    NotificationState,
)
from bangfu.core.security.actor import Actor, ActorKind, Role
from bangfu.core.webhooks import outbox as webhooks
from bangfu.core.webhooks.events import WebhookEvent

#: The length of a county's region path (``141000/141023/``).
COUNTY_PATH_LENGTH = 14
_BATCH = 500

#: The messages, by reason (and, for a care event's own, by who is told): whole English
#: msgids with named placeholders, translated when shown. They name no person.
TEMPLATES: Mapping[str, str] = {
    "RAISED": N_(
        "A care event ({kind}) was raised for a person paired with you: answer it by {deadline}."
    ),
    "RAISED_UNPAIRED": N_(
        "A care event ({kind}) was raised for a person of your county whom no official is "
        "paired with: answer it by {deadline}."
    ),
    "REMINDER": N_(
        "Reminder: a care event ({kind}) of a person paired with you is due on {deadline} "
        "and not answered yet."
    ),
    "REMINDER_UNPAIRED": N_(
        "Reminder: a care event ({kind}) of a person of your county whom no official is "
        "paired with is due on {deadline} and not answered yet."
    ),
    "ESCALATION": N_(
        "A care event ({kind}) of your county passed its deadline {deadline} unanswered."
    ),
    "PAIRING_STARTED": N_(
        "You were paired with a person from {start}: keep their five knowns and answer "
        "their care events."
    ),
    "PAIRING_ENDED": N_("Your pairing with a person ended on {end}."),
    "KEY_PROBLEM": N_(
        "A screening visit on {day} found a key problem ({domain}) of a person paired with "
        "you: the household's plan needs a measure for it."
    ),
    # The responsible unit's: the organisation of an open measure of the household's plan.
    "RAISED_UNIT": N_(
        "A care event ({kind}) was raised for a person of a household whose plan gives your "
        "unit an open measure ({domain}): it is to be answered by {deadline}; see whether "
        "the measure still fits."
    ),
    "REMINDER_UNIT": N_(
        "Reminder: a care event ({kind}) of a person of a household whose plan gives your "
        "unit an open measure ({domain}) is due on {deadline} and not answered yet."
    ),
    "KEY_PROBLEM_UNIT": N_(
        "A screening visit on {day} found a key problem ({domain}) in a household whose "
        "plan gives your unit an open measure of that domain: see whether the measure needs "
        "revising."
    ),
}

#: How the values of placeholders that name a code read (care-event kinds, problem domains).
LABELS: Mapping[str, Mapping[str, str]] = {
    "kind": {
        "HOSPITALISATION": N_("hospitalisation"),
        "SCHOOL_DROPOUT": N_("school dropout"),
        "DISASTER": N_("disaster"),
        "BEREAVEMENT": N_("bereavement"),
        "HOLIDAY": N_("major holiday"),
    },
    "domain": {
        "LIVING": N_("living"),
        "EDUCATION": N_("education"),
        "MEDICAL": N_("medical care"),
        "HOUSING": N_("housing"),
        "EMPLOYMENT": N_("employment"),
        "CARE": N_("someone in charge"),
    },
}


@dataclasses.dataclass(frozen=True)
class NewNotification:
    """A notification to record: recipient, reason, subject, and its message (a template
    of :data:`TEMPLATES` with its values, or a plugin's text)."""

    recipient_id: int
    reason: str
    subject_kind: str
    subject_id: int
    template: str | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    text: str | None = None


def render(template: str | None, params: Mapping[str, Any], text: str = "") -> str:
    """The message in the current language: the template's msgid translated, its
    placeholders filled (codes shown by their labels); a plugin's text as it is."""
    if template is None:
        return text
    values: dict[str, Any] = {}
    for name, value in params.items():
        label = LABELS.get(name, {}).get(value)
        values[name] = value if label is None else _(label)
    return _(template, **values)


def message_of(row: Notification) -> str:
    """A notification's message in the reader's language."""
    return render(row.template, row.params or {}, row.message)


def own(actor: Actor) -> Select[Any]:
    """THE read of notifications: the actor's own, whatever their role. Every query,
    ``node(id:)`` and ``notificationMarkRead`` starts from it."""
    recipient = actor.id if actor.kind is ActorKind.USER else None
    return select(Notification).where(Notification.recipient_id == recipient)


async def record(session: AsyncSession, notifications: Iterable[NewNotification]) -> int:
    """Record ``notifications`` in ``session``'s transaction, each once: one already
    recorded (same recipient, reason and subject) is left as it is. The user acting in
    ``session`` is not told of what they do. Returns how many were recorded now."""
    actor = session.info.get("actor")
    myself = actor.id if isinstance(actor, Actor) and actor.kind is ActorKind.USER else None
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, str, str, int]] = set()
    with speaking(None):  # the service's language (BANGFU_LANGUAGE), what channels send
        for n in notifications:
            key = (n.recipient_id, n.reason, n.subject_kind, n.subject_id)
            if n.recipient_id == myself or key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "recipient_id": n.recipient_id,
                    "reason": n.reason,
                    "subject_kind": n.subject_kind,
                    "subject_id": n.subject_id,
                    "template": n.template,
                    "params": dict(n.params),
                    "message": render(n.template, n.params, n.text or "")[:500],
                    "state": NotificationState.CREATED.value,
                }
            )
    if not rows:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    created = 0
    for start in range(0, len(rows), _BATCH):
        result = await session.execute(
            insert(Notification)
            .values(rows[start : start + _BATCH])
            .on_conflict_do_nothing()
            .returning(Notification.id)
        )
        created += len(result.all())
    return created


# -- who is told ----------------------------------------------------------------------


async def officials_of(session: AsyncSession, person_ids: Collection[int]) -> dict[int, list[int]]:
    """The paired officials of each person (pairings that hold today)."""
    from bangfu.core.care.models import Pairing

    found: dict[int, list[int]] = {}
    if not person_ids:
        return found
    day = today()
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), _BATCH):
        rows = await session.execute(
            select(Pairing.person_id, Pairing.official_id).where(
                Pairing.person_id.in_(ids[start : start + _BATCH]),
                current(Pairing.start_date, Pairing.end_date, day),
            )
        )
        for person_id, official_id in rows:
            found.setdefault(person_id, []).append(official_id)
    return found


async def county_offices(
    session: AsyncSession, person_ids: Collection[int]
) -> dict[int, list[int]]:
    """The county civil-affairs office of each person: the active users with the
    ``CIVIL_AFFAIRS_OFFICER`` role whose area is the person's county."""
    from bangfu.core.registry.models import Person, Region
    from bangfu.core.security.models import User

    if not person_ids:
        return {}
    ids = sorted(set(person_ids))
    county_of: dict[int, str] = {}
    for start in range(0, len(ids), _BATCH):
        rows = await session.execute(
            select(Person.id, Person.area_path).where(Person.id.in_(ids[start : start + _BATCH]))
        )
        county_of.update({pid: path[:COUNTY_PATH_LENGTH] for pid, path in rows})
    counties = set(county_of.values())
    users: dict[str, list[int]] = {}
    if counties:
        staff = await session.execute(
            select(User.id, User.roles, Region.path)
            .join(Region, Region.code == User.region_code)
            .where(Region.path.in_(counties), User.is_active.is_(True))
            .order_by(User.id)
        )
        for user_id, roles, path in staff:
            if Role.CIVIL_AFFAIRS_OFFICER.value in (roles or []):
                users.setdefault(path, []).append(user_id)
    return {pid: users.get(path, []) for pid, path in county_of.items()}


@dataclasses.dataclass(frozen=True)
class EventFacts:
    """What a care event's notifications say: its key, person, kind and deadline."""

    id: int
    person_id: int
    kind: str
    deadline: dt.date


# -- the responsible unit (一户一策) ------------------------------------------------------

#: The problem domains of a care event of each kind: the organisations of the household's
#: open measures in them are responsible with the paired official. A holiday visit is the
#: paired official's alone.
KIND_DOMAINS: Mapping[str, tuple[str, ...]] = {
    "HOSPITALISATION": ("MEDICAL",),
    "SCHOOL_DROPOUT": ("EDUCATION",),
    "DISASTER": ("HOUSING", "LIVING"),
    "BEREAVEMENT": ("CARE",),
    "HOLIDAY": (),
}


def _open_measure() -> ColumnElement[bool]:
    """SQL: a measure still to be carried out (DONE and CANCELLED are final)."""
    from bangfu.core.care.enums import MeasureStatus
    from bangfu.core.care.plan_models import Measure

    return Measure.status.not_in([MeasureStatus.DONE, MeasureStatus.CANCELLED])


async def units_of_persons(
    session: AsyncSession, person_ids: Collection[int], domains: Collection[str]
) -> dict[int, tuple[str, list[tuple[str, int]]]]:
    """The responsible units of each person in ``domains``: the person's area path, and
    ``(domain, organisation)`` of every open measure of the plans of the households the
    person is a current member of. Persons without one are left out."""
    from bangfu.core.care.plan_models import Measure
    from bangfu.core.registry.models import Membership, Person

    found: dict[int, tuple[str, list[tuple[str, int]]]] = {}
    if not person_ids or not domains:
        return found
    day = today()
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), _BATCH):
        rows = await session.execute(
            select(
                Membership.person_id,
                Person.area_path,
                Measure.domain,
                Measure.responsible_organisation_id,
            )
            .join(Person, Person.id == Membership.person_id)
            .join(Measure, Measure.household_id == Membership.household_id)
            .where(
                Membership.person_id.in_(ids[start : start + _BATCH]),
                current(Membership.start_date, Membership.end_date, day),
                Measure.domain.in_(sorted(domains)),
                _open_measure(),
            )
            .distinct()
            .order_by(Membership.person_id, Measure.responsible_organisation_id)
        )
        for person_id, area_path, domain, organisation_id in rows:
            units = found.setdefault(person_id, (area_path, []))[1]
            units.append((str(domain), organisation_id))
    return found


async def unit_readers(
    session: AsyncSession, units: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], list[int]]:
    """The users to tell of each unit ``(organisation, area path)``: the organisation's
    active users whose area holds the area path and who may read care work there, as the
    API would let them (``care:read``, and not a paired official's view alone, which
    opens the persons paired with them only: those are told as their official)."""
    from bangfu.core.registry.models import Organisation, Region
    from bangfu.core.security.auth import actor_for_user
    from bangfu.core.security.models import User
    from bangfu.core.security.permissions import CORE_ACTIONS

    wanted = set(units)
    if not wanted:
        return {}
    care_read = next(action for action in CORE_ACTIONS if action.name == "care:read")
    holding = {path[: end + 1] for _org, path in wanted for end in _slashes(path)}
    rows = await session.execute(
        select(
            User.id,
            User.username,
            User.organisation_id,
            User.roles,
            Region.path,
            Organisation.department,
        )
        .join(Region, Region.code == User.region_code)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(
            User.organisation_id.in_(sorted({org for org, _path in wanted})),
            User.is_active.is_(True),
            Region.path.in_(sorted(holding)),
        )
        .order_by(User.id)
    )
    staff: dict[int, list[tuple[int, str]]] = {}
    for user in rows:
        actor = actor_for_user(user, user.path, user.department)
        if care_read.granted_to(actor) and not actor.paired_only:
            staff.setdefault(user.organisation_id, []).append((user.id, user.path))
    return {
        (org, area): [user for user, path in staff.get(org, []) if area.startswith(path)]
        for org, area in wanted
    }


def _slashes(path: str) -> list[int]:
    """Where ``path``'s regions end: each ``/`` (``141000/141023/``: 6 and 13)."""
    return [index for index, char in enumerate(path) if char == "/"]


async def _units_of_events(
    session: AsyncSession, events: Sequence[EventFacts], reason: NotificationReason
) -> list[NewNotification]:
    """The notifications of the responsible units of care events (raised or reminded):
    one per recipient, naming the first of the event's domains the unit has a measure in."""
    domains_of = {e.id: KIND_DOMAINS.get(str(e.kind), ()) for e in events}
    persons = {e.person_id for e in events if domains_of[e.id]}
    domains = {d for e in events for d in domains_of[e.id]}
    units = await units_of_persons(session, persons, domains)
    if not units:
        return []
    readers = await unit_readers(
        session, {(org, area) for area, measures in units.values() for _d, org in measures}
    )
    template = TEMPLATES[f"{reason.value}_UNIT"]
    notes: list[NewNotification] = []
    for event in events:
        area, measures = units.get(event.person_id, ("", []))
        for domain in domains_of[event.id]:
            params = {
                "kind": str(event.kind),
                "domain": domain,
                "deadline": event.deadline.isoformat(),
            }
            for measure_domain, org in measures:
                if measure_domain != domain:
                    continue
                for recipient in readers.get((org, area), []):
                    notes.append(
                        NewNotification(
                            recipient, reason.value, "CareEvent", event.id, template, params
                        )
                    )
    return notes


async def care_events_raised(session: AsyncSession, events: Sequence[EventFacts]) -> int:
    """Tell the paired official of each event's person (else the county's civil-affairs
    office), and the responsible units of the event's domains, that the event was raised."""
    return await _tell_responsible(session, events, NotificationReason.RAISED)


async def _tell_responsible(
    session: AsyncSession, events: Sequence[EventFacts], reason: NotificationReason
) -> int:
    await webhooks.care_events(
        session,
        WebhookEvent.CARE_EVENT_RAISED
        if reason is NotificationReason.RAISED
        else WebhookEvent.CARE_EVENT_REMINDER,
        events,
    )
    persons = {e.person_id for e in events}
    officials = await officials_of(session, persons)
    unpaired = persons - set(officials)
    offices = await county_offices(session, unpaired) if unpaired else {}
    notes: list[NewNotification] = []
    for event in events:
        params = {"kind": str(event.kind), "deadline": event.deadline.isoformat()}
        paired = officials.get(event.person_id)
        template = TEMPLATES[reason.value if paired else f"{reason.value}_UNPAIRED"]
        for recipient in paired or offices.get(event.person_id, []):
            notes.append(
                NewNotification(recipient, reason.value, "CareEvent", event.id, template, params)
            )
    notes += await _units_of_events(session, events, reason)
    return await record(session, notes)


async def care_event_answered(session: AsyncSession, event_id: int) -> None:
    """An answered event's reminders not delivered yet are cancelled, in the recipient's
    list and in the plugins' channels; partners are told."""
    from bangfu.core.care.event_models import CareEvent

    found = (
        await session.execute(
            select(CareEvent.id, CareEvent.person_id, CareEvent.kind, CareEvent.deadline).where(
                CareEvent.id == event_id
            )
        )
    ).first()
    if found is not None:
        await webhooks.care_events(session, WebhookEvent.CARE_EVENT_ANSWERED, [EventFacts(*found)])
    reminders = [
        Notification.subject_kind == "CareEvent",
        Notification.subject_id == event_id,
        Notification.reason == NotificationReason.REMINDER.value,
    ]
    await session.execute(
        update(Notification)
        .where(*reminders, Notification.state == NotificationState.CREATED.value)
        .values(state=NotificationState.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    # A reminder already handed to a plugin's channel (an SMS not sent yet) is not sent.
    await session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.state == "PENDING",
            NotificationDelivery.notification_id.in_(select(Notification.id).where(*reminders)),
        )
        .values(state=NotificationState.CANCELLED.value, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def pairing_changed(
    session: AsyncSession,
    pairing_id: int,
    official_id: int,
    *,
    started: dt.date | None = None,
    ended: dt.date | None = None,
) -> int:
    """Tell the official that their pairing started (``started``) or ended (``ended``)."""
    from bangfu.core.care.models import Pairing

    if ended is not None:
        reason, params = NotificationReason.PAIRING_ENDED, {"end": ended.isoformat()}
        event = WebhookEvent.PAIRING_ENDED
    else:
        assert started is not None
        reason, params = NotificationReason.PAIRING_STARTED, {"start": started.isoformat()}
        event = WebhookEvent.PAIRING_STARTED
    person = await session.scalar(select(Pairing.person_id).where(Pairing.id == pairing_id))
    if person is not None:
        areas = await webhooks.person_areas(session, {pairing_id: person})
        await webhooks.enqueue(session, event, "Pairing", areas, {pairing_id: params})
    return await record(
        session,
        [
            NewNotification(
                official_id, reason.value, "Pairing", pairing_id, TEMPLATES[reason.value], params
            )
        ],
    )


@dataclasses.dataclass(frozen=True)
class ProblemFacts:
    """A key problem found: its key, the person it names (None: the household), its domain."""

    id: int
    person_id: int | None
    domain: str


async def key_problems_found(
    session: AsyncSession,
    problems: Sequence[ProblemFacts],
    members: Collection[int],
    visited_on: dt.date,
) -> int:
    """Tell the paired officials concerned of each key problem: the named person's, or
    every current member's (``members``) for a problem of the whole household; and the
    responsible units of the problem's domain."""
    if not problems:
        return 0
    await _problems_to_partners(session, problems, visited_on)
    officials = await officials_of(session, members)
    notes: list[NewNotification] = []
    for problem in problems:
        persons = [problem.person_id] if problem.person_id is not None else sorted(members)
        params = {"day": visited_on.isoformat(), "domain": str(problem.domain)}
        for person_id in persons:
            for recipient in officials.get(person_id, []):
                notes.append(
                    NewNotification(
                        recipient,
                        NotificationReason.KEY_PROBLEM.value,
                        "Problem",
                        problem.id,
                        TEMPLATES["KEY_PROBLEM"],
                        params,
                    )
                )
    notes += await _units_of_problems(session, problems, visited_on)
    return await record(session, notes)


async def _problems_to_partners(
    session: AsyncSession, problems: Sequence[ProblemFacts], visited_on: dt.date
) -> None:
    from bangfu.core.care.screening_models import Problem
    from bangfu.core.registry.models import Household

    rows = await session.execute(
        select(Problem.id, Household.area_path)
        .join(Household, Household.id == Problem.household_id)
        .where(Problem.id.in_([p.id for p in problems]))
    )
    data = {p.id: {"domain": str(p.domain), "visitedOn": visited_on.isoformat()} for p in problems}
    await webhooks.enqueue(
        session, WebhookEvent.KEY_PROBLEM_FOUND, "Problem", {key: path for key, path in rows}, data
    )


async def _units_of_problems(
    session: AsyncSession, problems: Sequence[ProblemFacts], visited_on: dt.date
) -> list[NewNotification]:
    """The notifications of the responsible units of key problems: the organisations of
    the household's open measures in the problem's domain (they may need revising)."""
    from bangfu.core.care.plan_models import Measure
    from bangfu.core.care.screening_models import Problem
    from bangfu.core.registry.models import Household

    rows = (
        await session.execute(
            select(Problem.id, Household.area_path, Measure.responsible_organisation_id)
            .join(Household, Household.id == Problem.household_id)
            .join(
                Measure,
                and_(
                    Measure.household_id == Problem.household_id,
                    Measure.domain == Problem.domain,
                ),
            )
            .where(Problem.id.in_([p.id for p in problems]), _open_measure())
            .distinct()
            .order_by(Problem.id, Measure.responsible_organisation_id)
        )
    ).all()
    if not rows:
        return []
    readers = await unit_readers(session, {(org, area) for _id, area, org in rows})
    facts = {p.id: p for p in problems}
    notes: list[NewNotification] = []
    for problem_id, area, org in rows:
        params = {"day": visited_on.isoformat(), "domain": str(facts[problem_id].domain)}
        for recipient in readers.get((org, area), []):
            notes.append(
                NewNotification(
                    recipient,
                    NotificationReason.KEY_PROBLEM.value,
                    "Problem",
                    problem_id,
                    TEMPLATES["KEY_PROBLEM_UNIT"],
                    params,
                )
            )
    return notes


async def notify_responsible(
    session: AsyncSession,
    *,
    person_id: int,
    subject_kind: str,
    subject_id: int,
    message: Callable[[], str],
    reason: str = NotificationReason.FLAG_RAISED.value,
) -> int:
    """Tell those who care for a person of a module's record about them: the person's
    paired official, or, for a person nobody is paired with, the county's civil-affairs
    office. Once per recipient, reason and subject, in ``session``'s transaction (a write
    that rolls back tells no one); the user acting is not told.

    :param subject_kind: the GraphQL type name of the record (its global IDs' type name),
        ``subject_id`` its key: the recipient opens it with ``node(id:)``.
    :param message: writes the text with the module's catalog (``lambda: _("...")``),
        called in the service's language; it names no person (the recipient opens the
        subject to see what they may).
    :returns: how many were recorded now.
    """
    if reason not in NotificationReason.__members__:
        raise ValueError(f"unknown notification reason {reason!r}")
    with speaking(None):
        text = message()
    recipients = (await officials_of(session, [person_id])).get(person_id)
    if not recipients:
        recipients = (await county_offices(session, [person_id])).get(person_id, [])
    return await record(
        session,
        [NewNotification(r, reason, subject_kind, subject_id, text=text) for r in recipients],
    )


# -- reminders and escalation (the worker's job, bangfu.core.notify.jobs) ---------------


async def remind_and_escalate(
    session: AsyncSession, on: dt.date, working_days: int
) -> tuple[int, int]:
    """Record the reminders due on ``on`` and the escalations of events overdue on it.

    An open event is due a reminder from ``working_days`` working days before its deadline
    (make-up working days count, ``bangfu.core.calendar``) to the deadline; an open event
    past its deadline is escalated to its county's civil-affairs office. The events are
    read ``FOR UPDATE`` (PostgreSQL): an answer committed meanwhile is seen, and one
    being written waits, so no reminder is recorded for an event already answered.
    Returns how many reminders and escalations were recorded now.
    """
    from bangfu.core.calendar import shift_days
    from bangfu.core.care.event_models import CareEvent
    from bangfu.core.care.events import CareEventKind

    horizon = on + dt.timedelta(days=2 * working_days + 15)  # longest holiday break
    rows = await session.execute(
        select(CareEvent.id, CareEvent.person_id, CareEvent.kind, CareEvent.deadline)
        .where(
            CareEvent.answered_on.is_(None),
            CareEvent.deadline >= on,
            CareEvent.deadline <= horizon,
        )
        .order_by(CareEvent.id)
        .with_for_update()
    )
    due = [
        EventFacts(id_, person_id, CareEventKind(kind).value, deadline)
        for id_, person_id, kind, deadline in rows
        if shift_days(deadline, -working_days, working=True) <= on
    ]
    reminded = await _tell_responsible(session, due, NotificationReason.REMINDER)
    escalated_before = select(Notification.subject_id).where(
        Notification.subject_kind == "CareEvent",
        Notification.reason == NotificationReason.ESCALATION.value,
    )
    rows = await session.execute(
        select(CareEvent.id, CareEvent.person_id, CareEvent.kind, CareEvent.deadline)
        .where(
            and_(CareEvent.answered_on.is_(None), CareEvent.deadline < on),
            CareEvent.id.not_in(escalated_before),
        )
        .order_by(CareEvent.id)
        .with_for_update()
    )
    overdue = [
        EventFacts(id_, person_id, CareEventKind(kind).value, deadline)
        for id_, person_id, kind, deadline in rows
    ]
    await webhooks.care_events(session, WebhookEvent.CARE_EVENT_ESCALATED, overdue)
    offices = await county_offices(session, {e.person_id for e in overdue})
    notes = [
        NewNotification(
            recipient,
            NotificationReason.ESCALATION.value,
            "CareEvent",
            event.id,
            TEMPLATES["ESCALATION"],
            {"kind": event.kind, "deadline": event.deadline.isoformat()},
        )
        for event in overdue
        for recipient in offices.get(event.person_id, [])
    ]
    escalated = await record(session, notes)
    return reminded, escalated
