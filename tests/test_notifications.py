"""Notifications (issue 22): who is told of a care event, a pairing and a key problem,
reminders and escalation on the right working day, exactly once, in the transaction of
the change (a rolled-back write notifies no one), and each user sees only their own.

Each test runs on SQLite and, when ``BANGFU_TEST_DATABASE_URL`` is set, on PostgreSQL."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.core.calendar import shift_days, today
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.events import CareEventKind, CareEventRaised
from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.jobs import JobContext
from bangfu.core.notify import jobs as notify_jobs
from bangfu.core.notify import service as notify
from bangfu.core.notify.models import Notification, NotificationDelivery
from bangfu.core.registry.models import Category
from bangfu.core.security import Role
from bangfu.core.security.models import AuditEvent, User
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import World
from tests.test_care_events import raise_event, respond
from tests.test_care_helpers import family, official, pair
from tests.test_care_pairing import PAIRING_END
from tests.test_care_screening import campaign, visit

pytestmark = pytest.mark.anyio

MINE = """
query($filter: NotificationFilter) {
  myNotifications(first: 20, filter: $filter) {
    totalCount
    nodes { id reason state message subjectId readAt deliveredAt
            subject { id ... on CareEvent { kind } } }
  }
}"""

MARK_READ = """
mutation($input: NotificationMarkReadInput!) {
  notificationMarkRead(input: $input) {
    notifications { id state readAt }
    errors { field code }
  }
}"""


async def mine(world: World, token: str, **filter: Any) -> list[dict[str, Any]]:
    data = await world.h.ok(MINE, {"filter": filter or None}, token=token)
    return data["myNotifications"]["nodes"]  # type: ignore[no-any-return]


async def user_id(h: Harness, username: str) -> int:
    async with h.session() as session:
        found = await session.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return found


async def count(h: Harness) -> int:
    async with h.session() as session:
        return int(await session.scalar(select(func.count(Notification.id))) or 0)


async def test_raising_an_event_tells_the_paired_official_and_no_one_else(world: World) -> None:
    f = await family(world.h)
    token, gid = await official(world.h, "official-a")
    other, _ = await official(world.h, "official-b")
    pairing = await pair(world, f.person_gids[0], gid)
    started = await mine(world, token)
    assert [(n["reason"], n["subjectId"], n["state"]) for n in started] == [
        ("PAIRING_STARTED", pairing, "CREATED")
    ]
    raised = await raise_event(world, f.person_gids[0], "HOSPITALISATION", today())
    event = raised["careEvent"]
    told = await mine(world, token)
    assert [n["reason"] for n in told] == ["RAISED", "PAIRING_STARTED"]  # newest first
    assert told[0]["subjectId"] == event["id"]
    assert told[0]["subject"] == {"id": event["id"], "kind": "HOSPITALISATION"}
    assert told[0]["message"] == (
        f"A care event (hospitalisation) was raised for a person paired with you: answer it "
        f"by {event['deadline']}."
    )
    # In Chinese, the service's language, on request; no name of the person in either.
    chinese = await world.h.gql(MINE, token=token, language="zh")
    text = chinese["data"]["myNotifications"]["nodes"][0]["message"]
    assert "住院" in text and event["deadline"] in text and "成员" not in text
    # The raiser (xiangfen) is not told of what they did; nobody else hears of it.
    assert await mine(world, world.xiangfen) == []
    assert await mine(world, other) == []
    assert await mine(world, world.hongtong) == []
    assert await mine(world, world.admin) == []
    # Another's notification by ID is null, like one that does not exist.
    for reader in (other, world.hongtong, world.admin, world.xiangfen):
        found = await world.h.ok(
            "query($id: ID!) { node(id: $id) { id } }", {"id": told[0]["id"]}, token=reader
        )
        assert found == {"node": None}
    own = await world.h.ok(
        "query($id: ID!) { node(id: $id) { ... on Notification { reason } } }",
        {"id": told[0]["id"]},
        token=token,
    )
    assert own == {"node": {"reason": "RAISED"}}


async def test_an_unpaired_persons_event_and_an_escalation_go_to_the_county_office(
    world: World,
) -> None:
    f = await family(world.h)
    colleague = await world.h.actor(
        "xiangfen-2", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023"
    )
    township = await world.h.actor(
        "township", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023100"
    )
    raised = await raise_event(world, f.person_gids[0], "DISASTER", today())
    event = raised["careEvent"]
    told = await mine(world, colleague)
    assert [(n["reason"], n["subjectId"]) for n in told] == [("RAISED", event["id"])]
    assert "whom no official is paired with" in told[0]["message"]
    assert await mine(world, world.xiangfen) == []  # the raiser
    assert await mine(world, township) == []  # the county's office, not a township's
    assert await mine(world, world.hongtong) == []  # another county's
    # The deadline passes unanswered: the county's office is told, once.
    async with world.h.session() as session, session.begin():
        late = dt.date.fromisoformat(event["deadline"]) + dt.timedelta(days=1)
        assert await notify.remind_and_escalate(session, late, 1) == (0, 2)
    async with world.h.session() as session, session.begin():
        assert await notify.remind_and_escalate(session, late, 1) == (0, 0)
    for token in (world.xiangfen, colleague):
        reasons = [(n["reason"], n["subjectId"]) for n in await mine(world, token)]
        assert ("ESCALATION", event["id"]) in reasons
    assert await mine(world, world.hongtong) == []


async def test_pairing_start_end_and_key_problems(world: World) -> None:
    f = await family(world.h, categories=(Category.SPECIAL_HARDSHIP, Category.CHILD_IN_DIFFICULTY))
    token, gid = await official(world.h, "official-a")
    pairing = await pair(world, f.person_gids[1], gid)
    run = await campaign(world)
    recorded = await visit(
        world,
        world.xiangfen,
        run["screeningCampaign"]["id"],
        f.gid,
        problems=[
            {
                "domain": "EDUCATION",
                "description": "辍学风险",
                "severity": "HIGH",
                "isKey": True,
                "personId": f.person_gids[1],
            },
            {
                "domain": "MEDICAL",
                "description": "户主慢性病",
                "severity": "HIGH",
                "isKey": True,
                "personId": f.person_gids[0],
            },
            {"domain": "HOUSING", "description": "门窗破损", "severity": "LOW"},
        ],
    )
    assert recorded["errors"] == []
    told = await mine(world, token)
    # The child's key problem is the official's; the father's (not paired) and a problem
    # that is not key are not. The message names neither the child nor the problem's text.
    assert [n["reason"] for n in told] == ["KEY_PROBLEM", "PAIRING_STARTED"]
    assert "education" in told[0]["message"] and "辍学" not in told[0]["message"]
    problem = told[0]["subject"]  # the official opens the problem through the API
    assert problem is not None and told[0]["subjectId"] == problem["id"]
    ended = await world.h.ok(
        PAIRING_END, {"input": {"id": pairing, "reason": "调整"}}, token=world.xiangfen
    )
    assert ended["pairingEnd"]["errors"] == []
    told = await mine(world, token)
    assert told[0]["reason"] == "PAIRING_ENDED" and told[0]["subjectId"] == pairing
    # The pairing ended: its subject is out of the official's view now.
    assert told[0]["subject"] is None


async def test_a_rolled_back_write_notifies_no_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = await family(world.h)
    token, gid = await official(world.h, "official-a")
    await pair(world, f.person_gids[0], gid)
    before = await count(world.h)
    original = notify.care_events_raised

    async def then_refuse(session: Any, events: Any) -> int:
        recorded = await original(session, events)
        assert recorded == 1  # written, in the transaction ...
        raise DomainError.of("input.summary", "refused after the event", ErrorCode.INVALID_INPUT)

    monkeypatch.setattr(notify, "care_events_raised", then_refuse)
    refused = await raise_event(world, f.person_gids[0], "DISASTER", today())
    assert refused["errors"] == [{"field": "input.summary", "code": "INVALID_INPUT"}]
    monkeypatch.undo()
    # ... and rolled back with it: no event, no notification.
    assert await count(world.h) == before
    assert [n["reason"] for n in await mine(world, token)] == ["PAIRING_STARTED"]
    async with world.h.session() as session:
        assert await session.scalar(select(func.count(CareEvent.id))) == 0
    # A module's event whose transaction fails afterwards: likewise.
    with pytest.raises(RuntimeError):
        async with world.h.session() as session, session.begin():
            await world.h.host.raise_care_event(
                session,
                CareEventRaised(f.person_ids[0], CareEventKind.DISASTER, today(), "housing"),
            )
            assert await session.scalar(select(func.count(Notification.id))) == before + 1
            raise RuntimeError("the module's own write failed")
    assert await count(world.h) == before


async def test_each_notification_is_recorded_once(world: World) -> None:
    f = await family(world.h)
    token, gid = await official(world.h, "official-a")
    await pair(world, f.person_gids[0], gid)
    event = CareEventRaised(
        f.person_ids[0], CareEventKind.SCHOOL_DROPOUT, today(), "education", source="x:1"
    )
    for _ in range(2):
        async with world.h.session() as session, session.begin():
            await world.h.host.raise_care_event(session, event)
    year = today().year + 1
    holidays = "mutation($i: CareHolidayEventsRaiseInput!) { careHolidayEventsRaise(input: $i) { raised } }"
    for raised in (1, 0):
        data = await world.h.ok(
            holidays, {"i": {"holiday": "SPRING_FESTIVAL", "year": year}}, token=world.xiangfen
        )
        assert data["careHolidayEventsRaise"]["raised"] == raised
    reasons = sorted(n["reason"] for n in await mine(world, token))
    assert reasons == ["PAIRING_STARTED", "RAISED", "RAISED"]
    # Recording the same again, or twice in one call, adds nothing (the unique key).
    official_id = await user_id(world.h, "official-a")
    again = notify.NewNotification(
        official_id,
        "RAISED",
        "CareEvent",
        1,
        notify.TEMPLATES["RAISED"],
        {"kind": "DISASTER", "deadline": "2026-01-01"},
    )
    async with world.h.session() as session, session.begin():
        first = await notify.record(session, [again, again])
    async with world.h.session() as session, session.begin():
        assert await notify.record(session, [again]) == 0
    assert first == 0  # the plugin's event (CareEvent 1) was told before


async def test_reminders_on_the_right_working_day_and_answers_stop_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deadline Wed 2026-02-25, two working days ahead: Tue Feb 24, then (over the Spring
    Festival, Feb 15-23 off) Sat Feb 14, a make-up working day. The reminder is due on Feb 14."""
    f = await family(world.h, categories=(Category.SPECIAL_HARDSHIP,) * 3)
    token, gid = await official(world.h, "official-a")
    for person in f.person_gids:
        await pair(world, person, gid)
    deadline = dt.date(2026, 2, 25)
    assert shift_days(deadline, -2, working=True) == dt.date(2026, 2, 14)
    async with world.h.session() as session, session.begin():
        rows = [
            CareEvent(
                person_id=person,
                kind=CareEventKind.HOSPITALISATION,
                occurred_on=dt.date(2026, 2, 12),
                deadline=deadline,
                raised_by="medical",
            )
            for person in f.person_ids
        ]
        session.add_all(rows)
        await session.flush()
        events = [to_global_id("CareEvent", row.id) for row in rows]
    # The third is answered before any reminder: it never gets one.
    assert (await respond(world, events[2], token, on=dt.date(2026, 2, 13)))["errors"] == []

    async def job_on(day: dt.date) -> str:
        monkeypatch.setattr(notify_jobs, "today", lambda: day)
        settings = world.h.settings.model_copy(update={"care_reminder_working_days": 2})
        return await notify_jobs.care_reminders(JobContext(settings, world.h.services.sessions))

    assert await job_on(dt.date(2026, 2, 13)) == "0 reminders, 0 escalations"
    assert await job_on(dt.date(2026, 2, 14)) == "2 reminders, 0 escalations"
    assert await job_on(dt.date(2026, 2, 14)) == "0 reminders, 0 escalations"  # run again
    assert await job_on(dt.date(2026, 2, 24)) == "0 reminders, 0 escalations"
    reminders = await mine(world, token, state="CREATED")
    assert sorted(n["subjectId"] for n in reminders if n["reason"] == "REMINDER") == sorted(
        events[:2]
    )
    assert all("due on 2026-02-25" in n["message"] for n in reminders if n["reason"] == "REMINDER")
    # Answering the first cancels its reminder, still pending (not delivered).
    assert (await respond(world, events[0], token, on=dt.date(2026, 2, 14)))["errors"] == []
    listed = await mine(world, token)
    assert [n["subjectId"] for n in listed if n["reason"] == "REMINDER"] == [events[1]]
    cancelled = await mine(world, token, state="CANCELLED")
    assert [(n["reason"], n["subjectId"]) for n in cancelled] == [("REMINDER", events[0])]
    # The second passes its deadline: the county's office is told; the answered ones not.
    assert await job_on(dt.date(2026, 2, 26)) == "0 reminders, 1 escalations"
    escalated = [n for n in await mine(world, world.xiangfen) if n["reason"] == "ESCALATION"]
    assert [n["subjectId"] for n in escalated] == [events[1]]
    assert await job_on(dt.date(2026, 2, 27)) == "0 reminders, 0 escalations"


