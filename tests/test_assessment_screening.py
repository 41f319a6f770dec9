"""Screening coverage counts a campaign from its end (issue 21): opening a campaign never
lowers a county's figure while its visits are under way; the finished ones' results stand."""

import datetime as dt

import pytest

from bangfu.core.calendar import today
from bangfu.core.care.enums import VisitOutcome
from bangfu.core.care.screening_models import ScreeningCampaign, ScreeningTarget
from bangfu.core.registry.models import Household, Region
from tests.helpers import World
from tests.test_assessment import ASSESSMENT, by_key, indicator
from tests.test_care_helpers import family

pytestmark = pytest.mark.anyio

CREATE = """
mutation($input: ScreeningCampaignCreateInput!) {
  screeningCampaignCreate(input: $input) { screeningCampaign { id } errors { field code } }
}"""

VISIT = """
mutation($input: ScreeningVisitRecordInput!) {
  screeningVisitRecord(input: $input) { errors { field code } }
}"""


async def campaign(world: World, name: str, starts: dt.date, ends: dt.date) -> str:
    data = await world.h.ok(
        CREATE,
        {
            "input": {
                "name": name,
                "regionCode": "141023",
                "startsOn": str(starts),
                "endsOn": str(ends),
            }
        },
        token=world.xiangfen,
    )
    assert data["screeningCampaignCreate"]["errors"] == []
    return data["screeningCampaignCreate"]["screeningCampaign"]["id"]  # type: ignore[no-any-return]


async def coverage(world: World, year: int) -> tuple[int, int] | None:
    data = await world.h.ok(ASSESSMENT, {"year": year, "code": "141023"}, token=world.admin)
    county = by_key(data)[("REGION", "141023")]
    found = [i for i in county["indicators"] if i["indicator"] == "screening_coverage"]
    if not found:
        return None
    figure = indicator(county, "screening_coverage")
    return figure["numerator"], figure["denominator"]


async def test_a_running_campaign_does_not_count_until_it_ends(world: World) -> None:
    day = today()
    finished_start, finished_end = day - dt.timedelta(days=30), day - dt.timedelta(days=1)
    if finished_start.year != day.year:
        pytest.skip("the first month of a year: the finished campaign would be last year's")
    first, second = await family(world.h), await family(world.h)
    finished = await campaign(world, "上半年排查", finished_start, finished_end)
    for f in (first, second):
        answer = await world.h.ok(
            VISIT,
            {
                "input": {
                    "campaignId": finished,
                    "householdId": f.gid,
                    "outcome": "VISITED",
                    "visitedOn": str(finished_start + dt.timedelta(days=3)),
                }
            },
            token=world.xiangfen,
        )
        assert answer["screeningVisitRecord"]["errors"] == []
    assert await coverage(world, day.year) == (2, 2)
    # A new campaign, 25 days to run, nobody visited yet; another on its last day: the
    # finished campaign's result stands.
    await campaign(world, "年末排查", day, day + dt.timedelta(days=25))
    await campaign(world, "今日结束", finished_start, day)
    assert await coverage(world, day.year) == (2, 2)


async def test_a_past_year_counts_the_campaigns_ended_in_it(world: World) -> None:
    """Last year's assessment: a campaign ended by 31 December counts; one that runs on
    into this year and has not ended yet does not."""
    f = await family(world.h, since=dt.date(today().year - 1, 1, 1))
    last = today().year - 1
    async with world.h.session() as session, session.begin():
        household = await session.get(Household, f.household_id)
        assert household is not None
        for name, starts, ends, outcome in (
            ("去年排查", dt.date(last, 12, 1), dt.date(last, 12, 31), VisitOutcome.VISITED),
            ("跨年排查", dt.date(last, 12, 15), today() + dt.timedelta(days=5), None),
        ):
            county = await session.get(Region, "141023")
            assert county is not None
            row = ScreeningCampaign(
                name=name,
                region_code="141023",
                area_path=county.path,
                starts_on=starts,
                ends_on=ends,
            )
            session.add(row)
            await session.flush()
            session.add(
                ScreeningTarget(
                    campaign_id=row.id,
                    household_id=household.id,
                    household_path=household.area_path,
                    last_outcome=outcome,
                    last_visited_on=dt.date(last, 12, 5) if outcome else None,
                )
            )
    assert await coverage(world, last) == (1, 1)
    assert await coverage(world, today().year) is None
