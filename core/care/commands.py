"""``bangfu care ...`` commands: the care work run from the command line, as the system."""

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import Holiday
from bangfu.core.care.care_events import CareEvents
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.errors import DomainError
from bangfu.core.i18n import _
from bangfu.core.security import SYSTEM, audit


async def raise_holiday(
    session: AsyncSession, settings: Settings, holiday: Holiday, year: int, operation: str
) -> tuple[dt.date, int]:
    """Raise the holiday's events as the system in the session's transaction, audited as
    ``operation``; returns the holiday's date and how many events were raised now (0 on
    a second run). A DomainError (a year too far from today) leaves nothing."""
    day, raised = await CareEvents(session, SYSTEM, settings).raise_holiday_events(holiday, year)
    await audit.record(
        session,
        SYSTEM,
        operation,
        audit.Outcome.OK,
        details={"holiday": holiday.slug, "year": year, "raised": raised},
    )
    return day, raised


async def holidays_command(settings: Settings, holiday: Holiday, year: int) -> int:
    """``bangfu care holidays``: raise the holiday's events for every person with an active
    pairing in the city, once (a second run raises nothing new). Audited."""
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    try:
        async with make_sessionmaker(engine)() as session:
            session.info["actor"] = SYSTEM
            async with session.begin():
                try:
                    day, raised = await raise_holiday(
                        session, settings, holiday, year, "cli:care.holidays"
                    )
                except DomainError as exc:
                    print(_("bangfu care holidays: {error}", error=exc))
                    return 1
    finally:
        await engine.dispose()
    print(
        _(
            "raised {raised} {holiday} events for {year} (the holiday is on {day})",
            raised=raised,
            holiday=holiday.slug,
            year=year,
            day=day.isoformat(),
        )
    )
    return 0
