"""Care demo data (``bangfu demo``): officials and pairings with five knowns (some stale),
care events (open, overdue, answered, and the next Spring Festival's), and the screening
campaign with plans and donations (``bangfu.demo.screening``). Bulk inserts only.
"""

import dataclasses
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import Holiday, holiday_date
from bangfu.core.care.care_events import HOLIDAY_CALENDAR, holiday_source
from bangfu.core.care.due import deadline_for
from bangfu.core.care.enums import FiveKnownItem, ResponseKind
from bangfu.core.care.event_models import CareEvent, CareResponse
from bangfu.core.care.events import CareEventKind
from bangfu.core.care.models import FiveKnown, Pairing
from bangfu.core.config import DEFAULT_CARE_SLA, Settings
from bangfu.core.db import utcnow
from bangfu.core.effective import in_force
from bangfu.core.notify import service as notify
from bangfu.core.notify.models import Notification, NotificationReason, NotificationState
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Household,
    Organisation,
    Person,
)
from bangfu.core.registry.reference import COUNTIES, government_code
from bangfu.core.security.actor import Role
from bangfu.core.security.models import User
from bangfu.demo import names as demo_names
from bangfu.demo.rows import insert_ids, insert_rows
from bangfu.demo.screening import ScreeningDemo, load_screening_demo

#: Who raises each kind of event in the demo (the module that would see it).
RAISERS = {
    CareEventKind.HOSPITALISATION: "medical",
    CareEventKind.SCHOOL_DROPOUT: "education",
    CareEventKind.DISASTER: "housing",
    CareEventKind.BEREAVEMENT: "user:xiangfen",
}
NOTES = {
    FiveKnownItem.FAMILY_SITUATION: "家中{n}口人，由亲属照看",
    FiveKnownItem.ECONOMIC_SITUATION: "主要靠低保金和临时救助，月收入约{n}00元",
    FiveKnownItem.WISHES: "希望孩子继续上学，将来学一门手艺",
    FiveKnownItem.DIFFICULTIES: "冬季取暖和看病开支较大",
    FiveKnownItem.MEDICAL_AND_SCHOOLING: "已参加城乡居民医保，孩子在本村小学就读",
}
#: Demo officials cannot log in (only the demo users of ``bangfu.demo.users`` can).
UNUSABLE_HASH = "!demo-official-no-login"
PERSONS_PER_OFFICIAL = 4


@dataclasses.dataclass(frozen=True)
class CareDemoSummary:
    pairings: int
    events: int
    screening: ScreeningDemo


@dataclasses.dataclass(frozen=True)
class _Pairing:
    id: int
    person_id: int
    official_id: int
    start_date: dt.date


async def load_care_demo(
    session: AsyncSession, households: Sequence[Household], rng: random.Random, today: dt.date
) -> CareDemoSummary:
    """Write the care demo rows for the demo ``households`` (as the system actor)."""
    hardship = await _hardship_persons(session, today)
    officials = await _officials(session, hardship, rng)
    pairings = await _pairings(session, officials, hardship, rng, today)
    await _five_knowns(session, pairings, rng, today)
    events, raised = await _events(session, pairings, rng, today)
    screening = await load_screening_demo(session, households, rng, today)
    await _notifications(session, pairings, raised, today)
    return CareDemoSummary(pairings=len(pairings), events=events, screening=screening)


async def _hardship_persons(session: AsyncSession, today: dt.date) -> dict[str, list[int]]:
    """Living persons holding a category other than dibao today, per county."""
    holders = select(CategoryAssignment.person_id).where(
        CategoryAssignment.category != Category.DIBAO,
        in_force(
            CategoryAssignment.valid_from, CategoryAssignment.valid_to, today, end_inclusive=True
        ),
    )
    found = await session.execute(
        select(Person.id, Person.area_path)
        .where(Person.deceased.is_(False), Person.id.in_(holders))
        .order_by(Person.id)
    )
    by_county: dict[str, list[int]] = defaultdict(list)
    for person_id, path in found:
        by_county[path.split("/")[1]].append(person_id)
    return by_county


