"""Root queries of the employment plugin (``Person`` through ``bangfu.plugin.PersonConnection``)."""

from typing import Any

import strawberry
from sqlalchemy import Select, select
from strawberry.types import Info

from bangfu.core.effective import current
from bangfu.core.i18n import _
from bangfu.plugin import (
    SCANS,
    After,
    Before,
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
from bangfu.plugins.employment.models import WorkStatus, WorkStatusRecord
from bangfu.schema.failures import InputError


async def job_seekers_statement(info: Info, region_code: str | None) -> Select[Any]:
    """Living persons whose current status is SEEKING_WORK, in ``region_code``'s subtree.

    One SQL statement (a semi-join), never a loop over rows; area scoping applies to it.
    """
    seeking = select(WorkStatusRecord.person_id).where(
        current(WorkStatusRecord.since, WorkStatusRecord.until, info.context.today),
        WorkStatusRecord.status == WorkStatus.SEEKING_WORK,
    )
    statement = select(Person).where(Person.id.in_(seeking), Person.deceased.is_(False))
    if region_code is not None:
        region = await info.context.loaders["region"].load(region_code)
        if region is None:
            raise InputError(_("regionCode: unknown region code {code}", code=repr(region_code)))
        statement = statement.where(path_within(Person.area_path, region.path))
    return statement


@strawberry.type
class EmploymentQuery:
    @strawberry.field(
        description="Persons in your area who are seeking work today (current status "
        "SEEKING_WORK), in a region and below it, by ID, a page at a time (`first` 1 "
        "to 100). `employment { currentStatus { since } }` says since when.",
        extensions=requires("employment:read"),
        metadata=SCANS,  # the current status of every person of the area
    )
    async def employment_job_seekers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        region_code: RegionCode = None,
    ) -> PersonConnection:
        statement = await job_seekers_statement(info, region_code)
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
