"""Care work that makes no sense is refused (issue 21): holiday events off the major
holidays, care events for persons in no hardship, measures due before their plan; and
every problem shows its household."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.core.calendar import Holiday, holiday_days, today
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.plan_models import AssistancePlan, Measure
from bangfu.testing import Harness
from tests.helpers import World, make_world
from tests.test_care_events import HOLIDAYS, RAISE
from tests.test_care_helpers import family, official, organisation_gid, pair
from tests.test_care_plans import ADD, screened

pytestmark = pytest.mark.anyio


async def count(world: World, model: Any) -> int:
    async with world.h.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def raise_holiday(world: World, person: str, day: dt.date) -> dict[str, Any]:
    data = await world.h.ok(
        RAISE,
        {"input": {"personId": person, "kind": "HOLIDAY", "occurredOn": day.isoformat()}},
        token=world.xiangfen,
    )
    return data["careEventRaise"]  # type: ignore[no-any-return]


def spring_festival() -> tuple[dt.date, dt.date]:
    year = today().year + (
        1 if today() > holiday_days(Holiday.SPRING_FESTIVAL, today().year)[1] else 0
    )
    return holiday_days(Holiday.SPRING_FESTIVAL, year)


async def test_a_holiday_event_must_fall_on_or_shortly_before_a_major_holiday(
    world: World,
) -> None:
    f = await family(world.h)
    first, last = spring_festival()
    # Qingming is a holiday, but not one whose care events count by default.
    qingming = holiday_days(Holiday.QINGMING, first.year)[0]
    for day in (first - dt.timedelta(days=31), last + dt.timedelta(days=1), qingming):
        before = await count(world, CareEvent)
        refused = await raise_holiday(world, f.person_gids[0], day)
        assert refused["careEvent"] is None
        assert refused["errors"] == [{"field": "input.occurredOn", "code": "NOT_A_MAJOR_HOLIDAY"}]
        assert await count(world, CareEvent) == before
    for day in (first - dt.timedelta(days=30), first, last):
        accepted = await raise_holiday(world, f.person_gids[0], day)
        assert accepted["errors"] == []
        assert accepted["careEvent"]["occurredOn"] == day.isoformat()
    message = await world.h.ok(
        """mutation($input: CareEventRaiseInput!) { careEventRaise(input: $input) {
             errors { field message code } } }""",
        {
            "input": {
                "personId": f.person_gids[0],
                "kind": "HOLIDAY",
                "occurredOn": qingming.isoformat(),
            }
        },
        token=world.xiangfen,
    )
    assert message["careEventRaise"]["errors"][0]["message"] == (
        f"{qingming.isoformat()} is not a major holiday: a HOLIDAY care event falls on one of "
        "the days of NEW_YEAR, SPRING_FESTIVAL, MID_AUTUMN, NATIONAL_DAY, or up to 30 days "
        "before it"
    )


async def test_the_holidays_that_count_are_a_setting(tmp_path: Any, database_url: Any) -> None:
    settings = {"care_holidays": ["QINGMING"], "care_holiday_days_before": 0}
    async with Harness.start(tmp_path, database_url=database_url, settings=settings) as h:
        world = await make_world(h)
        f = await family(h)
        _, gid = await official(h, "official-a")
        await pair(world, f.person_gids[0], gid)
        year = today().year
        qingming = holiday_days(Holiday.QINGMING, year)[0]
        assert (await raise_holiday(world, f.person_gids[0], qingming))["errors"] == []
        day_before = await raise_holiday(world, f.person_gids[0], qingming - dt.timedelta(days=1))
        assert day_before["errors"][0]["code"] == "NOT_A_MAJOR_HOLIDAY"
        festival = await raise_holiday(world, f.person_gids[0], spring_festival()[0])
        assert festival["errors"][0]["code"] == "NOT_A_MAJOR_HOLIDAY"
        before = await count(world, CareEvent)
        refused = await h.ok(
            HOLIDAYS,
            {"input": {"holiday": "SPRING_FESTIVAL", "year": year}},
            token=world.xiangfen,
        )
        assert refused["careHolidayEventsRaise"]["errors"] == [
            {"field": "input.holiday", "code": "NOT_A_MAJOR_HOLIDAY"}
        ]
        assert await count(world, CareEvent) == before
        raised = await h.ok(
            HOLIDAYS, {"input": {"holiday": "QINGMING", "year": year}}, token=world.xiangfen
        )
        assert raised["careHolidayEventsRaise"]["errors"] == []


async def test_a_care_event_for_a_person_in_no_hardship_is_refused(world: World) -> None:
    plain = await family(world.h, categories=(None,))
    hardship = await family(world.h)
    before = await count(world, CareEvent)
    data = await world.h.ok(
        """mutation($input: CareEventRaiseInput!) { careEventRaise(input: $input) {
             careEvent { id } errors { field message code } } }""",
        {
            "input": {
                "personId": plain.person_gids[0],
                "kind": "DISASTER",
                "occurredOn": today().isoformat(),
            }
        },
        token=world.xiangfen,
    )
    assert data["careEventRaise"] == {
        "careEvent": None,
        "errors": [
            {
                "field": "input.personId",
                "code": "NOT_A_HARDSHIP_PERSON",
                "message": "the person holds no hardship category: care events are raised "
                "for persons in hardship (certify a category first)",
            }
        ],
    }
    assert await count(world, CareEvent) == before
    ok = await world.h.ok(
        RAISE,
        {
            "input": {
                "personId": hardship.person_gids[0],
                "kind": "DISASTER",
                "occurredOn": today().isoformat(),
            }
        },
        token=world.xiangfen,
    )
    assert ok["careEventRaise"]["errors"] == []


async def test_a_measure_due_before_its_plan_was_started_is_refused(world: World) -> None:
    f, problems = await screened(world)
    key = [p["id"] for p in problems if p["isKey"]]
    payload = {
        "householdId": f.gid,
        "domain": "EDUCATION",
        "description": "联系学校复学",
        "problemIds": key[:1],
        "responsibleOrganisationId": await organisation_gid(world.h, "141000-education"),
        "fundingSource": "GOVERNMENT_PROGRAMME",
    }
    for deadline in (today() - dt.timedelta(days=3 * 365), today() - dt.timedelta(days=1)):
        data = await world.h.ok(
            ADD, {"input": {**payload, "deadline": deadline.isoformat()}}, token=world.xiangfen
        )
        assert data["assistanceMeasureAdd"]["measure"] is None
        assert data["assistanceMeasureAdd"]["errors"] == [
            {"field": "input.deadline", "code": "INVALID_DATE_RANGE"}
        ]
        assert await count(world, Measure) == 0
        assert await count(world, AssistancePlan) == 0
    ok = await world.h.ok(
        ADD, {"input": {**payload, "deadline": today().isoformat()}}, token=world.xiangfen
    )
    assert ok["assistanceMeasureAdd"]["errors"] == []
    # The plan was started today: a later measure may not be due before today either.
    late = await world.h.ok(
        ADD,
        {
            "input": {
                **payload,
                "problemIds": key[1:],
                "deadline": (today() - dt.timedelta(days=1)).isoformat(),
            }
        },
        token=world.xiangfen,
    )
    assert late["assistanceMeasureAdd"]["errors"][0]["field"] == "input.deadline"


async def test_every_problem_shows_its_household(world: World) -> None:
    f, problems = await screened(world)
    query = """{ unansweredKeyProblems(first: 10) {
                 nodes { id household { id } person { id } } } }"""
    data = await world.h.ok(query, token=world.xiangfen)
    rows = data["unansweredKeyProblems"]["nodes"]
    assert len(rows) == 2
    assert {r["household"]["id"] for r in rows} == {f.gid}
    # The key problem found without a person still names its household.
    assert sorted((r["person"] or {}).get("id", "") for r in rows) == ["", f.person_gids[1]]
    theirs = await world.h.ok(query, token=world.hongtong)
    assert theirs["unansweredKeyProblems"]["nodes"] == []
    assert problems
