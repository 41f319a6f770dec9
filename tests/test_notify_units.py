"""Notifications to the responsible unit (issue 22): the organisation of an open measure of
a household's plan (一户一策) is told, besides the paired official, of a care event of its
domain, its reminders, and a key problem of its domain found by a screening visit. Told
are the unit's active users whose area holds the person's and who may open the subject.

Each test runs on SQLite and, when ``BANGFU_TEST_DATABASE_URL`` is set, on PostgreSQL."""

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bangfu.core.calendar import today
from bangfu.core.notify import service as notify
from bangfu.core.notify.models import Notification
from bangfu.core.registry.models import Category
from bangfu.core.security import Role
from bangfu.core.security.models import User
from tests.helpers import World
from tests.test_care_events import raise_event, respond
from tests.test_care_helpers import Family, family, official, organisation_gid, pair, user_gid
from tests.test_care_plans import ADD, change
from tests.test_care_screening import campaign, visit
from tests.test_notifications import MINE, mine

pytestmark = pytest.mark.anyio

OPEN = """
query($id: ID!) {
  node(id: $id) { id ... on CareEvent { kind } ... on Problem { domain } }
}"""


@dataclasses.dataclass
class Units:
    """A household of two hardship persons, the first paired, with the measures of its
    plan, and the users of the organisations responsible for them."""

    f: Family
    official: str
    medical: str  # unit X (open MEDICAL measure), a user in the county
    medical_city: str  # X, a user of the whole city
    medical_elsewhere: str  # X, a user of another county
    medical_no_roles: str  # X, a user holding no role (no care:read)
    medical_paired: str  # X, a paired official of the county (sees their own persons only)
    medical_inactive: str  # X, a disabled account
    done: str  # unit whose MEDICAL measure is DONE
    cancelled: str  # unit whose MEDICAL measure was CANCELLED
    education: str  # unit with an open EDUCATION measure
    living: str  # unit with an open LIVING measure (UNDER_WAY)


async def measure(world: World, household: str, domain: str, organisation: str) -> str:
    payload = {
        "householdId": household,
        "domain": domain,
        "description": "落实救助措施",
        "problemIds": [],
        "responsibleOrganisationId": await organisation_gid(world.h, organisation),
        "deadline": (today() + dt.timedelta(days=30)).isoformat(),
        "fundingSource": "GOVERNMENT_PROGRAMME",
    }
    data = await world.h.ok(ADD, {"input": payload}, token=world.xiangfen)
    assert data["assistanceMeasureAdd"]["errors"] == [], data
    return data["assistanceMeasureAdd"]["measure"]["id"]  # type: ignore[no-any-return]


async def units(world: World) -> Units:
    h = world.h
    f = await family(h, categories=(Category.SPECIAL_HARDSHIP, Category.CHILD_IN_DIFFICULTY))
    token, gid = await official(h, "official-a")
    await pair(world, f.person_gids[0], gid)

    async def staff(name: str, unit: str, region: str = "141023", *roles: Role) -> str:
        return await h.actor(
            name,
            roles=list(roles or [Role.DEPARTMENT_OFFICER]),
            region=region,
            organisation=unit,
        )

    made = Units(
        f=f,
        official=token,
        medical_city=await staff("x-city", "unit-x", "141000"),
        medical=await staff("x-xiangfen", "unit-x"),
        medical_elsewhere=await staff("x-hongtong", "unit-x", "141024"),
        medical_no_roles=await h.actor("x-none", roles=[], region="141023", organisation="unit-x"),
        medical_paired=await staff("x-paired", "unit-x", "141023", Role.PAIRED_OFFICIAL),
        medical_inactive=await staff("x-inactive", "unit-x"),
        done=await staff("done-unit", "unit-done"),
        cancelled=await staff("cancelled-unit", "unit-cancelled"),
        education=await staff("education-unit", "unit-education"),
        living=await staff("living-unit", "unit-living"),
    )
    async with h.session() as session, session.begin():
        await session.execute(
            update(User).where(User.username == "x-inactive").values(is_active=False)
        )
    await measure(world, f.gid, "MEDICAL", "unit-x")
    done = await measure(world, f.gid, "MEDICAL", "unit-done")
    assert (await change(world, done, 1, "DONE"))["errors"] == []
    cancelled = await measure(world, f.gid, "MEDICAL", "unit-cancelled")
    assert (await change(world, cancelled, 1, "CANCELLED", "重复"))["errors"] == []
    await measure(world, f.gid, "EDUCATION", "unit-education")
    living = await measure(world, f.gid, "LIVING", "unit-living")
    assert (await change(world, living, 1, "UNDER_WAY"))["errors"] == []
    return made


async def held(world: World, username: str) -> int:
    """How many notifications the user has (for those who may not list them)."""
    async with world.h.session() as session:
        found = await session.scalar(
            select(func.count(Notification.id))
            .join(User, User.id == Notification.recipient_id)
            .where(User.username == username)
        )
    return int(found or 0)


