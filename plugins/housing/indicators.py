"""The goal "lives in a good home" (居好家, ``Indicator.GOOD_HOME``) for a page of persons.

Judged per person from their current household's dwelling, as of a day:

- ``AT_RISK`` when the latest appraisal is C or D and no renovation is active (PLANNED,
  APPROVED or UNDER_WAY) — including a renovation COMPLETED but not yet accepted on a new
  A or B appraisal — or when a disaster damaged the dwelling and no response is recorded;
  the reasons say which, with grades and dates.
- ``OK`` when the latest appraisal is A or B and no disaster is open.
- No finding (the indicator stays ``UNKNOWN``) when the dwelling was never appraised and
  no disaster is open: nothing is known about the home, which is not the same as "not
  applicable"; and when the house is C or D but a renovation is active: the home is not
  good yet, but the case is in hand (``Household.housing.openRenovation`` shows it).
- No finding for a person without a current household.

Four statements per page, whatever its size.

**When the calendar alone changes it** (``Finding.valid_until``): on the day a dated row
takes effect — an appraisal becoming the latest, a renovation's step (planned, approved,
started, completed, accepted), a disaster occurring or answered. The service refuses
those dates in the future, so for today's judgement of what it wrote this is ``None``;
a day in the past, or rows written with later dates (imports), have such days. The
statements read the rows dated after ``as_of`` too, and the verdict is judged again in
memory on each of those days: the first that differs is ``valid_until``. The household
is the current membership (no end date), whatever the day: no calendar dependency.

An undecided home (``UNKNOWN``) that a dated row will decide later gets a finding with
status ``UNKNOWN`` carrying that day (the only way to say it); without such a day it
gets none, as before.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.effective import is_current
from bangfu.plugin import Finding, Indicator, Membership, Status
from bangfu.plugins.housing.models import (
    ACTIVE_RENOVATION,
    DANGEROUS_GRADES,
    DisasterReport,
    RenovationProject,
    RenovationStatus,
    SafetyAppraisal,
    SafetyGrade,
)
from bangfu.plugins.housing.service import renovation_status_on

GRADE_WORDS = {
    SafetyGrade.A: "safe",
    SafetyGrade.B: "basically safe",
    SafetyGrade.C: "partly dangerous",
    SafetyGrade.D: "wholly dangerous",
}

#: An appraisal as the rule reads it: (appraised on, ID, grade).
Appraisal = tuple[dt.date, int, SafetyGrade]
Verdict = tuple[Status, tuple[str, ...]]


async def good_home(persons: Sequence[Any], session: AsyncSession, as_of: dt.date) -> list[Finding]:
    person_ids = [p.id for p in persons]
    if not person_ids:
        return []
    # The memberships not ended: in force on ``as_of`` (bangfu.core.effective), or starting
    # later (written before future starts were refused): the person has no home of record
    # until then, and is judged again on that day.
    household_of: dict[int, int] = {}
    joins: dict[int, dt.date] = {}
    for person_id, household_id, start in await session.execute(
        select(Membership.person_id, Membership.household_id, Membership.start_date).where(
            Membership.person_id.in_(person_ids), Membership.end_date.is_(None)
        )
    ):
        if is_current(start, None, as_of):
            household_of[person_id] = household_id
        else:
            joins[person_id] = start
    waiting = [
        Finding(
            person_id,
            Indicator.GOOD_HOME,
            Status.UNKNOWN,
            (f"no household of record until {start}",),
            valid_until=start,
        )
        for person_id, start in joins.items()
        if person_id not in household_of
    ]
    households = sorted(set(household_of.values()))
    if not households:
        return waiting

    # The latest appraisal on as_of, and every later one (each becomes the latest on its day).
    later = SafetyAppraisal.appraised_on > as_of
    ranked = (
        select(
            SafetyAppraisal.id,
            SafetyAppraisal.household_id,
            SafetyAppraisal.grade,
            SafetyAppraisal.appraised_on,
            later.label("later"),
            func.row_number()
            .over(
                partition_by=(SafetyAppraisal.household_id, later),
                order_by=(SafetyAppraisal.appraised_on.desc(), SafetyAppraisal.id.desc()),
            )
            .label("rank"),
        )
        .where(SafetyAppraisal.household_id.in_(households))
        .subquery("appraisal")
    )
    appraisals: dict[int, list[Appraisal]] = defaultdict(list)
    for row in await session.execute(
        select(ranked.c.household_id, ranked.c.appraised_on, ranked.c.id, ranked.c.grade).where(
            or_(ranked.c.rank == 1, ranked.c.later)
        )
    ):
        appraisals[row.household_id].append((row.appraised_on, row.id, SafetyGrade(row.grade)))

    # Renovations not accepted on as_of, planned by then or later.
    renovations: dict[int, list[RenovationProject]] = defaultdict(list)
    for project in await session.scalars(
        select(RenovationProject)
        .where(
            RenovationProject.household_id.in_(households),
            or_(RenovationProject.accepted_on.is_(None), RenovationProject.accepted_on > as_of),
        )
        .order_by(RenovationProject.planned_on, RenovationProject.id)
    ):
        renovations[project.household_id].append(project)

    # Disasters not answered on as_of, occurred by then or later.
    disasters: dict[int, list[DisasterReport]] = defaultdict(list)
    for report in await session.scalars(
        select(DisasterReport)
        .where(
            DisasterReport.household_id.in_(households),
            or_(DisasterReport.responded_on.is_(None), DisasterReport.responded_on > as_of),
        )
        .order_by(DisasterReport.occurred_on, DisasterReport.id)
    ):
        disasters[report.household_id].append(report)

    verdicts = {
        household_id: _judged(
            appraisals.get(household_id, []),
            renovations.get(household_id, []),
            disasters.get(household_id, []),
            as_of,
        )
        for household_id in households
    }
    findings = waiting
    for person_id in person_ids:
        home = household_of.get(person_id)
        if home is None:
            continue
        status, reasons, valid_until = verdicts[home]
        if status is Status.UNKNOWN and valid_until is None:
            continue  # undecided, and no dated row will decide it
        findings.append(
            Finding(person_id, Indicator.GOOD_HOME, status, reasons, valid_until=valid_until)
        )
    return findings


def _judged(
    appraisals: list[Appraisal],
    renovations: list[RenovationProject],
    disasters: list[DisasterReport],
    as_of: dt.date,
) -> tuple[Status, tuple[str, ...], dt.date | None]:
    """The household's verdict on ``as_of`` and the first later day it differs."""

    def verdict_on(day: dt.date) -> Verdict:
        appraisal = max((a for a in appraisals if a[0] <= day), default=None)
        renovation = None
        for project in renovations:  # by planning date: the latest planned counts
            if project.planned_on <= day and (
                project.accepted_on is None or project.accepted_on > day
            ):
                renovation = project
        open_disasters = [
            d
            for d in disasters
            if d.occurred_on <= day and (d.responded_on is None or d.responded_on > day)
        ]
        return _verdict(appraisal, renovation, open_disasters, day)

    turns: set[dt.date] = {appraised_on for appraised_on, _, _ in appraisals}
    for project in renovations:
        turns.update(
            day
            for day in (
                project.planned_on,
                project.approved_on,
                project.started_on,
                project.completed_on,
                project.accepted_on,
            )
            if day is not None
        )
    for report in disasters:
        turns.add(report.occurred_on)
        if report.responded_on is not None:
            turns.add(report.responded_on)
    today = verdict_on(as_of)
    for day in sorted(day for day in turns if day > as_of):
        if verdict_on(day) != today:
            return (*today, day)
    return (*today, None)


