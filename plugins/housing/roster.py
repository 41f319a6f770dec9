"""The housing column of the roster: the dwelling's safety grade (房屋安全等级), per household."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.roster.tables import lookup
from bangfu.core.roster.values import day
from bangfu.plugin import (
    Change,
    RosterColumn,
    RosterColumns,
    RosterSubject,
    RosterTarget,
    RosterValueError,
    RosterWriteContext,
)
from bangfu.plugins.housing.models import SafetyAppraisal, SafetyGrade

GRADES = {
    **{g.value.lower(): g for g in SafetyGrade},
    **{f"{g.value.lower()}级": g for g in SafetyGrade},
}


def _appraiser(text: str) -> str:
    if len(text) > 200:
        raise RosterValueError("an appraiser has at most 200 characters")
    return text


def _check(values: Mapping[str, Any], subject: RosterSubject) -> list[tuple[str, str]]:
    problems = []
    if "housing_safety_grade" not in values:
        problems.append(("housing_safety_grade", "the grade is needed with a date or appraiser"))
    appraised = values.get("housing_appraised_on")
    if appraised is not None and appraised > subject.today:
        problems.append(("housing_appraised_on", "the appraisal date is in the future"))
    return problems


async def _write(
    session: AsyncSession, context: RosterWriteContext, values: Mapping[str, Any]
) -> Change:
    """A new appraisal unless the latest one says the same."""
    grade = values["housing_safety_grade"]
    appraised_on = values.get("housing_appraised_on", context.today)
    latests = await context.batch.once(
        "housing_latest", lambda: _latest_appraisals(session, context.batch.household_ids)
    )
    latest = latests.get(context.household.id)
    if (
        latest is not None
        and latest.grade is grade
        and ("housing_appraised_on" not in values or latest.appraised_on == appraised_on)
    ):
        return Change.UNCHANGED
    context.batch.add(
        SafetyAppraisal,
        household_id=context.household.id,
        grade=grade,
        appraised_on=appraised_on,
        appraising_organisation_id=context.actor.organisation_id,
        appraiser_name=values.get("housing_appraiser"),
        report_reference="roster import",
    )
    return Change.CREATED


async def _latest_appraisals(
    session: AsyncSession, household_ids: Sequence[int]
) -> dict[int, SafetyAppraisal]:
    """The latest appraisal of each household (the last by day, then by id)."""
    rows = await session.scalars(
        select(SafetyAppraisal)
        .where(SafetyAppraisal.household_id.in_(household_ids))
        .order_by(SafetyAppraisal.appraised_on, SafetyAppraisal.id)
    )
    return {a.household_id: a for a in rows}


def roster_columns() -> Sequence[RosterColumns]:
    return [
        RosterColumns(
            target=RosterTarget.HOUSEHOLD,
            columns=(
                RosterColumn(
                    "housing_safety_grade",
                    "房屋安全等级",
                    lambda t: lookup(GRADES, t, "safety grade", "A, B, C, D"),
                    "The dwelling's safety grade A to D (on the head's row).",
                    "C",
                ),
                RosterColumn(
                    "housing_appraised_on",
                    "鉴定日期",
                    day,
                    "The day of the appraisal (default the import day).",
                    "2024-05-10",
                ),
                RosterColumn(
                    "housing_appraiser",
                    "鉴定机构",
                    _appraiser,
                    "The appraisal body, if not the importing organisation.",
                    "临汾市房屋安全鉴定站",
                ),
            ),
            write=_write,
            check=_check,
        )
    ]
