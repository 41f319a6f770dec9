"""The employment columns of the roster: the current work status (就业状态) and employer."""

import datetime as dt
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
from bangfu.plugins.employment.models import WorkStatus, WorkStatusRecord

STATUSES = {
    **{s.value.lower(): s for s in WorkStatus},
    "就业": WorkStatus.EMPLOYED,
    "务工": WorkStatus.EMPLOYED,
    "已就业": WorkStatus.EMPLOYED,
    "自主创业": WorkStatus.SELF_EMPLOYED,
    "个体经营": WorkStatus.SELF_EMPLOYED,
    "求职": WorkStatus.SEEKING_WORK,
    "失业": WorkStatus.SEEKING_WORK,
    "待业": WorkStatus.SEEKING_WORK,
    "培训": WorkStatus.IN_TRAINING,
    "参加培训": WorkStatus.IN_TRAINING,
    "无劳动能力": WorkStatus.UNABLE_TO_WORK,
    "丧失劳动能力": WorkStatus.UNABLE_TO_WORK,
    "学生": WorkStatus.STUDENT,
    "在校学生": WorkStatus.STUDENT,
    "退休": WorkStatus.RETIRED,
}
ACCEPTED = "务工/就业, 自主创业, 求职, 培训, 无劳动能力, 在校学生, 退休"
WITH_EMPLOYER = frozenset({WorkStatus.EMPLOYED, WorkStatus.SELF_EMPLOYED})


def _status(text: str) -> WorkStatus:
    try:
        return lookup(STATUSES, text, "work status", ACCEPTED)
    except RosterValueError:
        raise RosterValueError(
            _(
                "就业状态 (work status): '{value}' is not a work status: write one of {accepted}",
                value=text,
                accepted=ACCEPTED,
            )
        ) from None


def _employer(text: str) -> str:
    if len(text) > 200:
        raise RosterValueError(
            _(
                "工作单位 (employer): the name has at most {limit} characters, this one "
                "{length}: shorten it",
                limit=200,
                length=len(text),
            )
        )
    return text


def _check(values: Mapping[str, Any], subject: RosterSubject) -> list[tuple[str, str]]:
    status = values.get("employment_status")
    if status is None:
        return [
            (
                "employment_status",
                _(
                    "就业状态 (work status) is empty: fill in the work status with the "
                    "employer, such as 务工"
                ),
            )
        ]
    if "employment_employer" in values and status not in WITH_EMPLOYER:
        return [
            (
                "employment_employer",
                _(
                    "工作单位 (employer) goes with the work status 务工/就业 or 自主创业 only: "
                    "empty the employer, or correct the work status"
                ),
            )
        ]
    return []


async def _write(
    session: AsyncSession, context: RosterWriteContext, values: Mapping[str, Any]
) -> Change:
    """A new current status from today, closing the current one the day before."""
    status, employer = values["employment_status"], values.get("employment_employer")
    currents = await context.batch.once(
        "employment_current", lambda: _current_statuses(session, context.batch.person_ids)
    )
    current = currents.get(context.person.id)
    if current is not None and current.status is status and current.employer == employer:
        return Change.UNCHANGED
    if current is not None and current.since >= context.today:
        current.status, current.employer = status, employer  # recorded today: corrected
        current.unable_reason = current.disability_grade = None
        return Change.UPDATED
    if current is not None:
        current.until = context.today - dt.timedelta(days=1)
    context.batch.add(
        WorkStatusRecord,
        person_id=context.person.id,
        status=status,
        employer=employer,
        since=context.today,
    )
    return Change.CREATED if current is None else Change.UPDATED


async def _current_statuses(
    session: AsyncSession, person_ids: Sequence[int]
) -> dict[int, WorkStatusRecord]:
    rows = await session.scalars(
        select(WorkStatusRecord).where(
            WorkStatusRecord.person_id.in_(person_ids), WorkStatusRecord.until.is_(None)
        )
    )
    return {r.person_id: r for r in rows}


def roster_columns() -> Sequence[RosterColumns]:
    return [
        RosterColumns(
            target=RosterTarget.PERSON,
            columns=(
                RosterColumn(
                    "employment_status",
                    "就业状态",
                    _status,
                    f"The current work status: {ACCEPTED}.",
                    "务工",
                ),
                RosterColumn(
                    "employment_employer",
                    "工作单位",
                    _employer,
                    "The employer or business, with 务工/就业 or 自主创业.",
                    "临汾钢铁厂",
                ),
            ),
            write=_write,
            check=_check,
        )
    ]
