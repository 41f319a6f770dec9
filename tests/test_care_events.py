"""The five cares (五个关心, R6): deadlines in working days, due states, responses,
events raised by plugins and by the holiday calendar, the escalation list."""

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Date, func, literal, select

from bangfu.cli import main
from bangfu.core.calendar import Holiday, holiday_date, is_working_day, shift_days, today
from bangfu.core.care.due import deadline_for, due_state
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.events import CareEventKind, CareEventRaised
from bangfu.core.config import DEFAULT_CARE_SLA, CareSla
from bangfu.core.registry.models import Category
from bangfu.core.security import Role
from bangfu.testing import Harness
from tests.helpers import World
from tests.test_care_helpers import family, official, organisation_gid, pair

pytestmark = pytest.mark.anyio

RAISE = """
mutation($input: CareEventRaiseInput!) {
  careEventRaise(input: $input) {
    careEvent { id kind occurredOn deadline dueState raisedBy answeredOn }
    errors { field code }
  }
}"""

RESPOND = """
mutation($input: CareEventRespondInput!) {
  careEventRespond(input: $input) {
    response { kind respondedOn notes helpGiven responder { displayName } }
    careEvent { answeredOn dueState responses { notes } }
    errors { field code }
  }
}"""

HOLIDAYS = """
mutation($input: CareHolidayEventsRaiseInput!) {
  careHolidayEventsRaise(input: $input) { raised holidayDate errors { field code } }
}"""

# -- the calendar and the one due-state function ------------------------------------------

WORKING_SLA = {
    **DEFAULT_CARE_SLA,
    CareEventKind.HOSPITALISATION: CareSla(days=3, working_days=True),
}


def test_working_days_follow_the_2026_spring_festival_notice() -> None:
    # 2026: Feb 15-23 off (Sun-Mon, with the days off moved from Feb 14 and Feb 28),
    # and the Saturdays Feb 14 and Feb 28 are working days (调休), from the library's data.
    assert holiday_date(Holiday.SPRING_FESTIVAL, 2026) == dt.date(2026, 2, 17)
    assert is_working_day(dt.date(2026, 2, 14))  # a Saturday, made a working day
    assert is_working_day(dt.date(2026, 2, 28))  # likewise
    assert not is_working_day(dt.date(2026, 2, 20))  # a Friday, moved off
    assert not is_working_day(dt.date(2026, 2, 23))  # a Monday, moved off
    assert [d.day for d in _days(2026, 2, 13, 26) if is_working_day(d)] == [13, 14, 24, 25, 26]
    # Three working days after Friday Feb 13: Sat 14 (made a working day), then the
    # holiday, then Tue 24 and Wed 25.
    assert shift_days(dt.date(2026, 2, 13), 3, working=True) == dt.date(2026, 2, 25)
    # One working day after Friday Feb 27 is Saturday Feb 28.
    assert shift_days(dt.date(2026, 2, 27), 1, working=True) == dt.date(2026, 2, 28)
    # Counting back: two working days before the festival's eve.
    assert shift_days(dt.date(2026, 2, 16), -2, working=True) == dt.date(2026, 2, 13)
    # Calendar days ignore all of it.
    assert shift_days(dt.date(2026, 2, 13), 3, working=False) == dt.date(2026, 2, 16)


def _days(year: int, month: int, first: int, last: int) -> list[dt.date]:
    return [dt.date(year, month, day) for day in range(first, last + 1)]


def test_deadlines_per_kind() -> None:
    friday = dt.date(2026, 2, 13)
    assert deadline_for(CareEventKind.HOSPITALISATION, friday, WORKING_SLA) == dt.date(2026, 2, 25)
    assert deadline_for(CareEventKind.HOSPITALISATION, friday, DEFAULT_CARE_SLA) == dt.date(
        2026, 2, 16
    )
    assert deadline_for(CareEventKind.DISASTER, friday, DEFAULT_CARE_SLA) == dt.date(2026, 2, 14)
    assert deadline_for(CareEventKind.SCHOOL_DROPOUT, friday, DEFAULT_CARE_SLA) == dt.date(
        2026, 2, 20
    )
    festival = holiday_date(Holiday.SPRING_FESTIVAL, 2026)
    assert deadline_for(CareEventKind.HOLIDAY, festival, DEFAULT_CARE_SLA) == festival
    early = {**DEFAULT_CARE_SLA, CareEventKind.HOLIDAY: CareSla(days=2, working_days=True)}
    # Two working days before Tue Feb 17: Sat Feb 14 (a working day) and Fri Feb 13.
    assert deadline_for(CareEventKind.HOLIDAY, festival, early) == dt.date(2026, 2, 13)


