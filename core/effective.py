"""The rule for effective dates: a start may not be later than today.

A start date is the day a record takes effect: a pairing, a household membership, a
household (its members' first day), a change of head, a category assignment, a plugin
record's enrolment, coverage or status. Bangfu records what holds, not what is planned:
a start after today (China's calendar day, :func:`bangfu.core.calendar.today`) is
refused with ``FUTURE_DATE`` naming the field, and nothing is written. Record the start
on the day it takes effect, or later. Days of what has happened (a visit, a response, a
certification) follow the same rule. End dates, deadlines, due dates, review and planned
dates are not starts: they may lie ahead (docs/api.md, "Dates").
"""

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from bangfu.core import calendar
from bangfu.core.errors import DomainError, ErrorCode, FieldError
from bangfu.core.i18n import _


def is_future_start(day: dt.date | None, today: dt.date | None = None) -> bool:
    """Whether the start ``day`` breaks the rule: given, and after ``today`` (default:
    today in Asia/Shanghai). For callers with a problem style of their own (the roster)."""
    return day is not None and day > (calendar.today() if today is None else today)


def future_start(
    day: dt.date | None, field: str, *, today: dt.date | None = None
) -> list[FieldError]:
    """``FUTURE_DATE`` on ``field`` when the start ``day`` is after today, else nothing.

    Collect it with the input's other errors; ``None`` (not given, today by default) is
    fine. ``today`` defaults to today in Asia/Shanghai.
    """
    now = calendar.today() if today is None else today
    if day is None or not is_future_start(day, now):
        return []
    return [
        FieldError(
            field,
            _(
                "{day} is after today ({today}): a start cannot be in the future; record it "
                "on the day it takes effect",
                day=day.isoformat(),
                today=now.isoformat(),
            ),
            ErrorCode.FUTURE_DATE,
        )
    ]


def check_start(day: dt.date | None, field: str, *, today: dt.date | None = None) -> None:
    """Raise :func:`future_start`'s error, if any."""
    if errors := future_start(day, field, today=today):
        raise DomainError(*errors)


# -- in force on a day ---------------------------------------------------------------------
#
# The one definition of "in force" for every dated row (a membership, a pairing, a category
# assignment, a plugin's enrolment or status): it has started on or before the day, and has
# not ended by then. A start after the day -- in particular a start after today written
# before the rule above refused it -- is not in force yet, in every read, count, indicator
# and compiled SQL form. Ends are exclusive (a pairing or membership ended on a day no
# longer holds that day: the next one starts on it) unless ``end_inclusive`` (a category's
# ``validTo`` is its last day). Use these helpers; do not write the condition by hand.


def in_force(start: Any, end: Any, on: Any, *, end_inclusive: bool = False) -> ColumnElement[bool]:
    """SQL: the row whose ``start``/``end`` columns are given is in force on ``on`` (a day or
    a column/bind): ``start <= on`` and (``end`` null, or after ``on``; ``end >= on`` with
    ``end_inclusive``)."""
    ended_after = end >= on if end_inclusive else end > on
    return and_(start <= on, or_(end.is_(None), ended_after))


def current(start: Any, end: Any, on: Any) -> ColumnElement[bool]:
    """SQL: in force today (``on``) for rows whose end is never later than today (a pairing,
    a membership, an enrolment: their end is the day something happened). For them it is
    :func:`in_force` on today: started by ``on`` and not ended. The plain ``end IS NULL``
    keeps the partial unique indexes usable."""
    return and_(end.is_(None), start <= on)


def holds(
    start: dt.date | None, end: dt.date | None, on: dt.date, *, end_inclusive: bool = False
) -> bool:
    """Python: :func:`in_force` for a loaded row (a missing start counts as started)."""
    if start is not None and start > on:
        return False
    return end is None or (end >= on if end_inclusive else end > on)


def is_current(start: dt.date | None, end: dt.date | None, on: dt.date) -> bool:
    """Python: :func:`current` for a loaded row."""
    return end is None and (start is None or start <= on)


def overlaps(
    start: Any, end: Any, period_start: dt.date, period_end: dt.date | None = None
) -> ColumnElement[bool]:
    """SQL: the row's period ``[start, end)`` (end null: open) shares a day with
    ``[period_start, period_end)``. A row ended on its start day was withdrawn before it
    took effect: an empty period overlaps nothing. Two rows of one person that must not
    hold together (pairings, memberships) are refused when their periods overlap, whether
    either is in force today or starts later."""
    conditions = [
        or_(end.is_(None), end > period_start),
        or_(end.is_(None), end > start),
    ]
    if period_end is not None:
        conditions.append(start < period_end)
    return and_(*conditions)


def period_overlaps(
    start: dt.date, end: dt.date | None, period_start: dt.date, period_end: dt.date | None = None
) -> bool:
    """Python: :func:`overlaps` for a loaded row."""
    if end is not None and (end <= start or end <= period_start):
        return False
    return period_end is None or start < period_end
