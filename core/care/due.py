"""Deadlines and due states of care events (五个关心, R6), in the Asia/Shanghai day.

The due state is computed by :func:`due_state`, one SQL ``CASE`` expression, and never
stored. The ``dueState`` field, the due-state filters and the counts all select this
expression, so they cannot disagree.
"""

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Date, case, literal

from bangfu.core.calendar import shift_days
from bangfu.core.care.enums import DueState
from bangfu.core.care.events import CareEventKind
from bangfu.core.config import CareSla


def deadline_for(
    kind: CareEventKind, occurred_on: dt.date, sla: dict[CareEventKind, CareSla]
) -> dt.date:
    """The day by which an event of ``kind`` must be answered.

    ``days`` after the day it happened, in calendar or working days; a holiday's
    deadline is ``days`` before the holiday (0: on the holiday itself).
    """
    rule = sla[kind]
    days = -rule.days if kind is CareEventKind.HOLIDAY else rule.days
    return shift_days(occurred_on, days, working=rule.working_days)


def due_state(
    deadline: Any, answered_on: Any, today: dt.date, due_soon_days: int
) -> ColumnElement[str]:
    """The due state as a SQL expression: THE definition of every due state.

    :param deadline: a date column or expression (``CareEvent.deadline``).
    :param answered_on: a date column or expression; NULL while the event is open.
    :param today: the day to judge on (Asia/Shanghai).
    :param due_soon_days: an open event is DUE_SOON from this many days before its deadline.
    """
    soon = today + dt.timedelta(days=due_soon_days)
    return case(
        (answered_on.is_not(None) & (answered_on <= deadline), DueState.ANSWERED_ON_TIME.value),
        (answered_on.is_not(None), DueState.ANSWERED_LATE.value),
        (deadline < literal(today, Date), DueState.OVERDUE.value),
        (deadline <= literal(soon, Date), DueState.DUE_SOON.value),
        else_=DueState.NOT_DUE.value,
    )
