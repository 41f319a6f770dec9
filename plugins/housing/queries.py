"""Root query fields of the housing plugin (``housingDangerous``)."""

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bangfu.core.i18n import _
from bangfu.plugin import (
    SCANS,
    After,
    Before,
    First,
    Household,
    HouseholdConnection,
    HouseholdEdge,
    Last,
    RegionCode,
    paginate,
    path_within,
    requires,
)
from bangfu.plugins.housing.statements import dangerous_household_ids


@strawberry.type
class HousingQuery:
    @strawberry.field(
        description=(
            "Households whose latest dwelling appraisal is C or D and that have no active "
            "renovation (PLANNED, APPROVED or UNDER_WAY), in your area, optionally below "
            "`regionCode`; oldest registration first."
        ),
        extensions=requires("housing:read"),
        metadata=SCANS,  # the latest appraisal of every household of the area
    )
    async def housing_dangerous(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        last: Last = None,
        before: Before = None,
        region_code: RegionCode = None,
    ) -> HouseholdConnection:
        if last is not None:
            first = None  # backward; `first` and `last` together are refused before this
        statement = select(Household).where(Household.id.in_(dangerous_household_ids()))
        if region_code is not None:
            region = await info.context.loaders["region"].load(region_code)
            if region is None:
                raise ValueError(
                    _("regionCode: unknown region code {code}", code=repr(region_code))
                )
            statement = statement.where(path_within(Household.area_path, region.path))
        return await paginate(
            info.context,
            HouseholdConnection,
            HouseholdEdge,
            statement,
            Household,
            first=first,
            after=after,
            last=last,
            before=before,
        )
