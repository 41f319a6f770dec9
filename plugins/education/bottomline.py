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

Each finding's ``valid_until`` is the first day the calendar alone may change it. SCHOOL:
the end of the period holding, the start of a later period (the periods query loads them
too) and, unless a school place holds, the next of the 6th, 16th and 18th birthdays.
GOOD_SCHOOL for a child: the 18th birthday, the next boundary of their categories (a
future ``valid_from``, ``valid_to`` + 1), the next school year and aid granted with a
later date. The reasons name no age or count of days, only dates.
"""

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import Finding, Indicator, Status, birthday, earliest
from bangfu.core.calendar import age_on
from bangfu.core.registry.models import CategoryAssignment
from bangfu.plugins.education.models import EducationAid, Enrolment, EnrolmentStatus
from bangfu.plugins.education.rules import (
    ADULT_AGE,
    COMPULSORY_FROM_AGE,
    COMPULSORY_TO_AGE,
    in_effect,
    next_school_year,
    school_year,
)


async def judge(persons: Sequence[Any], session: AsyncSession, as_of: dt.date) -> list[Finding]:
    """SCHOOL and GOOD_SCHOOL findings for every person of the page."""
    if not persons:
        return []
    ids = [p.id for p in persons]
    periods: dict[int, list[Enrolment]] = defaultdict(list)
    next_start: dict[int, dt.date] = {}  # the first period starting after the day
    for period in await session.scalars(
        select(Enrolment)
        .where(Enrolment.person_id.in_(ids))
        .order_by(Enrolment.start_date.desc(), Enrolment.id.desc())
    ):
        if period.start_date > as_of:  # newest first: the earliest comes last
            next_start[period.person_id] = period.start_date
        else:
            periods[period.person_id].append(period)

    children = [p.id for p in persons if not p.deceased and age_on(p.birth_date, as_of) < ADULT_AGE]
    categories: dict[int, list[str]] = defaultdict(list)
    aid: dict[int, decimal.Decimal] = defaultdict(decimal.Decimal)
    # The next day a child's categories or this school year's aid change.
    changes: dict[int, dt.date | None] = {}
    first_day, _ = school_year(as_of)
    if children:
        for person_id, category, valid_from, valid_to in await session.execute(
            select(
                CategoryAssignment.person_id,
                CategoryAssignment.category,
                CategoryAssignment.valid_from,
                CategoryAssignment.valid_to,
            )
            .where(
                CategoryAssignment.person_id.in_(children),
                or_(CategoryAssignment.valid_to.is_(None), CategoryAssignment.valid_to >= as_of),
            )
            .order_by(CategoryAssignment.person_id, CategoryAssignment.category)
        ):
            change: dt.date | None = None
            if valid_from > as_of:
                change = valid_from
            else:
                categories[person_id].append(category.value)
                change = valid_to + dt.timedelta(days=1) if valid_to is not None else None
            changes[person_id] = earliest(changes.get(person_id), change)
        for person_id, amount, granted_on in await session.execute(
            select(EducationAid.person_id, EducationAid.amount, EducationAid.granted_on).where(
                EducationAid.person_id.in_(children), EducationAid.granted_on >= first_day
            )
        ):
            if granted_on > as_of:  # recorded ahead of its date
                changes[person_id] = earliest(changes.get(person_id), granted_on)
            else:
                aid[person_id] += amount  # decimals: exact on SQLite too

    findings: list[Finding] = []
    for person in persons:
        findings.append(
            school(person, periods.get(person.id, []), as_of, next_start.get(person.id))
        )
        findings.append(
            good_school(
                person,
                categories.get(person.id, []),
                aid.get(person.id),
                first_day,
                as_of,
                changes.get(person.id),
            )
        )
    return findings


def school(
    person: Any, periods: list[Enrolment], as_of: dt.date, next_start: dt.date | None = None
) -> Finding:
    """SCHOOL for one person; ``periods`` started on or before ``as_of``, newest first;
    ``next_start``: the first day a later period starts, if any."""
    if person.deceased:
        return Finding(person.id, Indicator.SCHOOL, Status.NOT_APPLICABLE)
    age = age_on(person.birth_date, as_of)
    holding = next((p for p in periods if in_effect(p, as_of)), None)
    latest = periods[0] if periods else None
    # A period stops holding on its end date; a later one may start.
    until = earliest(next_start, *(p.end_date for p in periods if in_effect(p, as_of)))
    if holding is None or holding.status not in (
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.SUSPENDED,
    ):
        # Without a school place the ages the rule tests matter: 6, 16 and 18.
        until = earliest(
            until,
            *(
                day
                for years in (COMPULSORY_FROM_AGE, COMPULSORY_TO_AGE + 1, ADULT_AGE)
                if (day := birthday(person.birth_date, years)) > as_of
            ),
        )

    def finding(status: Status, *reasons: str) -> Finding:
        return Finding(person.id, Indicator.SCHOOL, status, reasons, valid_until=until)

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
        why = (
            f"of compulsory-education age ({COMPULSORY_FROM_AGE} to {COMPULSORY_TO_AGE}) "
            "and not enrolled at any school"
        )
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
    change: dt.date | None = None,
) -> Finding:
    """GOOD_SCHOOL for one person: children in hardship get education aid every school year.

    ``change``: the next day the child's categories or this school year's aid change."""
    if person.deceased or age_on(person.birth_date, as_of) >= ADULT_AGE:
        return Finding(person.id, Indicator.GOOD_SCHOOL, Status.NOT_APPLICABLE)
    if not categories:  # not in hardship: until a category starts
        return Finding(person.id, Indicator.GOOD_SCHOOL, Status.NOT_APPLICABLE, valid_until=change)
    until: dt.date | None = earliest(
        change, birthday(person.birth_date, ADULT_AGE), next_school_year(as_of)
    )

    def finding(status: Status, *reasons: str) -> Finding:
        return Finding(person.id, Indicator.GOOD_SCHOOL, status, reasons, valid_until=until)

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
