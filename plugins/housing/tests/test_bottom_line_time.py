"""When the calendar alone changes GOOD_HOME (``Finding.valid_until``, issue 17).

Unit cases for each dependency (a later appraisal, a renovation's steps, a disaster and
its answer), and a property test over the demo data: a finding judged on D holds on every
day before its ``valid_until`` and changes on that day.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bangfu.core.bottomline import Finding, Indicator, Status
from bangfu.core.calendar import today
from bangfu.core.registry.models import Household, Person
from bangfu.plugins.housing.models import (
    DisasterKind,
    DisasterReport,
    FundingSource,
    RenovationProject,
    RenovationStatus,
    SafetyAppraisal,
    SafetyGrade,
)
from bangfu.plugins.housing.tests.support import appraise, household
from bangfu.testing import Harness
from bangfu.testing_time import check_valid_until_exactly

D = dt.date


def ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


async def judge(h: Harness, persons: list[Person], as_of: dt.date) -> dict[int, Finding]:
    async with h.session() as session:
        statement = select(Person).where(Person.id.in_([p.id for p in persons]))
        rows = list((await session.scalars(statement)).all())
        findings = await h.host.bottom_line(rows, session, as_of)
    return {f.person_id: f for f in findings if f.indicator is Indicator.GOOD_HOME}


async def renovation(
    h: Harness,
    home: Household,
    appraisal: SafetyAppraisal,
    accepted_by: SafetyAppraisal | None = None,
    **days_ago: int,
) -> RenovationProject:
    """A project with its step dates (``planned=80, approved=70, ...`` days ago)."""
    steps = ("planned", "approved", "started", "completed", "accepted")
    status = [s for s in RenovationStatus][len(days_ago) - 1]
    async with h.session() as session, session.begin():
        row = RenovationProject(
            household_id=home.id,
            status=status,
            appraisal_id=appraisal.id,
            subsidy_amount=Decimal("25000"),
            funding_source=FundingSource.GOVERNMENT_PROGRAMME,
            programme_name="农村危房改造",
            acceptance_appraisal_id=None if accepted_by is None else accepted_by.id,
            **{f"{step}_on": ago(days_ago[step]) for step in steps if step in days_ago},
        )
        session.add(row)
    return row


async def disaster(h: Harness, home: Household, days_ago: int, answered: int | None) -> None:
    async with h.session() as session, session.begin():
        session.add(
            DisasterReport(
                household_id=home.id,
                kind=DisasterKind.FLOOD,
                occurred_on=ago(days_ago),
                damage="院墙倒塌",
                reported_on=ago(days_ago),
                responded_on=None if answered is None else ago(answered),
                response=None if answered is None else "入户慰问",
            )
        )


@pytest.mark.anyio
async def test_each_dated_row_turns_the_verdict_on_its_day(harness: Harness) -> None:
    h = harness
    safe, (safe_head,) = await household(h)
    await appraise(h, safe, SafetyGrade.B, 40)
    waiting, (waiting_head,) = await household(h)
    d = await appraise(h, waiting, SafetyGrade.D, 100)
    await renovation(h, waiting, d, planned=80)
    renovated, (renovated_head,) = await household(h)
    c = await appraise(h, renovated, SafetyGrade.C, 100)
    b = await appraise(h, renovated, SafetyGrade.B, 30)
    await renovation(
        h, renovated, c, b, planned=80, approved=70, started=60, completed=50, accepted=30
    )
    flooded, (flooded_head,) = await household(h)
    await appraise(h, flooded, SafetyGrade.A, 300)
    await disaster(h, flooded, 10, 8)
    _never, (never_head,) = await household(h)
    persons = [safe_head, waiting_head, renovated_head, flooded_head, never_head]

    now = await judge(h, persons, today())
    # Today, with nothing dated later (the service refuses later dates): only a write.
    assert {f.valid_until for f in now.values()} == {None}
    assert never_head.id not in now

    def on(found: dict[int, Finding], person: Person) -> tuple[Status, dt.date | None]:
        return found[person.id].status, found[person.id].valid_until

    # Not yet appraised 50 days ago: undecided, until the appraisal (UNKNOWN, with the day).
    assert on(await judge(h, [safe_head], ago(50)), safe_head) == (Status.UNKNOWN, ago(40))
    # A D house waiting 90 days ago: at risk until the renovation was planned.
    assert on(await judge(h, [waiting_head], ago(90)), waiting_head) == (
        Status.AT_RISK,
        ago(80),
    )
    # In hand while under way (the steps do not change that) until completed...
    assert on(await judge(h, [renovated_head], ago(75)), renovated_head) == (
        Status.UNKNOWN,
        ago(50),
    )
    # ...then at risk, awaiting acceptance, until accepted on the new B appraisal.
    assert on(await judge(h, [renovated_head], ago(40)), renovated_head) == (
        Status.AT_RISK,
        ago(30),
    )
    # Flooded: at risk from the flood until it was answered.
    assert on(await judge(h, [flooded_head], ago(12)), flooded_head) == (Status.OK, ago(10))
    assert on(await judge(h, [flooded_head], ago(9)), flooded_head) == (Status.AT_RISK, ago(8))
    assert never_head.id not in await judge(h, [never_head], ago(500))


def test_findings_on_the_demo_hold_until_valid_until(
    tmp_path: Path, database_url: str | None
) -> None:
    """Judged on D, every finding is the same on every day E before its valid_until
    (within 800 days when None), and differs on valid_until itself."""
    check_valid_until_exactly(
        tmp_path, database_url, ["housing"], lambda f: f.indicator is Indicator.GOOD_HOME
    )
