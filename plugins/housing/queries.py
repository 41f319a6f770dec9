"""Root query fields of the housing plugin (``housingDangerous``)."""

from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bangfu.core.db import path_within
from bangfu.core.registry.models import Household
from bangfu.plugins.housing.statements import dangerous_household_ids
from bangfu.schema.connections import paginate
from bangfu.schema.permissions import requires
from bangfu.schema.scan_cost import SCANS, RegionCode


def build_query_types(core_types: Any) -> list[type]:
    """The housing root fields, for the composed core types."""
    HouseholdConnection = core_types.HouseholdConnection

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
            first: int = 20,
            after: str | None = None,
            region_code: RegionCode = None,
        ) -> HouseholdConnection:  # type: ignore[valid-type]
            statement = select(Household).where(Household.id.in_(dangerous_household_ids()))
            if region_code is not None:
                region = await info.context.loaders["region"].load(region_code)
                if region is None:
                    raise ValueError(f"regionCode: unknown region code {region_code!r}")
                statement = statement.where(path_within(Household.area_path, region.path))
            return await paginate(
                info.context,
                HouseholdConnection,
                core_types.HouseholdEdge,
                statement,
                Household,
                first=first,
                after=after,
            )

    return [HousingQuery]
