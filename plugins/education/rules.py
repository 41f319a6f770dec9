"""Education rules that need no database: compulsory-education age, school years, periods.

Every day is a day in Asia/Shanghai (``bangfu.core.calendar``); callers pass it in.
"""

import datetime as dt

from bangfu.core.calendar import age_on
from bangfu.core.effective import holds
from bangfu.plugins.education.models import AT_SCHOOL, Enrolment

#: 九年义务教育: a child is of compulsory-education age from 6 to 15 years (inclusive).
COMPULSORY_FROM_AGE = 6
COMPULSORY_TO_AGE = 15
#: A child is a person under 18 (the "good school" goal looks at children only).
ADULT_AGE = 18


def of_compulsory_age(birth_date: dt.date, day: dt.date) -> bool:
    return COMPULSORY_FROM_AGE <= age_on(birth_date, day) <= COMPULSORY_TO_AGE


def born_on_or_before(day: dt.date, years: int) -> dt.date:
    """The latest birth date of a person who is at least ``years`` old on ``day``.

    ``age_on(b, day) >= years`` exactly when ``b <= born_on_or_before(day, years)``; a
    29 February falls back to the 28th in a year without one.
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def compulsory_birth_dates(day: dt.date) -> tuple[dt.date, dt.date]:
    """``(after, up_to)``: of compulsory age on ``day`` exactly when ``after < b <= up_to``."""
    return (
        born_on_or_before(day, COMPULSORY_TO_AGE + 1),
        born_on_or_before(day, COMPULSORY_FROM_AGE),
    )


def school_year(day: dt.date) -> tuple[dt.date, dt.date]:
    """The school year holding ``day``: 1 September to 31 August, both included."""
    start_year = day.year if day.month >= 9 else day.year - 1
    return dt.date(start_year, 9, 1), dt.date(start_year + 1, 8, 31)


def next_school_year(day: dt.date) -> dt.date:
    """The first day of the school year after the one holding ``day`` (1 September)."""
    return dt.date(school_year(day)[1].year, 9, 1)


def in_effect(enrolment: Enrolment, day: dt.date) -> bool:
    """Whether the period holds on ``day``: from its start, up to (not on) its end date."""
    return holds(enrolment.start_date, enrolment.end_date, day)


def at_school(enrolment: Enrolment | None) -> bool:
    return enrolment is not None and enrolment.status in AT_SCHOOL