def told(notes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(n["reason"], n["subjectId"]) for n in notes]


async def test_a_raised_event_tells_the_unit_of_an_open_measure_of_its_domain(
    world: World,
) -> None:
    u = await units(world)
    raised = await raise_event(world, u.f.person_gids[0], "HOSPITALISATION", today())
    event = raised["careEvent"]
    deadline = event["deadline"]
    # The paired official as before ...
    paired = await mine(world, u.official)
    assert [n["reason"] for n in paired] == ["RAISED", "PAIRING_STARTED"]
    assert paired[0]["subjectId"] == event["id"] and "paired with you" in paired[0]["message"]
    # ... and unit X's users whose area holds the person's, with the unit's message.
    for token in (u.medical, u.medical_city):
        notes = await mine(world, token)
        assert told(notes) == [("RAISED", event["id"])]
        assert notes[0]["message"] == (
            "A care event (hospitalisation) was raised for a person of a household whose "
            "plan gives your unit an open measure (medical care): it is to be answered by "
            f"{deadline}; see whether the measure still fits."
        )
        # The unit's user opens the subject, through the notification and by node(id:).
        assert notes[0]["subject"] == {"id": event["id"], "kind": "HOSPITALISATION"}
        opened = await world.h.ok(OPEN, {"id": event["id"]}, token=token)
        assert opened == {"node": {"id": event["id"], "kind": "HOSPITALISATION"}}
    chinese = await world.h.gql(MINE, token=u.medical, language="zh")
    text = chinese["data"]["myNotifications"]["nodes"][0]["message"]
    assert "住院" in text and "（医疗）" in text and deadline in text and "核查该措施" in text
    assert "成员0" not in text  # no name
    # Not X's user of another county, a paired official's view alone; not the units whose
    # measure is done, cancelled, of another domain.
    for token in (
        u.medical_elsewhere,
        u.medical_paired,
        u.done,
        u.cancelled,
        u.education,
        u.living,
        world.hongtong,
    ):
        assert await mine(world, token) == [], token
    # Those left out could not have opened the event either (the rule is the API's).
    for token in (u.medical_elsewhere, u.medical_paired):
        assert await world.h.ok(OPEN, {"id": event["id"]}, token=token) == {"node": None}
    # Nor X's user without care:read (who may not even list notifications), nor a disabled
    # account: they hold none.
    denied = await world.h.gql(MINE, token=u.medical_no_roles)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await held(world, "x-none"), await held(world, "x-inactive")) == (0, 0)
    assert await held(world, "x-xiangfen") == 1


async def test_the_domains_of_each_kind_and_a_holiday_tells_no_unit(world: World) -> None:
    u = await units(world)
    # The child (a member, not paired): a dropout is the education unit's; the county's
    # office is told as for every unpaired person; the medical unit is not.
    dropout = (await raise_event(world, u.f.person_gids[1], "SCHOOL_DROPOUT", today()))["careEvent"]
    notes = await mine(world, u.education)
    assert told(notes) == [("RAISED", dropout["id"])]
    assert "(school dropout)" in notes[0]["message"] and "(education)" in notes[0]["message"]
    assert await mine(world, u.medical) == []
    # A disaster is housing's and living's: the unit of the open LIVING measure is told.
    disaster = (await raise_event(world, u.f.person_gids[0], "DISASTER", today()))["careEvent"]
    notes = await mine(world, u.living)
    assert told(notes) == [("RAISED", disaster["id"])]
    assert "(disaster)" in notes[0]["message"] and "(living)" in notes[0]["message"]
    # One unit with open measures of both domains of a disaster: each user is told once,
    # naming the first (housing).
    await measure(world, u.f.gid, "HOUSING", "unit-living")
    again = (await raise_event(world, u.f.person_gids[1], "DISASTER", today()))["careEvent"]
    notes = await mine(world, u.living)
    assert told(notes) == [("RAISED", again["id"]), ("RAISED", disaster["id"])]
    assert "(housing)" in notes[0]["message"]
    # A bereavement (CARE): no unit has a measure of it.
    await raise_event(world, u.f.person_gids[0], "BEREAVEMENT", today())
    # The holiday visits are the paired official's alone.
    holidays = (
        "mutation($i: CareHolidayEventsRaiseInput!) { careHolidayEventsRaise(input: $i) "
        "{ raised } }"
    )
    year = today().year + 1
    data = await world.h.ok(
        holidays, {"i": {"holiday": "SPRING_FESTIVAL", "year": year}}, token=world.xiangfen
    )
    assert data["careHolidayEventsRaise"]["raised"] == 1
    reasons = [n["reason"] for n in await mine(world, u.official)]
    assert reasons.count("RAISED") == 3  # disaster, bereavement, holiday
    assert await mine(world, u.medical) == []
    assert [n["subjectId"] for n in await mine(world, u.education)] == [dropout["id"]]
    assert [n["subjectId"] for n in await mine(world, u.living)] == [again["id"], disaster["id"]]
    for token in (u.medical_city, u.done, u.cancelled, u.medical_elsewhere):
        assert await mine(world, token) == []


