"""The education columns of the roster (花名册): the child's current school, stage, grade."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.i18n import _
from bangfu.core.roster.columns import (
    Change,
    RosterColumn,
    RosterColumns,
    RosterSubject,
    RosterTarget,
    RosterValueError,
    RosterWriteContext,
)
from bangfu.core.roster.tables import lookup
from bangfu.plugins.education.models import MAX_GRADE, Enrolment, EnrolmentStatus, SchoolStage
from bangfu.plugins.education.service import grades_of

STAGES = {
    **{s.value.lower(): s for s in SchoolStage},
    "学前": SchoolStage.PRESCHOOL,
    "学前教育": SchoolStage.PRESCHOOL,
    "幼儿园": SchoolStage.PRESCHOOL,
    "小学": SchoolStage.PRIMARY,
    "初中": SchoolStage.JUNIOR_SECONDARY,
    "高中": SchoolStage.SENIOR_SECONDARY,
    "普通高中": SchoolStage.SENIOR_SECONDARY,
    "中职": SchoolStage.SECONDARY_VOCATIONAL,
    "高等教育": SchoolStage.HIGHER,
    "大学": SchoolStage.HIGHER,
}
STAGE_NAMES = "学前, 小学, 初中, 高中, 中职, 高等教育"
STATUS_NAMES = "在校, 休学, 辍学, 毕业, 未到入学年龄"
STATUSES = {
    **{s.value.lower(): s for s in EnrolmentStatus},
    "在校": EnrolmentStatus.ENROLLED,
    "在读": EnrolmentStatus.ENROLLED,
    "休学": EnrolmentStatus.SUSPENDED,
    "辍学": EnrolmentStatus.DROPPED_OUT,
    "毕业": EnrolmentStatus.GRADUATED,
    "未到入学年龄": EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE,
}


def _school(text: str) -> str:
    if len(text) > 200:
        raise RosterValueError(
            _(
                "就读学校 (school): a school name has at most {limit} characters, this one "
                "{length}: shorten it",
                limit=200,
                length=len(text),
            )
        )
    return text


def _stage(text: str) -> SchoolStage:
    try:
        return lookup(STAGES, text, "stage", STAGE_NAMES)
    except RosterValueError:
        raise RosterValueError(
            _(
                "学段 (stage): '{value}' is not a stage of schooling: write one of {accepted}",
                value=text,
                accepted=STAGE_NAMES,
            )
        ) from None


def _grade(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 8:
        raise RosterValueError(
            _(
                "年级 (grade): '{value}' is not a grade: write a whole number from 1 to 8, "
                "such as 3",
                value=text,
            )
        )
    return int(text)


def _status(text: str) -> EnrolmentStatus:
    try:
        return lookup(STATUSES, text, "status", STATUS_NAMES)
    except RosterValueError:
        raise RosterValueError(
            _(
                "在校状态 (status): '{value}' is not a schooling status: write one of "
                "{accepted}, or leave it blank for 在校",
                value=text,
                accepted=STATUS_NAMES,
            )
        ) from None


def _check(values: Mapping[str, Any], subject: RosterSubject) -> list[tuple[str, str]]:
    status = values.get("education_status", EnrolmentStatus.ENROLLED)
    stage, grade = values.get("education_stage"), values.get("education_grade")
    problems = []
    if status is not EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE:
        if "education_school" not in values:
            problems.append(
                (
                    "education_school",
                    _("就读学校 (school) is empty: fill in the school with the stage and grade"),
                )
            )
        if stage is None:
            problems.append(
                (
                    "education_stage",
                    _("学段 (stage) is empty: fill in the stage with the school and grade"),
                )
            )
    if grade is not None and stage is not None and grade > MAX_GRADE[stage]:
        problems.append(("education_grade", grades_of(stage)))
    return problems


async def _write(
    session: AsyncSession, context: RosterWriteContext, values: Mapping[str, Any]
) -> Change:
    status = values.get("education_status", EnrolmentStatus.ENROLLED)
    wanted = {
        "school_name": values.get("education_school"),
        "stage": values.get("education_stage"),
        "grade": values.get("education_grade"),
        "status": status,
    }
    currents = await context.batch.once(
        "education_current", lambda: _current_enrolments(session, context.batch.person_ids)
    )
    current = currents.get(context.person.id)
    if current is not None:
        if all(getattr(current, k) == v for k, v in wanted.items()):
            return Change.UNCHANGED
        # A new period from today; the current one ends (history is kept).
        current.end_date = max(context.today, current.start_date)
        current.end_reason = "changed by a roster import"
    context.batch.add(Enrolment, person_id=context.person.id, start_date=context.today, **wanted)
    return Change.CREATED if current is None else Change.UPDATED


async def _current_enrolments(
    session: AsyncSession, person_ids: Sequence[int]
) -> dict[int, Enrolment]:
    rows = await session.scalars(
        select(Enrolment).where(Enrolment.person_id.in_(person_ids), Enrolment.end_date.is_(None))
    )
    return {e.person_id: e for e in rows}


def roster_columns() -> Sequence[RosterColumns]:
    return [
        RosterColumns(
            target=RosterTarget.PERSON,
            columns=(
                RosterColumn(
                    "education_school",
                    "就读学校",
                    _school,
                    "The child's current school.",
                    "东关小学",
                ),
                RosterColumn(
                    "education_stage",
                    "学段",
                    _stage,
                    "学前, 小学, 初中, 高中, 中职, 高等教育 (or PRIMARY, ...).",
                    "小学",
                ),
                RosterColumn(
                    "education_grade", "年级", _grade, "The grade within the stage, 1 to 8.", "3"
                ),
                RosterColumn(
                    "education_status",
                    "在校状态",
                    _status,
                    "在校 (default), 休学, 辍学, 毕业, 未到入学年龄.",
                    "在校",
                ),
            ),
            write=_write,
            check=_check,
        )
    ]
