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