async def test_reminders_reach_the_unit_and_an_answer_cancels_them(world: World) -> None:
    u = await units(world)
    event = (await raise_event(world, u.f.person_gids[0], "HOSPITALISATION", today()))["careEvent"]
    deadline = dt.date.fromisoformat(event["deadline"])
    async with world.h.session() as session, session.begin():
        # The official, and X's county and city users; the escalation is the county office's.
        assert await notify.remind_and_escalate(session, deadline, 1) == (3, 0)
    notes = await mine(world, u.medical, state="CREATED")
    assert told(notes) == [("REMINDER", event["id"]), ("RAISED", event["id"])]
    assert notes[0]["message"] == (
        "Reminder: a care event (hospitalisation) of a person of a household whose plan "
        f"gives your unit an open measure (medical care) is due on {deadline} and not "
        "answered yet."
    )
    assert await mine(world, u.medical_elsewhere) == []
    assert (await respond(world, event["id"], u.official))["errors"] == []
    cancelled = await mine(world, u.medical, state="CANCELLED")
    assert told(cancelled) == [("REMINDER", event["id"])]
    async with world.h.session() as session, session.begin():
        late = deadline + dt.timedelta(days=1)
        assert await notify.remind_and_escalate(session, late, 1) == (0, 0)


async def test_a_key_problem_tells_the_unit_of_that_domains_open_measure(world: World) -> None:
    u = await units(world)
    run = await campaign(world)
    recorded = await visit(
        world,
        world.xiangfen,
        run["screeningCampaign"]["id"],
        u.f.gid,
        problems=[
            {"domain": "MEDICAL", "description": "慢性病", "severity": "HIGH", "isKey": True},
            {"domain": "EDUCATION", "description": "作业无人辅导", "severity": "LOW"},
        ],
    )
    assert recorded["errors"] == []
    notes = await mine(world, u.medical)
    assert [n["reason"] for n in notes] == ["KEY_PROBLEM"]
    assert notes[0]["message"] == (
        f"A screening visit on {today().isoformat()} found a key problem (medical care) in a "
        "household whose plan gives your unit an open measure of that domain: see whether the "
        "measure needs revising."
    )
    problem = notes[0]["subjectId"]
    opened = await world.h.ok(OPEN, {"id": problem}, token=u.medical)
    assert opened == {"node": {"id": problem, "domain": "MEDICAL"}}
    # Its paired official is told as before (a problem of the whole household).
    assert "KEY_PROBLEM" in [n["reason"] for n in await mine(world, u.official)]
    # Not the units of a done or cancelled measure, nor of a problem that is not key, nor
    # of another domain; not X's user of another county.
    for token in (
        u.done,
        u.cancelled,
        u.education,
        u.living,
        u.medical_elsewhere,
        u.medical_paired,
    ):
        assert await mine(world, token) == [], token
    assert (await held(world, "x-none"), await held(world, "x-inactive")) == (0, 0)


async def test_one_notification_for_an_official_who_is_also_the_unit(world: World) -> None:
    """The paired official who works for the responsible unit is told once, as official."""
    f = await family(world.h)
    both = await world.h.actor(
        "both",
        roles=[Role.PAIRED_OFFICIAL, Role.DEPARTMENT_OFFICER],
        region="141023",
        organisation="unit-both",
    )
    await pair(world, f.person_gids[0], await user_gid(world.h, "both"))
    await measure(world, f.gid, "MEDICAL", "unit-both")
    event = (await raise_event(world, f.person_gids[0], "HOSPITALISATION", today()))["careEvent"]
    notes = [n for n in await mine(world, both) if n["reason"] == "RAISED"]
    assert told(notes) == [("RAISED", event["id"])]
    assert "paired with you" in notes[0]["message"]


async def test_the_statements_do_not_grow_with_the_events(world: World) -> None:
    """Units are found by a constant number of statements, however many events."""
    families = []
    for index in range(3):
        f = await family(world.h)
        families.append(f)
        await world.h.actor(
            f"unit-user-{index}",
            roles=[Role.DEPARTMENT_OFFICER],
            region="141023",
            organisation=f"unit-{index}",
        )
        await measure(world, f.gid, "MEDICAL", f"unit-{index}")

    async def statements(persons: list[int], first_id: int) -> tuple[int, int]:
        events = [
            notify.EventFacts(first_id + i, person, "HOSPITALISATION", today())
            for i, person in enumerate(persons)
        ]
        async with world.h.session() as session, session.begin():
            with world.h.count_statements() as counter:
                recorded = await notify.care_events_raised(session, events)
        return counter.count, recorded

    one = await statements([families[0].person_ids[0]], 1000)
    three = await statements([f.person_ids[0] for f in families], 2000)
    # Each person nobody is paired with: the county office (xiangfen) and its unit.
    assert (one[1], three[1]) == (2, 6)
    assert one[0] == three[0]
