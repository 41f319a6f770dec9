"""SCHOOL and GOOD_SCHOOL say the first day the calendar alone may change them (issue 17)."""

import datetime as dt
import decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.bottomline import Finding, Indicator, Status
from bangfu.core.registry.models import Category, CategoryAssignment, Organisation, Person
from bangfu.plugins.education import bottomline
from bangfu.plugins.education.bottomline import good_school, school
from bangfu.plugins.education.models import (
    AidKind,
    EducationAid,
    Enrolment,
    EnrolmentStatus,
    FundingSource,
    SchoolStage,
)
from bangfu.plugins.education.rules import next_school_year, school_year
from bangfu.plugins.education.tests.conftest import id_number
from bangfu.testing import Harness
from bangfu.testing_time import check_valid_until

AS_OF = dt.date(2026, 3, 10)
CHILD_BORN = dt.date(2016, 5, 20)


def person(born: dt.date, deceased: bool = False) -> Any:
    return SimpleNamespace(id=1, birth_date=born, deceased=deceased)


def period(
    status: EnrolmentStatus, start: dt.date, end: dt.date | None = None, school: str = "实验小学"
) -> Enrolment:
    return Enrolment(
        person_id=1,
        school_name=school,
        stage=SchoolStage.PRIMARY,
        grade=3,
        status=status,
        start_date=start,
        end_date=end,
    )


def test_school_year_boundaries() -> None:
    assert next_school_year(dt.date(2026, 8, 31)) == dt.date(2026, 9, 1)
    assert next_school_year(dt.date(2026, 9, 1)) == dt.date(2027, 9, 1)
    assert school_year(dt.date(2026, 9, 1))[0] == dt.date(2026, 9, 1)


def test_school_valid_until() -> None:
    child = person(dt.date(2016, 5, 20))  # 9 on AS_OF
    enrolled = period(EnrolmentStatus.ENROLLED, dt.date(2022, 9, 1))
    # A school place with no end: only a write (or a later period) changes it.
    assert school(child, [enrolled], AS_OF).valid_until is None
    assert school(child, [enrolled], AS_OF, dt.date(2026, 9, 1)).valid_until == dt.date(2026, 9, 1)
    # A period holds up to, not on, its end date.
    ending = period(EnrolmentStatus.ENROLLED, dt.date(2022, 9, 1), dt.date(2026, 7, 1))
    found = school(child, [ending], AS_OF)
    assert found.status is Status.OK and found.valid_until == dt.date(2026, 7, 1)
    assert school(child, [ending], dt.date(2026, 7, 1)).status is Status.AT_RISK
    # Not at school at 9: the reason names no age; it changes at 16 (past compulsory age).
    none = school(child, [], AS_OF)
    assert none.status is Status.AT_RISK and none.valid_until == dt.date(2032, 5, 20)
    assert none.reasons == school(child, [], dt.date(2032, 5, 19)).reasons
    assert school(child, [], dt.date(2032, 5, 20)).status is Status.NOT_APPLICABLE
    # Born on 29 February: 6 on 1 March of a common year.
    leap = person(dt.date(2020, 2, 29))
    assert school(leap, [], dt.date(2026, 2, 28)).valid_until == dt.date(2026, 3, 1)
    assert school(leap, [], dt.date(2026, 2, 28)).status is Status.NOT_APPLICABLE
    assert school(leap, [], dt.date(2026, 3, 1)).status is Status.AT_RISK
    # Dropped out at 16: at risk until 18.
    teen = person(dt.date(2009, 11, 2))
    dropped = period(EnrolmentStatus.DROPPED_OUT, dt.date(2025, 10, 1))
    found = school(teen, [dropped], AS_OF)
    assert found.status is Status.AT_RISK and found.valid_until == dt.date(2027, 11, 2)
    # The dead: only a write.
    assert school(person(dt.date(2016, 5, 20), deceased=True), [], AS_OF).valid_until is None


