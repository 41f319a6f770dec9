"""The housing column of the roster: the dwelling's safety grade (房屋安全等级), per household."""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.i18n import _
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


def _grade(text: str) -> SafetyGrade:
    try:
        return lookup(GRADES, text, "safety grade", "A, B, C, D")
    except RosterValueError:
        raise RosterValueError(
            _(
                "房屋安全等级 (safety grade): '{value}' is not a safety grade: write A, B, C or D "
                "as the appraisal report says",
                value=text,
            )
        ) from None


def _appraised_on(text: str) -> dt.date:
    try:
        return day(text)
    except RosterValueError:
        raise RosterValueError(
            _(
                "鉴定日期 (appraisal date): '{value}' is not a date: write the day of the "
                "appraisal as YYYY-MM-DD, such as 2024-05-10",
                value=text,
            )
        ) from None


def _appraiser(text: str) -> str:
    if len(text) > 200:
        raise RosterValueError(
            _(
                "鉴定机构 (appraiser): the name has at most {limit} characters, this one "
                "{length}: shorten it",
                limit=200,
                length=len(text),
            )
        )
    return text


def _check(values: Mapping[str, Any], subject: RosterSubject) -> list[tuple[str, str]]:
    problems = []
    if "housing_safety_grade" not in values:
        problems.append(
            (
                "housing_safety_grade",
                _(
                    "房屋安全等级 (safety grade) is empty: fill in the grade with the appraisal "
                    "date or appraiser, or leave them empty too"
                ),
            )
        )
    appraised = values.get("housing_appraised_on")
    if appraised is not None and appraised > subject.today:
        problems.append(
            (
                "housing_appraised_on",
                _(
                    "鉴定日期 (appraisal date): {day} is in the future: write the day the "
                    "dwelling was appraised",
                    day=appraised,
                ),
            )
        )
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
                    _grade,
                    "The dwelling's safety grade A to D (on the head's row).",
                    "C",
                ),
                RosterColumn(
                    "housing_appraised_on",
                    "鉴定日期",
                    _appraised_on,
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