async def _officials(
    session: AsyncSession, hardship: dict[str, list[int]], rng: random.Random
) -> dict[str, list[int]]:
    """Leading officials of each county government, about one per four hardship persons;
    the demo login ``paired`` (if created) is one of Xiangfen's."""
    governments = {
        o.region_code: o.id
        for o in await session.scalars(
            select(Organisation).where(
                Organisation.code.in_([government_code(code) for code, _ in COUNTIES])
            )
        )
    }
    surnames = [s for s, _ in demo_names.SURNAMES]
    weights = [w for _, w in demo_names.SURNAMES]
    rows: list[dict[str, Any]] = []
    counties: list[str] = []
    for county, _name in COUNTIES:
        for index in range(max(1, len(hardship.get(county, ())) // PERSONS_PER_OFFICIAL)):
            given = rng.choice(demo_names.GIVEN_NAMES_MIDDLE_MALE)
            rows.append(
                {
                    "username": f"official-{county}-{index + 1:02d}",
                    "display_name": f"{rng.choices(surnames, weights)[0]}{given}",
                    "password_hash": UNUSABLE_HASH,
                    "organisation_id": governments[county],
                    "region_code": county,
                    "roles": [Role.PAIRED_OFFICIAL.value],
                    "is_active": True,
                    "is_demo": False,  # not a demo login: it cannot log in at all
                }
            )
            counties.append(county)
    by_county: dict[str, list[int]] = defaultdict(list)
    for county, user_id in zip(counties, await insert_ids(session, User, rows), strict=True):
        by_county[county].append(user_id)
    demo_login = await session.scalar(select(User.id).where(User.username == "paired"))
    if demo_login is not None:
        by_county["141023"].insert(0, demo_login)
    return by_county


async def _pairings(
    session: AsyncSession,
    officials: dict[str, list[int]],
    hardship: dict[str, list[int]],
    rng: random.Random,
    today: dt.date,
) -> list[_Pairing]:
    """About 96% of hardship persons paired (the rest unpaired); some officials carry
    more than the overload threshold; a tenth of the pairings followed a hand-over."""
    current: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for county, persons in hardship.items():
        staff = officials.get(county)
        if not staff:
            continue
        # The first official of each county (the demo login in Xiangfen) carries 7.
        load = [staff[0]] * min(7, len(persons)) if len(staff) > 1 else []
        for person_id in persons:
            if rng.random() >= 0.96:
                continue
            official = load.pop() if load else rng.choice(staff[1:] or staff)
            start = today - dt.timedelta(days=rng.randint(30, 700))
            current.append({"person_id": person_id, "official_id": official, "start_date": start})
            if rng.random() < 0.1 and len(staff) > 1:
                history.append(
                    {
                        "person_id": person_id,
                        "official_id": rng.choice([s for s in staff if s != official]),
                        "start_date": start - dt.timedelta(days=rng.randint(200, 600)),
                        "end_date": start,
                        "end_reason": "工作调动，包联工作移交",
                    }
                )
    await insert_rows(session, Pairing, history)
    ids = await insert_ids(session, Pairing, current)
    return [
        _Pairing(id_, row["person_id"], row["official_id"], row["start_date"])
        for id_, row in zip(ids, current, strict=True)
    ]


async def _five_knowns(
    session: AsyncSession, pairings: list[_Pairing], rng: random.Random, today: dt.date
) -> None:
    """Most pairings with all five items (some three or four), most verified within the
    year, some longer ago (stale)."""
    rows = []
    for pairing in pairings:
        for item in rng.sample(list(FiveKnownItem), rng.choices((3, 4, 5), (5, 10, 85))[0]):
            oldest = 500 if rng.random() < 0.1 else 330
            age = rng.randint(0, max(0, min(oldest, (today - pairing.start_date).days)))
            rows.append(
                {
                    "pairing_id": pairing.id,
                    "person_id": pairing.person_id,
                    "item": item,
                    "note": NOTES[item].format(n=rng.randint(2, 6)),
                    "verified_on": today - dt.timedelta(days=age),
                    "updated_by_id": pairing.official_id,
                }
            )
    await insert_rows(session, FiveKnown, rows)


async def _events(
    session: AsyncSession, pairings: list[_Pairing], rng: random.Random, today: dt.date
) -> tuple[int, list[tuple[notify.EventFacts, bool]]]:
    """Events of the last 40 days for a quarter of the paired persons (about 90% answered,
    some late), and the next Spring Festival's holiday events for all of them."""
    events: list[dict[str, Any]] = []
    answers: list[tuple[int, dt.date, int]] = []
    for pairing in pairings:
        if rng.random() >= 0.25:
            continue
        kind = rng.choice(list(RAISERS))
        occurred = today - dt.timedelta(days=rng.randint(0, 40))
        deadline = deadline_for(kind, occurred, DEFAULT_CARE_SLA)
        answered = None
        if rng.random() < 0.9:
            late = rng.random() < 0.08
            latest = deadline + dt.timedelta(days=rng.randint(1, 5)) if late else deadline
            answered = min(
                today, occurred + dt.timedelta(days=rng.randint(0, (latest - occurred).days))
            )
            answers.append((len(events), answered, pairing.official_id))
        events.append(
            {
                "person_id": pairing.person_id,
                "kind": kind,
                "occurred_on": occurred,
                "deadline": deadline,
                "raised_by": RAISERS[kind],
                "summary": "",
                "source": None,
                "answered_on": answered,
            }
        )
    # Two open events of the demo login's persons, whatever the draw: one overdue (its
    # county's office was told: an escalation), one due tomorrow (a reminder).
    login = await session.scalar(select(User.id).where(User.username == "paired"))
    for pairing, kind, ago in zip(
        [p for p in pairings if p.official_id == login],
        (CareEventKind.DISASTER, CareEventKind.HOSPITALISATION),
        (3, 2),
        strict=False,
    ):
        occurred = today - dt.timedelta(days=ago)
        events.append(
            {
                "person_id": pairing.person_id,
                "kind": kind,
                "occurred_on": occurred,
                "deadline": deadline_for(kind, occurred, DEFAULT_CARE_SLA),
                "raised_by": RAISERS[kind],
                "summary": "",
                "source": None,
                "answered_on": None,
            }
        )
    year = (
        today.year if holiday_date(Holiday.SPRING_FESTIVAL, today.year) >= today else today.year + 1
    )
    festival = holiday_date(Holiday.SPRING_FESTIVAL, year)
    for pairing in pairings:
        events.append(
            {
                "person_id": pairing.person_id,
                "kind": CareEventKind.HOLIDAY,
                "occurred_on": festival,
                "deadline": deadline_for(CareEventKind.HOLIDAY, festival, DEFAULT_CARE_SLA),
                "raised_by": HOLIDAY_CALENDAR,
                "summary": f"{Holiday.SPRING_FESTIVAL.slug} {year}",
                "source": holiday_source(Holiday.SPRING_FESTIVAL, year),
                "answered_on": None,
            }
        )
    ids = await insert_ids(session, CareEvent, events)
    await insert_rows(
        session,
        CareResponse,
        [
            {
                "event_id": ids[index],
                "person_id": events[index]["person_id"],
                "kind": rng.choice(list(ResponseKind)),
                "responded_on": answered,
                "responder_id": official,
                "notes": "上门看望，了解情况",
                "help_given": rng.choice([None, "送去慰问金500元", "协调医疗救助", "联系学校复学"]),
            }
            for index, answered, official in answers
        ],
    )
    raised = [
        (notify.EventFacts(id_, row["person_id"], row["kind"].value, row["deadline"]), row)
        for id_, row in zip(ids, events, strict=True)
        if row["kind"] is not CareEventKind.HOLIDAY
    ]
    return len(events), [(facts, row["answered_on"] is not None) for facts, row in raised]


async def _notifications(
    session: AsyncSession,
    pairings: list[_Pairing],
    raised: list[tuple[notify.EventFacts, bool]],
    today: dt.date,
) -> None:
    """What the officials and the county offices were told: the events raised (those
    answered since were read), the demo login's pairings (read), the reminders and
    escalations of today. All delivered."""
    await notify.care_events_raised(session, [facts for facts, _answered in raised])
    login = await session.scalar(select(User.id).where(User.username == "paired"))
    for pairing in pairings:
        if pairing.official_id == login:
            await notify.pairing_changed(
                session, pairing.id, pairing.official_id, started=pairing.start_date
            )
    await notify.remind_and_escalate(session, today, Settings().care_reminder_working_days)
    now = utcnow()
    await session.execute(
        update(Notification)
        .values(state=NotificationState.DELIVERED.value, delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    answered = [facts.id for facts, was_answered in raised if was_answered]
    read = (Notification.recipient_id == login) & (
        Notification.reason == NotificationReason.PAIRING_STARTED.value
    )
    for start in range(0, len(answered), 500):
        read = read | (
            (Notification.reason == NotificationReason.RAISED.value)
            & (Notification.subject_kind == "CareEvent")
            & Notification.subject_id.in_(answered[start : start + 500])
        )
    await session.execute(
        update(Notification)
        .where(read)
        .values(state=NotificationState.READ.value, read_at=now)
        .execution_options(synchronize_session=False)
    )