def test_good_school_valid_until() -> None:
    child = person(dt.date(2010, 10, 1))
    first_day = school_year(AS_OF)[0]
    aid = decimal.Decimal("500")
    # A new school year: the aid of the last one no longer counts.
    found = good_school(child, ["DIBAO"], aid, first_day, AS_OF)
    assert found.status is Status.OK and found.valid_until == dt.date(2026, 9, 1)
    # A category ending: its valid_to + 1 (given by judge()) comes first.
    ending = dt.date(2026, 4, 1)
    assert good_school(child, ["DIBAO"], None, first_day, AS_OF, ending).valid_until == ending
    # 18 before the next school year.
    older = person(dt.date(2008, 6, 1))
    assert good_school(older, ["DIBAO"], None, first_day, AS_OF).valid_until == dt.date(2026, 6, 1)
    # Not in hardship: until a category starts; an adult: only a write.
    later = dt.date(2026, 5, 1)
    assert good_school(child, [], None, first_day, AS_OF, later).valid_until == later
    assert good_school(child, [], None, first_day, AS_OF).valid_until is None
    assert good_school(person(dt.date(2000, 1, 1)), [], None, first_day, AS_OF).valid_until is None


@pytest.mark.anyio
async def test_future_rows_through_judge(harness: Harness) -> None:
    """Rows starting later are loaded (same statements) and set the day."""
    h = harness
    _, (parent, child) = await h.household(
        "141023",
        [("HEAD", "父", id_number(dt.date(1985, 3, 1))), ("CHILD", "子", id_number(CHILD_BORN))],
    )
    async with h.session() as session, session.begin():
        certifier = await session.scalar(
            select(Organisation.id).where(Organisation.code == "141023-civil-affairs")
        )
        assert certifier is not None
        session.add_all(
            [
                period(EnrolmentStatus.ENROLLED, dt.date(2022, 9, 1), dt.date(2026, 1, 20)),
                period(EnrolmentStatus.ENROLLED, dt.date(2026, 4, 1), school="新学校"),
                CategoryAssignment(
                    person_id=child.id,
                    category=Category.DIBAO,
                    valid_from=dt.date(2025, 1, 1),
                    certifying_organisation_id=certifier,
                ),
                EducationAid(
                    person_id=child.id,
                    kind=AidKind.BOARDING_SUBSIDY,
                    amount=decimal.Decimal("300"),
                    granted_on=dt.date(2026, 5, 15),  # recorded ahead of its day
                    programme="义务教育家庭经济困难学生生活补助",
                    funding_source=FundingSource.GOVERNMENT_PROGRAMME,
                    granting_organisation_id=certifier,
                ),
                CategoryAssignment(
                    person_id=parent.id,
                    category=Category.DIBAO,
                    valid_from=dt.date(2026, 2, 1),
                    certifying_organisation_id=certifier,
                ),
            ]
        )
        for row in session.new:
            if isinstance(row, Enrolment):
                row.person_id = child.id

    async def judge(on: dt.date) -> dict[Any, Finding]:
        async with h.session() as session:
            persons = list((await session.scalars(select(Person).order_by(Person.id))).all())
            with h.count_statements() as counter:
                found = await bottomline.judge(persons, session, on)
            assert counter.count == 3
        return {(f.person_id, f.indicator): f for f in found}

    found = await judge(AS_OF)
    school_now = found[child.id, Indicator.SCHOOL]
    assert school_now.status is Status.AT_RISK  # the first period ended on 20 January
    assert school_now.valid_until == dt.date(2026, 4, 1)  # the next one starts
    assert (await judge(dt.date(2026, 4, 1)))[child.id, Indicator.SCHOOL].status is Status.OK
    aid_now = found[child.id, Indicator.GOOD_SCHOOL]
    assert aid_now.status is Status.AT_RISK and aid_now.valid_until == dt.date(2026, 5, 15)
    assert (await judge(dt.date(2026, 5, 15)))[child.id, Indicator.GOOD_SCHOOL].status is (
        Status.OK
    )
    # An adult: GOOD_SCHOOL is not for them whatever their categories.
    assert found[parent.id, Indicator.GOOD_SCHOOL].valid_until is None


def test_valid_until_on_demo_data(tmp_path: Path, database_url: str | None) -> None:
    """Judged on a later day before valid_until, the findings are the same."""
    check_valid_until(tmp_path, database_url, bottomline.judge)
