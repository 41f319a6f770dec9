"""The medical columns of the roster: this year's basic medical insurance (参保)."""

import decimal
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.i18n import _
from bangfu.core.roster.tables import lookup
from bangfu.core.roster.values import yes_no, yuan
from bangfu.plugin import (
    Change,
    RosterColumn,
    RosterColumns,
    RosterSubject,
    RosterTarget,
    RosterValueError,
    RosterWriteContext,
)
from bangfu.plugins.medical.models import InsuranceEnrolment, InsuranceScheme

SCHEMES = {
    **{s.value.lower(): s for s in InsuranceScheme},
    "城乡居民": InsuranceScheme.RESIDENT,
    "居民医保": InsuranceScheme.RESIDENT,
    "城乡居民医保": InsuranceScheme.RESIDENT,
    "城乡居民基本医疗保险": InsuranceScheme.RESIDENT,
    "职工": InsuranceScheme.EMPLOYEE,
    "职工医保": InsuranceScheme.EMPLOYEE,
    "职工基本医疗保险": InsuranceScheme.EMPLOYEE,
}


SCHEME_NAMES = "城乡居民医保, 职工医保"


def _scheme(text: str) -> InsuranceScheme:
    try:
        return lookup(SCHEMES, text, "insurance scheme", SCHEME_NAMES)
    except RosterValueError:
        raise RosterValueError(
            _(
                "本年参保险种 (insurance scheme): '{value}' is not an insurance scheme: write "
                "城乡居民医保 or 职工医保",
                value=text,
            )
        ) from None


def _premium(text: str) -> decimal.Decimal:
    try:
        return yuan(text)
    except RosterValueError:
        raise RosterValueError(
            _(
                "个人缴费 (premium): '{value}' is not an amount in yuan: write a number of 0 or "
                "more with at most 2 decimals, such as 380.00",
                value=text,
            )
        ) from None


def _government_pays(text: str) -> bool:
    try:
        return yes_no(text)
    except RosterValueError:
        raise RosterValueError(
            _(
                "政府代缴 (premium paid by the government): '{value}' is not yes or no: "
                "write 是 or 否",
                value=text,
            )
        ) from None


def _critical_illness(text: str) -> bool:
    try:
        return yes_no(text)
    except RosterValueError:
        raise RosterValueError(
            _(
                "大病保险 (critical-illness insurance): '{value}' is not yes or no: write 是 or 否",
                value=text,
            )
        ) from None


def _check(values: Mapping[str, Any], subject: RosterSubject) -> list[tuple[str, str]]:
    if "medical_insurance_scheme" not in values:
        return [
            (
                "medical_insurance_scheme",
                _(
                    "本年参保险种 (insurance scheme) is empty: fill in the scheme, or leave the "
                    "other medical columns of the row empty too"
                ),
            )
        ]
    return []


async def _write(
    session: AsyncSession, context: RosterWriteContext, values: Mapping[str, Any]
) -> Change:
    """This year's enrolment: created, corrected in place, or left as it is."""
    year = context.today.year
    wanted = {
        "scheme": values["medical_insurance_scheme"],
        "premium": values.get("medical_premium", decimal.Decimal("0.00")),
        "premium_paid_by_government": values.get("medical_premium_paid_by_government", False),
        "critical_illness_covered": values.get("medical_critical_illness", False),
    }
    enrolments = await context.batch.once(
        "medical_this_year", lambda: _enrolments(session, context.batch.person_ids, year)
    )
    enrolment = enrolments.get(context.person.id)
    if enrolment is None:
        context.batch.add(InsuranceEnrolment, person_id=context.person.id, year=year, **wanted)
        return Change.CREATED
    if all(getattr(enrolment, k) == v for k, v in wanted.items()):
        return Change.UNCHANGED
    for key, value in wanted.items():
        setattr(enrolment, key, value)
    return Change.UPDATED


async def _enrolments(
    session: AsyncSession, person_ids: Sequence[int], year: int
) -> dict[int, InsuranceEnrolment]:
    rows = await session.scalars(
        select(InsuranceEnrolment).where(
            InsuranceEnrolment.person_id.in_(person_ids), InsuranceEnrolment.year == year
        )
    )
    return {e.person_id: e for e in rows}


def roster_columns() -> Sequence[RosterColumns]:
    return [
        RosterColumns(
            target=RosterTarget.PERSON,
            columns=(
                RosterColumn(
                    "medical_insurance_scheme",
                    "本年参保险种",
                    _scheme,
                    "This year's basic medical insurance: 城乡居民医保 (RESIDENT) or 职工医保 "
                    "(EMPLOYEE).",
                    "城乡居民医保",
                ),
                RosterColumn(
                    "medical_premium",
                    "个人缴费",
                    _premium,
                    "This year's premium in yuan (default 0).",
                    "380.00",
                ),
                RosterColumn(
                    "medical_premium_paid_by_government",
                    "政府代缴",
                    _government_pays,
                    "Whether the government pays the premium: 是 or 否 (default 否).",
                    "是",
                ),
                RosterColumn(
                    "medical_critical_illness",
                    "大病保险",
                    _critical_illness,
                    "Whether critical-illness insurance covers the person this year: 是 or 否.",
                    "是",
                ),
            ),
            write=_write,
            check=_check,
        )
    ]
