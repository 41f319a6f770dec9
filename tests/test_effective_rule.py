"""The validator behind the rule for starts (bangfu.core.effective), for any two days."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bangfu.core.effective import future_start, is_future_start

days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))


@given(day=days, today=days)
def test_a_start_is_refused_exactly_when_it_is_after_today(day: dt.date, today: dt.date) -> None:
    errors = future_start(day, "input.startDate", today=today)
    assert is_future_start(day, today) == (day > today) == bool(errors)
    if errors:
        [error] = errors
        assert (error.field, error.code) == ("input.startDate", "FUTURE_DATE")
        assert day.isoformat() in error.message and today.isoformat() in error.message


@given(today=days)
def test_no_start_given_is_today_by_default(today: dt.date) -> None:
    assert future_start(None, "input.startDate", today=today) == []
    assert not is_future_start(None, today)
