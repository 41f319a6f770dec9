"""``bangfu care ...`` commands: the care work run from the command line, as the system."""

from bangfu.core.calendar import Holiday
from bangfu.core.care.care_events import CareEvents
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.errors import DomainError
from bangfu.core.security import SYSTEM, audit


async def holidays_command(settings: Settings, holiday: Holiday, year: int) -> int:
    """``bangfu care holidays``: raise the holiday's events for every person with an active
    pairing in the city, once (a second run raises nothing new). Audited."""
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    try:
        async with make_sessionmaker(engine)() as session:
            session.info["actor"] = SYSTEM
            async with session.begin():
                try:
                    day, raised = await CareEvents(session, SYSTEM, settings).raise_holiday_events(
                        holiday, year
                    )
                except DomainError as exc:
                    print(f"bangfu care holidays: {exc}")
                    return 1
                await audit.record(
                    session,
                    SYSTEM,
                    "cli:care.holidays",
                    audit.Outcome.OK,
                    details={"holiday": holiday.slug, "year": year, "raised": raised},
                )
    finally:
        await engine.dispose()
    print(f"raised {raised} {holiday.slug} events for {year} (the holiday is on {day.isoformat()})")
    return 0
