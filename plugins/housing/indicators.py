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
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import Finding, Indicator, Membership, Status
from bangfu.plugins.housing.models import (
    ACTIVE_RENOVATION,
    DANGEROUS_GRADES,
    DisasterReport,
    RenovationProject,
    RenovationStatus,
    SafetyGrade,
)
from bangfu.plugins.housing.service import renovation_status_on
from bangfu.plugins.housing.statements import latest_appraisals

GRADE_WORDS = {
    SafetyGrade.A: "safe",
    SafetyGrade.B: "basically safe",
    SafetyGrade.C: "partly dangerous",
    SafetyGrade.D: "wholly dangerous",
}


async def good_home(persons: Sequence[Any], session: AsyncSession, as_of: dt.date) -> list[Finding]:
    person_ids = [p.id for p in persons]
    if not person_ids:
        return []
    memberships = await session.execute(
        select(Membership.person_id, Membership.household_id).where(
            Membership.person_id.in_(person_ids), Membership.end_date.is_(None)
        )
    )
    household_of = {person_id: household_id for person_id, household_id in memberships}
    households = sorted(set(household_of.values()))
    if not households:
        return []

    latest = latest_appraisals(as_of)
    appraisal_rows = await session.execute(
        select(latest.c.household_id, latest.c.grade, latest.c.appraised_on).where(
            latest.c.rank == 1, latest.c.household_id.in_(households)
        )
    )
    appraisal = {
        row.household_id: (SafetyGrade(row.grade), row.appraised_on) for row in appraisal_rows
    }

    renovations = await session.scalars(
        select(RenovationProject).where(
            RenovationProject.household_id.in_(households),
            RenovationProject.planned_on <= as_of,
            or_(RenovationProject.accepted_on.is_(None), RenovationProject.accepted_on > as_of),
        )
    )
    renovation = {r.household_id: r for r in renovations}

    disasters = await session.scalars(
        select(DisasterReport)
        .where(
            DisasterReport.household_id.in_(households),
            DisasterReport.occurred_on <= as_of,
            or_(DisasterReport.responded_on.is_(None), DisasterReport.responded_on > as_of),
        )
        .order_by(DisasterReport.occurred_on, DisasterReport.id)
    )
    open_disasters: dict[int, list[DisasterReport]] = defaultdict(list)
    for report in disasters:
        open_disasters[report.household_id].append(report)

    verdicts = {
        household_id: _verdict(
            appraisal.get(household_id),
            renovation.get(household_id),
            open_disasters.get(household_id, []),
            as_of,
        )
        for household_id in households
    }
    findings = []
    for person_id in person_ids:
        household_id = household_of.get(person_id)
        verdict = verdicts.get(household_id) if household_id is not None else None
        if verdict is not None:
            status, reasons = verdict
            findings.append(Finding(person_id, Indicator.GOOD_HOME, status, reasons))
    return findings


def _verdict(
    appraisal: tuple[SafetyGrade, dt.date] | None,
    renovation: RenovationProject | None,
    disasters: list[DisasterReport],
    as_of: dt.date,
) -> tuple[Status, tuple[str, ...]] | None:
    risks = [
        f"dwelling damaged by {d.kind.lower()} on {d.occurred_on}, no response recorded"
        for d in disasters
    ]
    if appraisal is None:
        return (Status.AT_RISK, tuple(risks)) if risks else None
    grade, appraised_on = appraisal
    described = f"latest appraisal grade {grade} ({GRADE_WORDS[grade]}) on {appraised_on}"
    if grade in DANGEROUS_GRADES:
        status = renovation_status_on(renovation, as_of) if renovation is not None else None
        if status in ACTIVE_RENOVATION:
            return (Status.AT_RISK, tuple(risks)) if risks else None
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
