"""The indicators the education plugin decides (R3): SCHOOL (有学上) and GOOD_SCHOOL (上好学).

SCHOOL
    ``OK`` when a period ENROLLED or SUSPENDED (a school place) holds on the day;
    ``AT_RISK`` when the child (under 18) dropped out — their latest period says
    DROPPED_OUT — or is of compulsory-education age (6 to 15) without a school place;
    ``NOT_APPLICABLE`` otherwise (too young, past compulsory age and not at school, dead).
GOOD_SCHOOL
    for a child under 18 holding a hardship category on the day: ``OK`` when they were
    granted education aid this school year (1 September up to the day), ``AT_RISK`` when
    not; ``NOT_APPLICABLE`` for everyone else.

A page of persons costs three statements, whatever its size.
"""

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import Finding, Indicator, Status
from bangfu.core.calendar import age_on
from bangfu.core.registry.models import CategoryAssignment
from bangfu.plugins.education.models import EducationAid, Enrolment, EnrolmentStatus
from bangfu.plugins.education.rules import (
    ADULT_AGE,
    COMPULSORY_FROM_AGE,
    COMPULSORY_TO_AGE,
    in_effect,
    school_year,
)


async def judge(persons: Sequence[Any], session: AsyncSession, as_of: dt.date) -> list[Finding]:
    """SCHOOL and GOOD_SCHOOL findings for every person of the page."""
    if not persons:
        return []
    ids = [p.id for p in persons]
    periods: dict[int, list[Enrolment]] = defaultdict(list)
    for period in await session.scalars(
        select(Enrolment)
        .where(Enrolment.person_id.in_(ids), Enrolment.start_date <= as_of)
        .order_by(Enrolment.start_date.desc(), Enrolment.id.desc())
    ):
        periods[period.person_id].append(period)

    children = [p.id for p in persons if not p.deceased and age_on(p.birth_date, as_of) < ADULT_AGE]
    categories: dict[int, list[str]] = defaultdict(list)
    aid: dict[int, decimal.Decimal] = defaultdict(decimal.Decimal)
    first_day, _ = school_year(as_of)
    if children:
        for person_id, category in await session.execute(
            select(CategoryAssignment.person_id, CategoryAssignment.category)
            .where(
                CategoryAssignment.person_id.in_(children),
                CategoryAssignment.valid_from <= as_of,
                or_(CategoryAssignment.valid_to.is_(None), CategoryAssignment.valid_to >= as_of),
            )
            .order_by(CategoryAssignment.person_id, CategoryAssignment.category)
        ):
            categories[person_id].append(category.value)
        for person_id, amount in await session.execute(
            select(EducationAid.person_id, EducationAid.amount).where(
                EducationAid.person_id.in_(children),
                EducationAid.granted_on.between(first_day, as_of),
            )
        ):
            aid[person_id] += amount  # decimals: exact on SQLite too

    findings: list[Finding] = []
    for person in persons:
        findings.append(school(person, periods.get(person.id, []), as_of))
        findings.append(
            good_school(person, categories.get(person.id, []), aid.get(person.id), first_day, as_of)
        )
    return findings


def school(person: Any, periods: list[Enrolment], as_of: dt.date) -> Finding:
    """SCHOOL for one person; ``periods`` started on or before ``as_of``, newest first."""

    def finding(status: Status, *reasons: str) -> Finding:
        return Finding(person.id, Indicator.SCHOOL, status, reasons)

    if person.deceased:
        return finding(Status.NOT_APPLICABLE)
    age = age_on(person.birth_date, as_of)
    holding = next((p for p in periods if in_effect(p, as_of)), None)
    latest = periods[0] if periods else None
    if holding is not None and holding.status is EnrolmentStatus.ENROLLED:
        return finding(Status.OK, f"enrolled at {_school(holding)}")
    if holding is not None and holding.status is EnrolmentStatus.SUSPENDED:
        return finding(
            Status.OK, f"enrolled at {_school(holding)}, suspended since {holding.start_date}"
        )
    last = holding or latest
    if age < ADULT_AGE and last is not None and last.status is EnrolmentStatus.DROPPED_OUT:
        left = last.end_date or last.start_date
        return finding(Status.AT_RISK, f"dropped out of {_school(last)} on {left}")
    if COMPULSORY_FROM_AGE <= age <= COMPULSORY_TO_AGE:
        why = f"of compulsory-education age ({age}) and not enrolled at any school"
        if last is None:
            return finding(Status.AT_RISK, why, "no enrolment recorded")
        if last.status is EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE:
            return finding(
                Status.AT_RISK, why, f"recorded as not yet of school age on {last.start_date}"
            )
        when = f"since {last.start_date}" if last.end_date is None else f"ended {last.end_date}"
        return finding(
            Status.AT_RISK, why, f"last enrolment: {_school(last)}, {last.status.value}, {when}"
        )
    return finding(Status.NOT_APPLICABLE)


def good_school(
    person: Any,
    categories: list[str],
    aid: decimal.Decimal | None,
    first_day: dt.date,
    as_of: dt.date,
) -> Finding:
    """GOOD_SCHOOL for one person: children in hardship get education aid every school year."""

    def finding(status: Status, *reasons: str) -> Finding:
        return Finding(person.id, Indicator.GOOD_SCHOOL, status, reasons)

    if person.deceased or age_on(person.birth_date, as_of) >= ADULT_AGE or not categories:
        return finding(Status.NOT_APPLICABLE)
    if aid:
        return finding(Status.OK, f"education aid of {aid} yuan since {first_day}")
    return finding(
        Status.AT_RISK,
        f"a child in hardship ({', '.join(categories)}) with no education aid "
        f"this school year (since {first_day})",
    )


def _school(period: Enrolment) -> str:
    name = period.school_name or "no school"
    if period.stage is None:
        return name
    grade = f", grade {period.grade}" if period.grade else ""
    return f"{name} ({period.stage.value}{grade})"
