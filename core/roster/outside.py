"""The answer "registered outside your area", bounded and audited.

ID numbers are unique city-wide, so an import must refuse a row whose person is
registered in another county, and that refusal tells the importer the person is
registered somewhere. A dry run of a thousand candidate ID numbers would otherwise list,
in a fraction of a second, which of them another county registered. So a file learns no
more than a few mutations would: at most ``BANGFU_ROSTER_OUTSIDE_AREA_PER_FILE`` rows of
one file and ``BANGFU_ROSTER_OUTSIDE_AREA_PER_DAY`` rows a day per user are answered, each
answer is an audit row (``roster.outside_area``) committed with the import's refusal, and
a file that would exceed either is refused as a whole without saying which rows.
"""

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import CHINA
from bangfu.core.i18n import N_, _
from bangfu.core.roster.rows import Problem
from bangfu.core.security import audit
from bangfu.core.security.actor import Actor
from bangfu.core.security.models import AuditEvent

OPERATION = "roster.outside_area"
ANSWER = N_(
    "this person is registered outside your area: leave the row out, or ask the city's "
    "civil-affairs bureau to move the person's registration to your area first"
)
TOO_MANY_IN_FILE = N_(
    "more than {limit:,} rows of this file name persons registered outside your area, and "
    "a file may be told about at most {limit:,}: nothing is said about which rows; ask the "
    "city's civil-affairs bureau to check the file"
)
TOO_MANY_TODAY = N_(
    "the rows of this file that name persons registered outside your area would exceed the "
    "{limit:,} such answers a user gets per day: nothing is said about which rows; ask the "
    "city's civil-affairs bureau to check the file, or import it tomorrow"
)


@dataclasses.dataclass(frozen=True)
class Outside:
    """A row whose person is registered outside the importer's area."""

    row: int
    person_id: int


async def answered_today(session: AsyncSession, actor: Actor, today: dt.date) -> int:
    """How many such answers ``actor`` was given since the start of ``today`` (China)."""
    since = dt.datetime.combine(today, dt.time(), tzinfo=CHINA).astimezone(dt.UTC)
    count = await session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.operation == OPERATION,
            AuditEvent.actor_kind == actor.kind.value,
            AuditEvent.actor_name == actor.name,
            AuditEvent.at >= since,
        )
    )
    return int(count or 0)


async def answer(
    session: AsyncSession,
    actor: Actor,
    found: list[Outside],
    *,
    per_file: int,
    per_day: int,
    today: dt.date,
) -> tuple[list[Problem], list[Outside]]:
    """The problems to report for ``found``, and the answers given (to be audited): one
    per row within the bounds, else one problem of the whole file naming no row."""
    if not found:
        return [], []
    if len(found) > per_file:
        return [Problem(0, None, _(TOO_MANY_IN_FILE, limit=per_file))], []
    if await answered_today(session, actor, today) + len(found) > per_day:
        return [Problem(0, None, _(TOO_MANY_TODAY, limit=per_day))], []
    answer_ = _(ANSWER)
    return [Problem(o.row, "id_number", answer_) for o in found], found


async def record(
    session: AsyncSession, actor: Actor, given: list[Outside], file_name: str, dry_run: bool
) -> None:
    """One audit row per answer given, in the import's transaction."""
    for outside in given:
        await audit.record(
            session,
            actor,
            OPERATION,
            audit.Outcome.DENIED,
            targets=[audit.global_id("Person", outside.person_id)],
            details={"file": file_name, "row": outside.row, "dryRun": dry_run},
        )
