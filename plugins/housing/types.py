"""GraphQL types and the ``Household.housing`` field of the housing plugin."""

import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from plugins.housing.models import SafetyAppraisal, SafetyGrade
from schema.permissions import requires

SafetyGradeType = strawberry.enum(
    SafetyGrade,
    name="HousingSafetyGrade",
    description="JGJ 125-2016: C partly dangerous, D wholly dangerous.",
)


@strawberry.type(name="HousingSafetyAppraisal", description="A dwelling safety appraisal.")
class HousingSafetyAppraisal:
    grade: SafetyGrade
    appraised_on: dt.date
    report_reference: str | None

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, SafetyAppraisal)


@strawberry.type(name="HousingOnHousehold", description="A household's dwelling (住房救助).")
class HousingOnHousehold:
    latest_appraisal: HousingSafetyAppraisal | None
    dangerous: bool = strawberry.field(description="The latest appraisal is C or D.")


@strawberry.type
class HousingHouseholdFields:
    """Mixed into ``Household`` by the housing plugin."""

    @strawberry.field(
        description="Dwelling safety: the latest appraisal (housing plugin).",
        extensions=requires("housing:read"),
    )
    async def housing(self, info: Info) -> HousingOnHousehold | None:
        rows = await info.context.loaders["housing_appraisals"].load(self.id)  # type: ignore[attr-defined]
        latest = rows[0] if rows else None
        return HousingOnHousehold(
            latest_appraisal=latest,
            dangerous=latest is not None and latest.grade in (SafetyGrade.C, SafetyGrade.D),
        )
