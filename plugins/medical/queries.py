"""Medical root queries: who lacks insurance, who pays too much themselves.

Both are one SQL statement per page (plus one COUNT when ``totalCount`` is asked), with
the aggregates in SQL, and both are area-scoped by the ORM like everything else.
"""

import datetime as dt
import decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import BigInteger, Select, cast, func, or_, select
from strawberry.types import Info

from bangfu.core.i18n import _
from bangfu.plugin import (
    INDEXED,
    SCANS,
    After,
    Before,
    CategoryAssignment,
    First,
    Last,
    Person,
    PersonConnection,
    PersonEdge,
    RegionCode,
    paginate,
    path_within,
    requires,
)
from bangfu.plugins.medical.amounts import ratio_error
from bangfu.plugins.medical.models import InsuranceEnrolment, MedicalAidClaim
from bangfu.plugins.medical.settings import medical_settings
from bangfu.schema.failures import InputError


async def _in_region(info: Info, statement: Select[Any], region_code: str | None) -> Select[Any]:
    if region_code is None:
        return statement
    region = await info.context.loaders["region"].load(region_code)
    if region is None:
        raise InputError(_("regionCode: unknown region code {code}", code=repr(region_code)))
    return statement.where(path_within(Person.area_path, region.path))


def _year(info: Info, year: int | None) -> int:
    chosen = info.context.today.year if year is None else year
    if not 2000 <= chosen <= info.context.today.year + 1:
        raise InputError(
            _(
                "year: must be between {first} and {last}",
                first=2000,
                last=info.context.today.year + 1,
            )
        )
    return chosen


def uninsured_statement(year: int) -> Select[Any]:
    """Living persons who held a hardship category at some time in ``year`` and have no
    basic medical insurance for it."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    in_hardship = select(CategoryAssignment.person_id).where(
        CategoryAssignment.valid_from <= end,
        or_(CategoryAssignment.valid_to.is_(None), CategoryAssignment.valid_to >= start),
    )
    insured = select(InsuranceEnrolment.person_id).where(InsuranceEnrolment.year == year)
    return select(Person).where(
        Person.deceased.is_(False), Person.id.in_(in_hardship), Person.id.not_in(insured)
    )


def _fen(column: Any) -> Any:
    """A sum of yuan as whole fen (exact on PostgreSQL's numeric and SQLite's floats)."""
    return cast(func.round(func.sum(column) * 100), BigInteger)


def high_out_of_pocket_statement(year: int, ratio: decimal.Decimal) -> Select[Any]:
    """Persons whose claims settled in ``year`` have out of pocket / total > ``ratio``;
    compared in integers: fen × 10,000 against the ratio in ten-thousandths × fen."""
    ten_thousandths = int(ratio * 10_000)
    above = (
        select(MedicalAidClaim.person_id)
        .where(
            MedicalAidClaim.settled_on >= dt.date(year, 1, 1),
            MedicalAidClaim.settled_on <= dt.date(year, 12, 31),
        )
        .group_by(MedicalAidClaim.person_id)
        .having(
            _fen(MedicalAidClaim.out_of_pocket) * 10_000
            > _fen(MedicalAidClaim.total_cost) * ten_thousandths
        )
    )
    return select(Person).where(Person.id.in_(above))


@strawberry.type
class MedicalQuery:
    @strawberry.field(
        description="Persons who held a hardship category in `year` (this year by "
        "default) and have no basic medical insurance for it, in your area or in "
        "`regionCode`; a page at a time.",
        extensions=requires("medical:read"),
        metadata=SCANS,  # every hardship person of the area against the enrolments
    )
    async def medical_uninsured(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        region_code: RegionCode = None,
        year: Annotated[
            int | None,
            strawberry.argument(
                description="The calendar year, 2000 to next year; this year by default.",
                metadata=INDEXED,
            ),
        ] = None,
    ) -> PersonConnection:
        statement = await _in_region(info, uninsured_statement(_year(info, year)), region_code)
        return await paginate(
            info.context,
            PersonConnection,
            PersonEdge,
            statement,
            Person,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="Persons whose medical-aid claims settled in `year` (this year by "
        "default) left them more than `ratio` of the total to pay themselves "
        "(0.1 = 10 %; the configured threshold by default).",
        extensions=requires("medical:read"),
        metadata=SCANS,  # the year's claims of every person of the area, summed
    )
    async def medical_high_out_of_pocket(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        region_code: RegionCode = None,
        ratio: Annotated[
            decimal.Decimal | None,
            strawberry.argument(
                description="The share of the total a person paid themselves, 0 to 1 with at "
                'most 4 decimals (a string such as "0.10" = 10 %); those above it are listed. '
                "BANGFU_MEDICAL_OUT_OF_POCKET_THRESHOLD (0.10) by default.",
                metadata=INDEXED,
            ),
        ] = None,
        year: Annotated[
            int | None,
            strawberry.argument(
                description="The calendar year, 2000 to next year; this year by default.",
                metadata=INDEXED,
            ),
        ] = None,
    ) -> PersonConnection:
        chosen = medical_settings().out_of_pocket_threshold if ratio is None else ratio
        problem = ratio_error(chosen)
        if problem is not None:
            raise InputError(problem)
        statement = await _in_region(
            info, high_out_of_pocket_statement(_year(info, year), chosen), region_code
        )
        return await paginate(
            info.context,
            PersonConnection,
            PersonEdge,
            statement,
            Person,
            first=first,
            after=after,
            last=last,
            before=before,
        )
