"""The goal "lives in a good home" (GOOD_HOME), judged through the plugin host."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bangfu.core.bottomline import Finding, Indicator, Status
from bangfu.core.calendar import today
from bangfu.core.registry.models import Person
from bangfu.plugins.housing.indicators import good_home
from bangfu.plugins.housing.models import (
    DisasterKind,
    DisasterReport,
    FundingSource,
    RenovationProject,
    RenovationStatus,
    SafetyGrade,
)
from bangfu.plugins.housing.tests.support import appraise, household
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio


async def judge(h: Harness, persons: list[Person], as_of: dt.date) -> dict[int, Finding]:
    async with h.session() as session:
        statement = select(Person).where(Person.id.in_([p.id for p in persons]))
        rows = list((await session.scalars(statement)).all())
        findings = await h.host.bottom_line(rows, session, as_of)
    mine = [f for f in findings if f.indicator is Indicator.GOOD_HOME]
    assert all(f.module == "housing" for f in mine)
    assert len({f.person_id for f in mine}) == len(mine)  # one finding per person at most
    return {f.person_id: f for f in mine}


async def project(
    h: Harness,
    home: object,
    appraisal: object,
    status: RenovationStatus,
    planned_days_ago: int = 80,
) -> RenovationProject:
    day = today()
    steps = list(RenovationStatus).index(status)
    dates = [day - dt.timedelta(days=planned_days_ago - 10 * i) for i in range(min(steps, 3) + 1)]
    named = dict(
        zip(("planned_on", "approved_on", "started_on", "completed_on"), dates, strict=False)
    )
    async with h.session() as session, session.begin():
        row = RenovationProject(
            household_id=home.id,  # type: ignore[attr-defined]
            status=status,
            appraisal_id=appraisal.id,  # type: ignore[attr-defined]
            subsidy_amount=Decimal("25000"),
            funding_source=FundingSource.GOVERNMENT_PROGRAMME,
            programme_name="农村危房改造",
            **named,
        )
        session.add(row)
    return row


async def disaster(h: Harness, home: object, days_ago: int, responded_days_ago: int | None) -> None:
    day = today()
    async with h.session() as session, session.begin():
        session.add(
            DisasterReport(
                household_id=home.id,  # type: ignore[attr-defined]
                kind=DisasterKind.FLOOD,
                occurred_on=day - dt.timedelta(days=days_ago),
                damage="院墙倒塌",
                reported_on=day - dt.timedelta(days=days_ago),
                responded_on=None
                if responded_days_ago is None
                else day - dt.timedelta(days=responded_days_ago),
                response=None if responded_days_ago is None else "入户慰问",
            )
        )


async def test_good_home_follows_the_latest_appraisal_renovation_and_disasters(
    harness: Harness,
) -> None:
    h = harness
    day = today()
    safe, (safe_head, safe_child) = await household(h, members=2)
    a = await appraise(h, safe, SafetyGrade.B, 40)
    d_home, (d_head,) = await household(h)
    d = await appraise(h, d_home, SafetyGrade.D, 100)
    c_home, (c_head,) = await household(h)
    c = await appraise(h, c_home, SafetyGrade.C, 100)
    await project(h, c_home, c, RenovationStatus.UNDER_WAY)
    done_home, (done_head,) = await household(h)
    done = await appraise(h, done_home, SafetyGrade.C, 100)
    await project(h, done_home, done, RenovationStatus.COMPLETED)
    flooded, (flooded_head,) = await household(h)
    await appraise(h, flooded, SafetyGrade.A, 300)
    await disaster(h, flooded, 10, None)
    answered, (answered_head,) = await household(h)
    await appraise(h, answered, SafetyGrade.A, 300)
    await disaster(h, answered, 10, 8)
    _unknown, (unknown_head,) = await household(h)
    unknown_flooded, (unknown_flooded_head,) = await household(h)
    await disaster(h, unknown_flooded, 3, None)

    persons = [
        safe_head,
        safe_child,
        d_head,
        c_head,
        done_head,
        flooded_head,
        answered_head,
        unknown_head,
        unknown_flooded_head,
    ]
    found = await judge(h, persons, day)

    assert found[safe_head.id] == Finding(
        safe_head.id,
        Indicator.GOOD_HOME,
        Status.OK,
        (f"latest appraisal grade B (basically safe) on {a.appraised_on}",),
        "housing",
    )
    assert found[safe_child.id].status is Status.OK
    assert found[d_head.id].status is Status.AT_RISK
    assert found[d_head.id].reasons == (
        f"latest appraisal grade D (wholly dangerous) on {d.appraised_on}, no renovation under way",
    )
    assert c_head.id not in found  # C, but the renovation is under way: in hand, not decided
    assert found[done_head.id].status is Status.AT_RISK
    assert "awaits an acceptance appraisal of A or B" in found[done_head.id].reasons[0]
    assert found[flooded_head.id].status is Status.AT_RISK
    assert found[flooded_head.id].reasons == (
        f"dwelling damaged by flood on {day - dt.timedelta(days=10)}, no response recorded",
    )
    assert found[answered_head.id].status is Status.OK
    assert unknown_head.id not in found  # never appraised: UNKNOWN
    assert found[unknown_flooded_head.id].status is Status.AT_RISK

    # As of an earlier day: before the flood the home was OK; before the C house's
    # renovation was planned it was at risk.
    earlier = await judge(h, persons, day - dt.timedelta(days=85))
    assert earlier[flooded_head.id].status is Status.OK
    assert earlier[c_head.id].status is Status.AT_RISK
    assert d_head.id in earlier
    # Undecided on that day, but a dated row decides them later: UNKNOWN until that day.
    assert earlier[safe_head.id].status is Status.UNKNOWN  # appraised later than that day
    assert earlier[safe_head.id].reasons == ("never appraised",)
    assert earlier[safe_head.id].valid_until == a.appraised_on
    assert earlier[unknown_flooded_head.id].status is Status.UNKNOWN
    assert earlier[unknown_flooded_head.id].valid_until == day - dt.timedelta(days=3)
    assert unknown_head.id not in earlier  # nothing will ever decide it


async def test_good_home_costs_the_same_statements_for_any_page(harness: Harness) -> None:
    h = harness
    homes = []
    for i in range(12):
        home, persons = await household(h, members=2)
        appraisal = await appraise(
            h, home, [SafetyGrade.A, SafetyGrade.D, SafetyGrade.C][i % 3], 50
        )
        if i % 3 == 2:
            await project(h, home, appraisal, RenovationStatus.PLANNED, 40)
        if i % 4 == 0:
            await disaster(h, home, 5, None)
        homes.extend(persons)
    counts = {}
    for size in (2, 24):
        with h.count_statements() as counter:
            found = await judge(h, homes[:size], today())
        counts[size] = counter.count
        # C houses in hand without a disaster (households 2, 5 and 11) are undecided.
        assert len(found) == {2: 2, 24: 18}[size]
    assert counts[2] == counts[24]  # every installed plugin's judgement together

    async with h.session() as session:
        rows = list((await session.scalars(select(Person))).all())
        with h.count_statements() as counter:
            await good_home(rows, session, today())
    assert counter.count == 4  # memberships, latest appraisals, renovations, disasters


async def test_a_member_joining_later_has_no_home_until_then(harness: Harness) -> None:
    """A membership written with a future start before such starts were refused: the
    person has no home of record (UNKNOWN) until that day, and the finding says when it
    changes; from that day the household's verdict is theirs."""
    from sqlalchemy import update

    from bangfu.core.registry.models import Membership

    h = harness
    home, (head, joining) = await household(h, members=2)
    await appraise(h, home, SafetyGrade.B, 40)
    later = today() + dt.timedelta(days=30)
    async with h.session() as session, session.begin():
        await session.execute(
            update(Membership).where(Membership.person_id == joining.id).values(start_date=later)
        )
    now = await judge(h, [head, joining], today())
    assert now[head.id].status is Status.OK
    assert (now[joining.id].status, now[joining.id].valid_until) == (Status.UNKNOWN, later)
    then = await judge(h, [head, joining], later)
    assert then[joining.id].status is Status.OK