async def test_due_state_across_the_spring_festival(harness: Harness) -> None:
    """The one SQL function, on this database, for a hospitalisation on Fri 2026-02-13
    with a 3-working-day SLA: due Wed Feb 25, not (as weekends alone would say) Wed Feb 18."""
    occurred = dt.date(2026, 2, 13)
    deadline = deadline_for(CareEventKind.HOSPITALISATION, occurred, WORKING_SLA)
    assert deadline == dt.date(2026, 2, 25)

    async def state(on: dt.date, answered: dt.date | None = None) -> str:
        expression = due_state(literal(deadline, Date), literal(answered, Date), on, 1)
        async with harness.session() as session:
            return str(await session.scalar(select(expression)))

    assert await state(dt.date(2026, 2, 13)) == "NOT_DUE"
    assert await state(dt.date(2026, 2, 19)) == "NOT_DUE"  # mid-holiday: not due yet
    assert await state(dt.date(2026, 2, 24)) == "DUE_SOON"
    assert await state(dt.date(2026, 2, 25)) == "DUE_SOON"  # due today
    assert await state(dt.date(2026, 2, 26)) == "OVERDUE"
    assert await state(dt.date(2026, 3, 2), answered=dt.date(2026, 2, 25)) == "ANSWERED_ON_TIME"
    assert await state(dt.date(2026, 3, 2), answered=dt.date(2026, 2, 26)) == "ANSWERED_LATE"
    # Answered during the holiday, before the deadline: on time.
    assert await state(dt.date(2026, 2, 20), answered=dt.date(2026, 2, 20)) == "ANSWERED_ON_TIME"


# -- through the API -------------------------------------------------------------------


async def raise_event(
    world: World, person: str, kind: str, occurred: dt.date, token: str | None = None
) -> dict[str, Any]:
    data = await world.h.ok(
        RAISE,
        {"input": {"personId": person, "kind": kind, "occurredOn": occurred.isoformat()}},
        token=token or world.xiangfen,
    )
    return data["careEventRaise"]  # type: ignore[no-any-return]


async def respond(
    world: World, event: str, token: str, on: dt.date | None = None, notes: str = "上门看望"
) -> dict[str, Any]:
    payload: dict[str, Any] = {"eventId": event, "kind": "VISIT", "notes": notes}
    if on is not None:
        payload["respondedOn"] = on.isoformat()
    data = await world.h.ok(RESPOND, {"input": payload}, token=token)
    return data["careEventRespond"]  # type: ignore[no-any-return]


