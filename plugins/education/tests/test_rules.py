"""Compulsory-education age and school years, checked against ``bangfu.core.calendar.age_on``."""

import datetime as dt

import pytest

from bangfu.core.calendar import age_on
from bangfu.plugins.education.rules import (
    born_on_or_before,
    compulsory_birth_dates,
    of_compulsory_age,
    school_year,
)

pytestmark = pytest.mark.anyio


async def test_birth_date_cut_offs_agree_with_age_on_every_day() -> None:
    day = dt.date(2027, 1, 1)
    while day < dt.date(2030, 1, 1):  # includes 29 February 2028
        for years in (6, 16):
            latest = born_on_or_before(day, years)
            assert age_on(latest, day) >= years
            assert age_on(latest + dt.timedelta(days=1), day) < years
        after, up_to = compulsory_birth_dates(day)
        for birth in (after, after + dt.timedelta(days=1), up_to, up_to + dt.timedelta(days=1)):
            assert of_compulsory_age(birth, day) == (after < birth <= up_to)
        day += dt.timedelta(days=1)


async def test_a_leap_day_child_comes_of_age_on_the_first_of_march() -> None:
    leap = dt.date(2020, 2, 29)
    assert not of_compulsory_age(leap, dt.date(2026, 2, 28))
    assert of_compulsory_age(leap, dt.date(2026, 3, 1))


async def test_a_school_year_runs_from_1_september_to_31_august() -> None:
    assert school_year(dt.date(2026, 8, 31)) == (dt.date(2025, 9, 1), dt.date(2026, 8, 31))
    assert school_year(dt.date(2026, 9, 1)) == (dt.date(2026, 9, 1), dt.date(2027, 8, 31))
    assert school_year(dt.date(2027, 1, 15)) == (dt.date(2026, 9, 1), dt.date(2027, 8, 31))