def _verdict(
    appraisal: Appraisal | None,
    renovation: RenovationProject | None,
    disasters: list[DisasterReport],
    as_of: dt.date,
) -> Verdict:
    """``UNKNOWN`` (with what is known) where the rule decides nothing."""
    risks = [
        f"dwelling damaged by {d.kind.lower()} on {d.occurred_on}, no response recorded"
        for d in disasters
    ]
    if appraisal is None:
        return (Status.AT_RISK, tuple(risks)) if risks else (Status.UNKNOWN, ("never appraised",))
    appraised_on, _, grade = appraisal
    described = f"latest appraisal grade {grade} ({GRADE_WORDS[grade]}) on {appraised_on}"
    if grade in DANGEROUS_GRADES:
        status = renovation_status_on(renovation, as_of) if renovation is not None else None
        if status in ACTIVE_RENOVATION:
            if risks:
                return Status.AT_RISK, tuple(risks)
            return Status.UNKNOWN, (f"{described}, a renovation in hand",)
        if status is RenovationStatus.COMPLETED:
            assert renovation is not None
            risks.insert(
                0,
                f"{described}; renovation completed on {renovation.completed_on} awaits an "
                "acceptance appraisal of A or B",
            )
        else:
            risks.insert(0, f"{described}, no renovation under way")
        return Status.AT_RISK, tuple(risks)
    if risks:
        return Status.AT_RISK, tuple(risks)
    return Status.OK, (described,)