async def test_raise_and_respond(world: World) -> None:
    f = await family(world.h)
    token, gid = await official(world.h, "official-a")
    other, _ = await official(world.h, "official-b")
    await pair(world, f.person_gids[0], gid)
    now = today()
    raised = await raise_event(world, f.person_gids[0], "BEREAVEMENT", now)
    event = raised["careEvent"]
    assert raised["errors"] == []
    assert event["deadline"] == (now + dt.timedelta(days=3)).isoformat()
    assert event["dueState"] == "NOT_DUE"
    assert event["raisedBy"] == "user:xiangfen"
    future = await raise_event(world, f.person_gids[0], "DISASTER", now + dt.timedelta(days=1))
    assert future["errors"] == [{"field": "input.occurredOn", "code": "FUTURE_DATE"}]

    # Another official's persons are invisible to them; supervisors may not answer.
    assert (await respond(world, event["id"], other))["errors"][0]["code"] == "NOT_FOUND"
    denied = await world.h.gql(
        RESPOND,
        {"input": {"eventId": event["id"], "kind": "CALL", "notes": "x"}},
        token=world.supervisor,
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    early = await respond(world, event["id"], token, on=now - dt.timedelta(days=1))
    assert early["errors"] == [{"field": "input.respondedOn", "code": "INVALID_DATE_RANGE"}]

    answered = await respond(world, event["id"], token)
    assert answered["errors"] == []
    assert answered["response"]["responder"]["displayName"] == "official-a"
    assert answered["careEvent"]["answeredOn"] == now.isoformat()
    assert answered["careEvent"]["dueState"] == "ANSWERED_ON_TIME"
    # A later response is recorded; the first one still answers the event.
    second = await respond(world, event["id"], world.xiangfen, notes="民政回访")
    assert second["careEvent"]["answeredOn"] == now.isoformat()
    assert [r["notes"] for r in second["careEvent"]["responses"]] == ["上门看望", "民政回访"]


async def test_due_state_field_filter_and_counts_agree(world: World) -> None:
    f = await family(world.h, categories=(Category.SPECIAL_HARDSHIP,) * 5)
    token, gid = await official(world.h, "official-a")
    now = today()
    ago = now - dt.timedelta(days=5)
    cases = [
        ("DISASTER", ago, None),  # due 4 days ago: OVERDUE
        ("DISASTER", now, None),  # due tomorrow: DUE_SOON
        ("HOSPITALISATION", now, None),  # due in 3 days: NOT_DUE
        ("DISASTER", now, now),  # answered today, due tomorrow: ANSWERED_ON_TIME
        ("DISASTER", ago, now),  # answered today, due 4 days ago: ANSWERED_LATE
    ]
    expected = ["OVERDUE", "DUE_SOON", "NOT_DUE", "ANSWERED_ON_TIME", "ANSWERED_LATE"]
    ids = []
    for person, (kind, occurred, answered) in zip(f.person_gids, cases, strict=True):
        event = (await raise_event(world, person, kind, occurred))["careEvent"]
        ids.append(event["id"])
        if answered is not None:
            assert (await respond(world, event["id"], world.xiangfen, on=answered))["errors"] == []
    listed = await world.h.ok(
        "{ careEvents(first: 10) { nodes { id dueState } } }", token=world.xiangfen
    )
    states = {n["id"]: n["dueState"] for n in listed["careEvents"]["nodes"]}
    assert [states[i] for i in ids] == expected
    counts = await world.h.ok("{ careEventCounts { dueState count } }", token=world.xiangfen)
    assert {c["dueState"]: c["count"] for c in counts["careEventCounts"]} == dict.fromkeys(
        expected, 1
    )
    for state, event_id in zip(expected, ids, strict=True):
        filtered = await world.h.ok(
            "query($s: [DueState!]) { careEvents(first: 10, filter: {dueStates: $s}) "
            "{ totalCount nodes { id dueState } } }",
            {"s": [state]},
            token=world.xiangfen,
        )
        assert filtered["careEvents"]["totalCount"] == 1
        assert filtered["careEvents"]["nodes"] == [{"id": event_id, "dueState": state}]
    open_ = await world.h.ok(
        "{ careEvents(first: 10, filter: {openOnly: true, kinds: [DISASTER]}) { totalCount } }",
        token=world.xiangfen,
    )
    assert open_["careEvents"]["totalCount"] == 2
    # Another county sees and counts none of them.
    theirs = await world.h.ok(
        "{ careEvents(first: 10) { totalCount } careEventCounts { count } }", token=world.hongtong
    )
    assert theirs["careEvents"]["totalCount"] == 0
    assert {c["count"] for c in theirs["careEventCounts"]} == {0}
    assert token and gid


async def test_my_events_and_the_escalation_list(world: World) -> None:
    f = await family(world.h, categories=(Category.SPECIAL_HARDSHIP,) * 4)
    token_a, a = await official(world.h, "official-a")
    _, b = await official(world.h, "official-b")
    await pair(world, f.person_gids[0], a)
    await pair(world, f.person_gids[1], a)
    await pair(world, f.person_gids[2], b)
    ago = today() - dt.timedelta(days=10)
    for person in (f.person_gids[0], f.person_gids[1], f.person_gids[3]):
        await raise_event(world, person, "DISASTER", ago)  # overdue
    await raise_event(world, f.person_gids[2], "HOSPITALISATION", today())  # not due
    mine = await world.h.ok(
        "{ myCareEvents(first: 10) { totalCount nodes { person { id } dueState "
        "responsibleOfficial { displayName } } } }",
        token=token_a,
    )
    assert mine["myCareEvents"]["totalCount"] == 2
    assert {n["responsibleOfficial"]["displayName"] for n in mine["myCareEvents"]["nodes"]} == {
        "official-a"
    }
    escalation = await world.h.ok(
        "{ careEscalation { organisation { code } overdue oldestDeadline } }",
        token=world.xiangfen,
    )
    assert escalation["careEscalation"] == [
        {
            "organisation": {"code": "test-official-a"},
            "overdue": 2,
            "oldestDeadline": (ago + dt.timedelta(days=1)).isoformat(),
        },
        {
            "organisation": None,
            "overdue": 1,
            "oldestDeadline": (ago + dt.timedelta(days=1)).isoformat(),
        },
    ]
    by_org = await world.h.ok(
        "query($o: ID!) { careEvents(first: 10, filter: {responsibleOrganisationId: $o, "
        "dueStates: [OVERDUE]}) { totalCount } }",
        {"o": await organisation_gid(world.h, "test-official-a")},
        token=world.xiangfen,
    )
    assert by_org["careEvents"]["totalCount"] == 2
    assert b


async def test_plugin_events_are_recorded_once_per_source(world: World) -> None:
    f = await family(world.h)
    event = CareEventRaised(
        person_id=f.person_ids[0],
        kind=CareEventKind.SCHOOL_DROPOUT,
        occurred_on=today(),
        raised_by="education",
        summary="dropped out",
        source="RWR1Y2F0aW9uRW5yb2xtZW50OjE=",
    )
    for _ in range(2):
        async with world.h.session() as session, session.begin():
            await world.h.host.raise_care_event(session, event)
    async with world.h.session() as session, session.begin():
        await world.h.host.raise_care_event(
            session, CareEventRaised(f.person_ids[0], CareEventKind.DISASTER, today(), "housing")
        )
    async with world.h.session() as session:
        rows = (await session.scalars(select(CareEvent).order_by(CareEvent.id))).all()
    assert [(r.kind, r.raised_by, r.deadline) for r in rows] == [
        (CareEventKind.SCHOOL_DROPOUT, "education", today() + dt.timedelta(days=7)),
        (CareEventKind.DISASTER, "housing", today() + dt.timedelta(days=1)),
    ]


async def test_hospitalisation_summary_needs_the_sensitive_right(world: World) -> None:
    f = await family(world.h)
    async with world.h.session() as session, session.begin():
        await world.h.host.raise_care_event(
            session,
            CareEventRaised(
                f.person_ids[0], CareEventKind.HOSPITALISATION, today(), "medical", "肺炎住院"
            ),
        )
    member = await world.h.actor("union", roles=[Role.MASS_ORGANISATION_MEMBER], region="141023")
    query = "{ careEvents(first: 5) { nodes { kind summary } } }"
    assert (await world.h.ok(query, token=world.xiangfen))["careEvents"]["nodes"] == [
        {"kind": "HOSPITALISATION", "summary": "肺炎住院"}
    ]
    assert (await world.h.ok(query, token=member))["careEvents"]["nodes"] == [
        {"kind": "HOSPITALISATION", "summary": None}
    ]


async def test_holiday_events_are_raised_once(world: World) -> None:
    families = [await family(world.h) for _ in range(3)]
    _, gid = await official(world.h, "official-a")
    for f in families[:2]:
        await pair(world, f.person_gids[0], gid)
    year = today().year + 1
    festival = holiday_date(Holiday.SPRING_FESTIVAL, year)
    variables = {"input": {"holiday": "SPRING_FESTIVAL", "year": year}}
    first = await world.h.ok(HOLIDAYS, variables, token=world.xiangfen)
    assert first["careHolidayEventsRaise"] == {
        "raised": 2,
        "holidayDate": festival.isoformat(),
        "errors": [],
    }
    again = await world.h.ok(HOLIDAYS, variables, token=world.xiangfen)
    assert again["careHolidayEventsRaise"]["raised"] == 0
    elsewhere = await world.h.ok(HOLIDAYS, variables, token=world.hongtong)
    assert elsewhere["careHolidayEventsRaise"]["raised"] == 0
    events = await world.h.ok(
        "{ careEvents(first: 10, filter: {kinds: [HOLIDAY]}) { totalCount nodes { occurredOn "
        "deadline raisedBy source dueState } } }",
        token=world.xiangfen,
    )
    assert events["careEvents"]["totalCount"] == 2
    assert events["careEvents"]["nodes"][0] == {
        "occurredOn": festival.isoformat(),
        "deadline": festival.isoformat(),
        "raisedBy": "holiday-calendar",
        "source": f"holiday:spring-festival:{year}",
        "dueState": "NOT_DUE" if festival > today() + dt.timedelta(days=1) else "DUE_SOON",
    }
    far = await world.h.ok(
        HOLIDAYS, {"input": {"holiday": "NATIONAL_DAY", "year": year + 5}}, token=world.xiangfen
    )
    assert far["careHolidayEventsRaise"]["errors"] == [
        {"field": "input.year", "code": "INVALID_YEAR"}
    ]
    denied = await world.h.gql(HOLIDAYS, variables, token=world.supervisor)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_holiday_command(world: World, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    f = await family(world.h)
    _, gid = await official(world.h, "official-a")
    await pair(world, f.person_gids[0], gid)
    settings = world.h.settings
    monkeypatch.setenv("BANGFU_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("BANGFU_DATABASE_SCHEMA", settings.database_schema)
    year = str(today().year + 1)
    argv = ["care", "holidays", "--holiday", "spring-festival", "--year", year]
    assert await asyncio.to_thread(main, argv) == 0
    assert await asyncio.to_thread(main, argv) == 0
    out = capsys.readouterr().out
    assert "raised 1 spring-festival" in out and "raised 0 spring-festival" in out
    async with world.h.session() as session:
        assert await session.scalar(select(func.count(CareEvent.id))) == 1
    with pytest.raises(SystemExit):
        await asyncio.to_thread(main, ["care", "holidays", "--holiday", "easter", "--year", year])
