"""WORK and WELL_EMPLOYED say the first day the calendar alone may change them (issue 17)."""

import datetime as dt
import decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.bottomline import Finding, Indicator, Status
from bangfu.core.idnumber import make
from bangfu.core.registry.models import Person
from bangfu.plugins.employment.bottomline import Records, judge, judge_person
from bangfu.plugins.employment.models import JobPlacement, Training, WorkStatus, WorkStatusRecord
from bangfu.testing import Harness
from bangfu.testing_time import check_valid_until

AS_OF = dt.date(2026, 6, 30)
WAGE = decimal.Decimal("1880")


def person(born: dt.date, deceased: bool = False) -> Any:
    return SimpleNamespace(id=1, birth_date=born, deceased=deceased)


def status(kind: WorkStatus, since: dt.date, until: dt.date | None = None, **fields: Any) -> Any:
    return WorkStatusRecord(person_id=1, status=kind, since=since, until=until, **fields)


def judged(who: Any, records: Records, on: dt.date = AS_OF) -> dict[Indicator, Finding]:
    return {f.indicator: f for f in judge_person(who, records, on, WAGE)}


def until(who: Any, records: Records, on: dt.date = AS_OF) -> set[dt.date | None]:
    return {f.valid_until for f in judge_person(who, records, on, WAGE)}


ADULT = person(dt.date(1990, 4, 1))


def test_ages() -> None:
    # Under 16: until the 16th birthday (29 February: 1 March in a common year).
    assert until(person(dt.date(2012, 2, 29)), Records(), dt.date(2028, 2, 28)) == {
        dt.date(2028, 2, 29)
    }
    assert until(person(dt.date(2011, 2, 28)), Records()) == {dt.date(2027, 2, 28)}
    leap = person(dt.date(2008, 2, 29))
    assert until(leap, Records(), dt.date(2024, 2, 28)) == {dt.date(2024, 2, 29)}
    # 60 or older, the dead: only a write.
    assert until(person(dt.date(1960, 1, 1)), Records()) == {None}
    assert until(person(dt.date(1990, 1, 1), deceased=True), Records()) == {None}
    # Working: until the 60th birthday.
    work = Records(statuses=[status(WorkStatus.EMPLOYED, dt.date(2020, 1, 1), employer="厂")])
    assert until(ADULT, work) == {dt.date(2050, 4, 1)}


def test_periods_and_statuses() -> None:
    # A placement ending on 31 July: the day after.
    placed = Records(
        placements=[
            JobPlacement(
                person_id=1,
                employer="食品厂",
                post="包装工",
                start_date=dt.date(2026, 1, 1),
                end_date=dt.date(2026, 7, 31),
            )
        ]
    )
    assert until(ADULT, placed) == {dt.date(2026, 8, 1)}
    assert judged(ADULT, placed, dt.date(2026, 7, 31))[Indicator.WORK].status is Status.OK
    after = judged(ADULT, placed, dt.date(2026, 8, 1))[Indicator.WORK]
    assert after.reasons == ("no work status; no work or training since 2026-08-01",)
    # A student until 31 August, a status starting later (loaded as ``upcoming``).
    student = Records(
        statuses=[status(WorkStatus.STUDENT, dt.date(2024, 9, 1), dt.date(2026, 8, 31))]
    )
    assert until(ADULT, student) == {dt.date(2026, 9, 1)}
    student.upcoming = dt.date(2026, 7, 15)
    assert until(ADULT, student) == {dt.date(2026, 7, 15)}
    # A training under way ends.
    training = Records(
        trainings=[
            Training(
                person_id=1,
                course="电工",
                provider="技工学校",
                start_date=dt.date(2026, 5, 1),
                end_date=dt.date(2026, 7, 10),
            )
        ]
    )
    assert until(ADULT, training) == {dt.date(2026, 7, 11)}


def test_idle_deadline() -> None:
    # Seeking work since 1 June: OK for 90 days, AT_RISK from 91 days after (31 August).
    seeking = Records(statuses=[status(WorkStatus.SEEKING_WORK, dt.date(2026, 6, 1))])
    found = judged(ADULT, seeking)
    assert found[Indicator.WORK].status is Status.OK
    assert found[Indicator.WORK].valid_until == dt.date(2026, 8, 31)
    assert found[Indicator.WORK].reasons == ("seeking work; no work or training since 2026-06-01",)
    last = judged(ADULT, seeking, dt.date(2026, 8, 30))[Indicator.WORK]
    assert (last.status, last.reasons) == (
        found[Indicator.WORK].status,
        found[Indicator.WORK].reasons,
    )
    assert judged(ADULT, seeking, dt.date(2026, 8, 31))[Indicator.WORK].status is Status.AT_RISK
    # Once AT_RISK: only the 60th birthday.
    assert until(ADULT, seeking, dt.date(2026, 9, 1)) == {dt.date(2050, 4, 1)}


def test_nothing_yet_but_a_record_later() -> None:
    later = Records(upcoming=dt.date(2026, 8, 1))
    found = judged(ADULT, later)
    assert {f.status for f in found.values()} == {Status.UNKNOWN}
    assert {f.valid_until for f in found.values()} == {dt.date(2026, 8, 1)}


def test_nothing_on_record_until_sixty() -> None:
    """Found by the stateful test of the stored verdicts: nothing on record, and no
    finding, left UNKNOWN stored past the 60th birthday (NOT_APPLICABLE afresh)."""
    fifty_nine = person(dt.date(1966, 9, 1))
    found = judged(fifty_nine, Records())
    assert {(f.status, f.reasons) for f in found.values()} == {
        (Status.UNKNOWN, ("nothing on record",))
    }
    assert {f.valid_until for f in found.values()} == {dt.date(2026, 9, 1)}
    eve = judged(fifty_nine, Records(), dt.date(2026, 8, 31))
    assert {(f.status, f.reasons) for f in eve.values()} == {
        (Status.UNKNOWN, ("nothing on record",))
    }
    sixty = judged(fifty_nine, Records(), dt.date(2026, 9, 1))
    assert {f.status for f in sixty.values()} == {Status.NOT_APPLICABLE}


@pytest.mark.anyio
async def test_future_rows_through_judge(harness: Harness) -> None:
    """Rows starting later are loaded by the same four statements."""
    _, (someone,) = await harness.household(
        "141023", [("HEAD", "将来", make("141023", dt.date(1990, 4, 1), 11))]
    )
    async with harness.session() as session, session.begin():
        session.add(
            WorkStatusRecord(
                person_id=someone.id,
                status=WorkStatus.EMPLOYED,
                since=dt.date(2026, 8, 1),
                employer="新厂",
            )
        )
    async with harness.session() as session:
        persons = list((await session.scalars(select(Person))).all())
        with harness.count_statements() as counter:
            found = await judge(persons, session, AS_OF, WAGE)
        assert counter.count == 4
        assert {f.valid_until for f in found} == {dt.date(2026, 8, 1)}
        later = await judge(persons, session, dt.date(2026, 8, 1), WAGE)
        assert {f.status for f in later if f.indicator is Indicator.WORK} == {Status.OK}


def test_valid_until_on_demo_data(tmp_path: Path, database_url: str | None) -> None:
    """Judged on a later day before valid_until, the findings are the same."""

    async def judge_page(persons: Any, session: Any, on: dt.date) -> Any:
        return await judge(persons, session, on, WAGE)

    check_valid_until(tmp_path, database_url, judge_page)
