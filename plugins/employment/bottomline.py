"""The employment plugin's indicators (R3): WORK (有事干) and WELL_EMPLOYED (就好业).

For a page of persons, four statements (statuses, trainings, placements, welfare posts),
however many persons; then each person is judged on the day ``as_of``:

WORK
    ``NOT_APPLICABLE`` under 16 or from 60 (working age is 16 to 59), for the deceased,
    and for students, retirees and those unable to work (their status on ``as_of``).
    ``OK`` when employed or self-employed (by status, a job placement or a public-welfare
    post under way) or in training (by status, or a training under way).
    Otherwise ``AT_RISK`` once the person has had none of those for more than 90 days
    (the reason says since when), ``OK`` before that (the reason says since when too).
    ``UNKNOWN`` for a working-age person with no record at all ("nothing on record").

WELL_EMPLOYED
    ``NOT_APPLICABLE`` as for WORK. ``OK`` when in work earning at least the minimum
    monthly wage (``BANGFU_EMPLOYMENT_MINIMUM_MONTHLY_WAGE``, 1880.00 yuan by default):
    the highest of the income on the status, the placement's wage and the welfare post's
    subsidy. ``AT_RISK`` when in work below it or with no income on record, in training,
    or out of work. ``UNKNOWN`` as for WORK.

Both findings carry ``valid_until``, the first day the calendar alone may change them: the
16th or 60th birthday, the day after a status or a period under way ends, the start of a
later status or period (the four statements load those too) and, out of work, the day
WORK turns ``AT_RISK`` (91 days after the first day out of work). The reasons name dates,
not counts of days. A working-age person with nothing on record gets UNKNOWN findings
that say so ("nothing on record", or "nothing on record before" the day a record starts),
to carry the day: the 60th birthday makes them NOT_APPLICABLE.
"""

import dataclasses
import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import Finding, Indicator, Status, birthday, earliest
from bangfu.core.calendar import age_on
from bangfu.plugins.employment.models import (
    NOT_EXPECTED_TO_WORK,
    WORKING,
    JobPlacement,
    PublicWelfarePost,
    Training,
    WorkStatus,
    WorkStatusRecord,
)

WORKING_AGE = range(16, 60)
IDLE_DAYS = 90

_NOT_EXPECTED = {
    WorkStatus.STUDENT: "a student",
    WorkStatus.RETIRED: "retired",
    WorkStatus.UNABLE_TO_WORK: "unable to work",
}


@dataclasses.dataclass
class Records:
    """One person's employment records that began on or before the day judged, and the
    first day a later one begins (``upcoming``)."""

    statuses: list[WorkStatusRecord] = dataclasses.field(default_factory=list)
    trainings: list[Training] = dataclasses.field(default_factory=list)
    placements: list[JobPlacement] = dataclasses.field(default_factory=list)
    welfare_posts: list[PublicWelfarePost] = dataclasses.field(default_factory=list)
    upcoming: dt.date | None = None

    def any(self) -> bool:
        return bool(self.statuses or self.trainings or self.placements or self.welfare_posts)


async def load_records(
    session: AsyncSession, person_ids: Sequence[int], as_of: dt.date
) -> dict[int, Records]:
    """Every person's records up to ``as_of``, and the first day a later one begins: one
    statement per table."""
    found: dict[int, Records] = defaultdict(Records)
    if not person_ids:
        return found

    def upcoming(person_id: int, day: dt.date) -> None:
        found[person_id].upcoming = earliest(found[person_id].upcoming, day)

    statuses = await session.scalars(
        select(WorkStatusRecord).where(WorkStatusRecord.person_id.in_(person_ids))
    )
    for status in statuses:
        if status.since > as_of:
            upcoming(status.person_id, status.since)
        else:
            found[status.person_id].statuses.append(status)
    periods: tuple[tuple[Any, str], ...] = (
        (Training, "trainings"),
        (JobPlacement, "placements"),
        (PublicWelfarePost, "welfare_posts"),
    )
    for model, attribute in periods:
        rows = await session.scalars(select(model).where(model.person_id.in_(person_ids)))
        for row in rows:
            if row.start_date > as_of:
                upcoming(row.person_id, row.start_date)
            else:
                getattr(found[row.person_id], attribute).append(row)
    return found


def _under_way(rows: Sequence[Any], day: dt.date) -> Any:
    return next((r for r in rows if r.end_date is None or r.end_date >= day), None)


def _day_after_last_end(rows: Sequence[Any], day: dt.date, end: str) -> dt.date | None:
    ends = [getattr(r, end) for r in rows if getattr(r, end) is not None and getattr(r, end) < day]
    return max(ends) + dt.timedelta(days=1) if ends else None


def _next_change(records: Records, as_of: dt.date) -> dt.date | None:
    """The first day after ``as_of`` a status or a period under way ends (the day after
    its last day), or a later one begins."""
    ends = [s.until for s in records.statuses if s.until is not None and s.until >= as_of]
    ends += [
        r.end_date
        for rows in (records.trainings, records.placements, records.welfare_posts)
        for r in rows
        if r.end_date is not None and r.end_date >= as_of
    ]
    return earliest(records.upcoming, *(end + dt.timedelta(days=1) for end in ends))


def _yuan(amount: decimal.Decimal) -> str:
    return f"{amount:.2f} yuan a month"


