"""The care work's scheduled job: the major holidays' care events (R6), raised daily for
the holidays due, i.e. within ``BANGFU_HOLIDAY_EVENTS_LEAD_DAYS`` from today."""

import datetime as dt
from collections.abc import Collection

from bangfu.core.calendar import Holiday, holiday_date, today
from bangfu.core.care.commands import raise_holiday
from bangfu.core.jobs import Daily, Job, JobContext
from bangfu.core.security import SYSTEM


def holidays_due(
    on: dt.date, lead_days: int, holidays: Collection[Holiday] = tuple(Holiday)
) -> list[tuple[Holiday, int, dt.date]]:
    """The major holidays of ``holidays`` whose first day lies within ``lead_days`` days
    from ``on`` (``on`` itself included), with their year and date, soonest first."""
    due = []
    for year in (on.year, on.year + 1):
        for holiday in holidays:
            try:
                day = holiday_date(holiday, year)
            except LookupError:  # a year the calendar does not know yet
                continue
            if on <= day <= on + dt.timedelta(days=lead_days):
                due.append((holiday, year, day))
    return sorted(due, key=lambda item: item[2])


async def raise_due_holiday_events(context: JobContext) -> str:
    """Raise the events of every holiday due, each in its own transaction, audited as
    ``job:care.holidays``. Idempotent: an event raised once is never raised again."""
    summary = []
    for holiday, year, _ in holidays_due(
        today(), context.settings.holiday_events_lead_days, context.settings.care_holidays
    ):
        async with context.sessions() as session:
            session.info["actor"] = SYSTEM
            async with session.begin():
                _, raised = await raise_holiday(
                    session, context.settings, holiday, year, "job:care.holidays"
                )
        summary.append(f"{holiday.slug} {year}: {raised}")
    return "raised " + ", ".join(summary) if summary else "no holiday due"


HOLIDAY_EVENTS = Job(
    name="care.holiday-events",
    run=raise_due_holiday_events,
    schedule=Daily(dt.time(1, 0)),
    retries=3,
    retry_delay=600,
    description="raise the care events of the major holidays due (bangfu care holidays)",
)