async def test_marking_read_and_delivery(world: World) -> None:
    f = await family(world.h, categories=(Category.SPECIAL_HARDSHIP,) * 2)
    token, gid = await official(world.h, "official-a")
    other, other_gid = await official(world.h, "official-b")
    await pair(world, f.person_gids[0], gid)
    await pair(world, f.person_gids[1], other_gid)
    await raise_event(world, f.person_gids[0], "DISASTER", today())
    ids = [n["id"] for n in await mine(world, token)]
    theirs = [n["id"] for n in await mine(world, other)]
    assert len(ids) == 2 and len(theirs) == 1
    # Another's ID, an unknown one and one of another type: NOT_FOUND, nothing changed.
    refused = await world.h.ok(
        MARK_READ,
        {"input": {"ids": [ids[0], theirs[0], to_global_id("Notification", 999), f.gid]}},
        token=token,
    )
    assert refused["notificationMarkRead"] == {
        "notifications": None,
        "errors": [{"field": f"input.ids.{i}", "code": "NOT_FOUND"} for i in (1, 2, 3)],
    }
    assert all(n["readAt"] is None for n in await mine(world, token))
    done = await world.h.ok(MARK_READ, {"input": {"ids": [ids[0]]}}, token=token)
    assert done["notificationMarkRead"]["errors"] == []
    assert [(n["id"], n["state"]) for n in done["notificationMarkRead"]["notifications"]] == [
        (ids[0], "READ")
    ]
    assert [n["id"] for n in await mine(world, token, unreadOnly=True)] == ids[1:]
    assert [n["state"] for n in await mine(world, other)] == ["CREATED"]  # theirs untouched
    async with world.h.session() as session:
        audited = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.operation == "mutation:notificationMarkRead")
            )
        ).all()
    assert [(a.actor_name, a.outcome) for a in audited] == [
        ("official-a", "failed"),
        ("official-a", "ok"),
    ]
    empty = await world.h.ok(MARK_READ, {"input": {"ids": []}}, token=token)
    assert empty["notificationMarkRead"]["errors"] == [
        {"field": "input.ids", "code": "INVALID_INPUT"}
    ]
    # The worker delivers what was recorded, once: the in-app channel has each.
    sessions = world.h.services.sessions
    context = JobContext(world.h.settings, sessions)
    assert await notify_jobs.deliver(context) == "delivered 2"  # the read one was not pending
    assert await notify_jobs.deliver(context) == "delivered 0"
    assert [n["state"] for n in await mine(world, other)] == ["DELIVERED"]
    async with world.h.session() as session:
        channels = (await session.execute(select(NotificationDelivery.channel))).scalars().all()
    assert channels == ["in-app", "in-app"]