def judge_person(
    person: Any, records: Records, as_of: dt.date, minimum_wage: decimal.Decimal
) -> list[Finding]:
    """WORK and WELL_EMPLOYED for one person (see the module docstring), each with the
    first day the calendar alone may change them."""
    findings, idle_since = _judge_on(person, records, as_of, minimum_wage)
    if person.deceased:
        return findings
    age = age_on(person.birth_date, as_of)
    if age >= WORKING_AGE.stop:
        return findings
    until: dt.date | None
    if age < WORKING_AGE.start:
        until = birthday(person.birth_date, WORKING_AGE.start)
    else:
        until = earliest(
            birthday(person.birth_date, WORKING_AGE.stop), _next_change(records, as_of)
        )
        if not findings:
            # Nothing known: still UNKNOWN, but the 60th birthday (NOT_APPLICABLE) or a
            # record starting later changes that, and only a finding can carry the day.
            reason = "nothing on record"
            if records.upcoming is not None:
                reason += f" before {records.upcoming.isoformat()}"
            findings = [
                Finding(person.id, indicator, Status.UNKNOWN, (reason,))
                for indicator in (Indicator.WORK, Indicator.WELL_EMPLOYED)
            ]
        if idle_since is not None and (as_of - idle_since).days <= IDLE_DAYS:
            # Out of work: AT_RISK once more than 90 days have passed.
            until = earliest(until, idle_since + dt.timedelta(days=IDLE_DAYS + 1))
    return [dataclasses.replace(finding, valid_until=until) for finding in findings]


def _judge_on(
    person: Any, records: Records, as_of: dt.date, minimum_wage: decimal.Decimal
) -> tuple[list[Finding], dt.date | None]:
    """The findings on ``as_of`` and, out of work, the first day out of work."""

    def both(
        status: Status, work: str, well: str | None = None
    ) -> tuple[list[Finding], dt.date | None]:
        return [
            Finding(person.id, Indicator.WORK, status, (work,)),
            Finding(person.id, Indicator.WELL_EMPLOYED, status, (well or work,)),
        ], None

    age = age_on(person.birth_date, as_of)
    if person.deceased:
        return both(Status.NOT_APPLICABLE, "deceased")
    if age not in WORKING_AGE:
        return both(Status.NOT_APPLICABLE, "under 16" if age < 16 else "60 or older")
    status = next((s for s in records.statuses if s.until is None or s.until >= as_of), None)
    if status is not None and status.status in NOT_EXPECTED_TO_WORK:
        return both(Status.NOT_APPLICABLE, _NOT_EXPECTED[status.status])
    if status is None and not records.any():
        return [], None  # nothing known: both stay UNKNOWN

    placement = _under_way(records.placements, as_of)
    welfare_post = _under_way(records.welfare_posts, as_of)
    training = _under_way(records.trainings, as_of)
    work = []
    if status is not None and status.status in WORKING:
        work.append(
            "self-employed"
            if status.status is WorkStatus.SELF_EMPLOYED
            else f"employed ({status.employer})"
        )
    if placement is not None:
        work.append(f"placed at {placement.employer} as {placement.post}")
    if welfare_post is not None:
        work.append(f"public-welfare post {welfare_post.post}")
    in_training = (
        f"in training ({training.course})"
        if training is not None
        else "in training"
        if status is not None and status.status is WorkStatus.IN_TRAINING
        else None
    )

    if work:
        incomes = [
            amount
            for amount in (
                status.monthly_income if status is not None and status.status in WORKING else None,
                placement.monthly_wage if placement is not None else None,
                welfare_post.monthly_subsidy if welfare_post is not None else None,
            )
            if amount is not None
        ]
        minimum = f"the minimum is {_yuan(minimum_wage)}"
        if not incomes:
            well = (Status.AT_RISK, f"{work[0]}, but no income on record")
        elif max(incomes) >= minimum_wage:
            well = (Status.OK, f"earns {_yuan(max(incomes))}; {minimum}")
        else:
            well = (Status.AT_RISK, f"earns {_yuan(max(incomes))}, below the minimum")
        return [
            Finding(person.id, Indicator.WORK, Status.OK, tuple(work)),
            Finding(person.id, Indicator.WELL_EMPLOYED, well[0], (well[1],)),
        ], None
    if in_training is not None:
        return [
            Finding(person.id, Indicator.WORK, Status.OK, (in_training,)),
            Finding(
                person.id, Indicator.WELL_EMPLOYED, Status.AT_RISK, (f"{in_training}, not in work",)
            ),
        ], None

    # Neither working nor training: since when?
    candidates = [
        birthday(person.birth_date, WORKING_AGE.start),
        _day_after_last_end(records.statuses, as_of, "until"),
        _day_after_last_end(records.placements, as_of, "end_date"),
        _day_after_last_end(records.welfare_posts, as_of, "end_date"),
        _day_after_last_end(records.trainings, as_of, "end_date"),
        status.since if status is not None else None,
    ]
    idle_since = max(day for day in candidates if day is not None)
    days = (as_of - idle_since).days
    doing = "seeking work" if status is not None else "no work status"
    reason = f"{doing}; no work or training since {idle_since.isoformat()}"
    work_status = Status.AT_RISK if days > IDLE_DAYS else Status.OK
    return [
        Finding(person.id, Indicator.WORK, work_status, (reason,)),
        Finding(person.id, Indicator.WELL_EMPLOYED, Status.AT_RISK, (reason,)),
    ], idle_since


async def judge(
    persons: Sequence[Any],
    session: AsyncSession,
    as_of: dt.date,
    minimum_wage: decimal.Decimal,
) -> list[Finding]:
    """WORK and WELL_EMPLOYED for a page of persons, in a constant number of statements."""
    records = await load_records(session, [p.id for p in persons], as_of)
    findings: list[Finding] = []
    for person in persons:
        findings += judge_person(person, records.get(person.id, Records()), as_of, minimum_wage)
    return findings
