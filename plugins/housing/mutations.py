"""Mutations of the housing plugin: noun first, one input, a payload with ``errors``.

Each runs in one transaction (``bangfu.plugin.run_mutation``) through
:class:`bangfu.plugins.housing.service.HousingService`; bad input gets ``HousingError`` rows and
changes nothing. Only actors holding ``housing:write`` (the housing department and city
administrators) may call them; a household outside the actor's area is ``NOT_FOUND``.
"""

import datetime as dt
import decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core.registry.service import Registry
from bangfu.plugin import HouseholdType, decode_id, requires, run_mutation
from bangfu.plugins.housing.models import (
    AidKind,
    DisasterKind,
    FundingSource,
    RenovationStatus,
    SafetyGrade,
)
from bangfu.plugins.housing.service import HousingService
from bangfu.plugins.housing.types import (
    HousingAidType,
    HousingDisasterReport,
    HousingError,
    HousingRenovationProject,
    HousingSafetyAppraisal,
)

# -- inputs ---------------------------------------------------------------------------


@strawberry.input(description="A dwelling safety appraisal (JGJ 125-2016).")
class HousingAppraisalRecordInput:
    household_id: strawberry.ID = strawberry.field(description="The household (a Household ID).")
    grade: SafetyGrade = strawberry.field(description="A, B, C (partly) or D (wholly dangerous).")
    appraised_on: dt.date = strawberry.field(
        description="The day of the appraisal; not after today."
    )
    appraising_organisation_id: strawberry.ID | None = strawberry.field(
        default=None, description="An Organisation of the registry that appraised it."
    )
    appraiser_name: str | None = strawberry.field(
        default=None,
        description="The appraisal body when not in the registry (one of the two is needed).",
    )
    report_reference: str | None = strawberry.field(
        default=None, description="The appraisal report's number; at most 100 characters."
    )


@strawberry.input(description="Start renovating a C or D house: the project begins PLANNED.")
class HousingRenovationStartInput:
    household_id: strawberry.ID = strawberry.field(
        description="A household whose latest appraisal is C or D."
    )
    subsidy_amount: decimal.Decimal = strawberry.field(
        description='Yuan, exact (a string such as "35000.00"); not negative.'
    )
    funding_source: FundingSource = strawberry.field(description="Who pays the subsidy.")
    programme_name: str | None = strawberry.field(
        default=None, description="Needed for GOVERNMENT_PROGRAMME."
    )
    donor: str | None = strawberry.field(default=None, description="Needed for SOCIAL_DONATION.")
    planned_on: dt.date | None = strawberry.field(
        default=None,
        description="The day it was planned: today by default; not before the appraisal.",
    )
    note: str | None = strawberry.field(
        default=None, description="A free note; at most 500 characters."
    )


@strawberry.input(description="Move a renovation one step on.")
class HousingRenovationAdvanceInput:
    id: strawberry.ID = strawberry.field(description="The project (a HousingRenovationProject ID).")
    expected_version: int = strawberry.field(
        description="The `version` you read; a stale one gets VERSION_CONFLICT."
    )
    status: RenovationStatus = strawberry.field(
        description="The next status: APPROVED, UNDER_WAY, COMPLETED, then ACCEPTED."
    )
    on: dt.date | None = strawberry.field(
        default=None, description="The day of the step (today by default); not after today."
    )
    acceptance_appraisal_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "For ACCEPTED: the household's latest appraisal, which must be A or B and dated "
            "from the completion to the acceptance (taken by default)."
        ),
    )


@strawberry.input(description="A rental subsidy or a public rental housing allocation.")
class HousingAidGrantInput:
    household_id: strawberry.ID = strawberry.field(description="The household (a Household ID).")
    kind: AidKind = strawberry.field(description="The kind of aid.")
    monthly_amount: decimal.Decimal = strawberry.field(
        description="Yuan per month, exact; not negative."
    )
    period_start: dt.date = strawberry.field(
        description="The first day of the aid; it may lie in the future. Two aids of the same "
        "kind may not overlap."
    )
    period_end: dt.date = strawberry.field(
        description="The last day of the aid (included); not before `periodStart`."
    )
    dwelling_address: str | None = strawberry.field(
        default=None, description="The allocated dwelling; needed for PUBLIC_RENTAL_HOUSING."
    )


@strawberry.input(
    description=(
        "A household's dwelling damaged by a disaster. Raises a DISASTER care event for every "
        "current member who holds a hardship category valid today."
    )
)
class HousingDisasterReportInput:
    household_id: strawberry.ID = strawberry.field(description="The household (a Household ID).")
    kind: DisasterKind = strawberry.field(description="What damaged the dwelling.")
    occurred_on: dt.date = strawberry.field(
        description="The day the disaster happened; not after today."
    )
    damage: str = strawberry.field(
        description="What was damaged, and how badly; 1 to 1000 characters."
    )


@strawberry.input(description="Record the response to a disaster report (once).")
class HousingDisasterRespondInput:
    id: strawberry.ID = strawberry.field(description="The report (a HousingDisasterReport ID).")
    response: str = strawberry.field(
        description="What was done (visit, relief, shelter); 1 to 1000 characters."
    )
    responded_on: dt.date | None = strawberry.field(
        default=None, description="The day of the response: today by default; not after today."
    )


def housing_service(session: AsyncSession, context: Any) -> HousingService:
    """The housing use cases in the mutation's transaction, as the request's actor."""
    registry = Registry(session, context.actor, context.cipher)
    return HousingService(session, registry, context.today, context.host)


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return None if value is None else decode_id(value, type_name, field)


async def _with_household(
    service: HousingService, name: str, row: Any, **more: Any
) -> dict[str, Any]:
    """The payload's data: ``row`` as ``name`` and the household it belongs to."""
    household = await service.household(row.household_id, "input.householdId")
    return {name: row, "household": household, **more}


@strawberry.type(
    name="HousingAppraisalPayload", description="What `housingAppraisalRecord` answers."
)
class HousingAppraisalPayload:
    appraisal: HousingSafetyAppraisal | None = strawberry.field(
        description="The appraisal recorded; null when `errors` is not empty."
    )
    household: HouseholdType | None = strawberry.field(
        description="The household it belongs to, as it is now; null when `errors` is not empty."
    )
    errors: list[HousingError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(
    name="HousingRenovationPayload",
    description="What `housingRenovationStart` and `housingRenovationAdvance` answer.",
)
class HousingRenovationPayload:
    renovation: HousingRenovationProject | None = strawberry.field(
        description="The project started or moved on; null when `errors` is not empty."
    )
    household: HouseholdType | None = strawberry.field(
        description="The household it belongs to, as it is now; null when `errors` is not empty."
    )
    errors: list[HousingError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(name="HousingAidPayload", description="What `housingAidGrant` answers.")
class HousingAidPayload:
    aid: HousingAidType | None = strawberry.field(
        description="The aid granted; null when `errors` is not empty."
    )
    household: HouseholdType | None = strawberry.field(
        description="The household it belongs to, as it is now; null when `errors` is not empty."
    )
    errors: list[HousingError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(
    name="HousingDisasterPayload",
    description="What `housingDisasterReport` and `housingDisasterRespond` answer.",
)
class HousingDisasterPayload:
    disaster: HousingDisasterReport | None = strawberry.field(
        description="The report recorded or responded to; null when `errors` is not empty."
    )
    household: HouseholdType | None = strawberry.field(
        description="The household it belongs to, as it is now; null when `errors` is not empty."
    )
    care_events_raised: int = strawberry.field(
        default=0,
        description="How many DISASTER care events the report raised (one per member in "
        "a hardship category).",
    )
    errors: list[HousingError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type
class HousingMutation:
    @strawberry.mutation(
        description="Record a safety appraisal of a household's dwelling.",
        extensions=requires("housing:write"),
    )
    async def housing_appraisal_record(
        self,
        info: Info,
        input: Annotated[
            HousingAppraisalRecordInput,
            strawberry.argument(description="The household and the appraisal."),
        ],
    ) -> HousingAppraisalPayload:
        async def work(service: HousingService) -> dict[str, Any]:
            appraisal = await service.record_appraisal(
                decode_id(input.household_id, "Household", "input.householdId"),
                input.grade,
                input.appraised_on,
                organisation_id=_optional_id(
                    input.appraising_organisation_id,
                    "Organisation",
                    "input.appraisingOrganisationId",
                ),
                appraiser_name=input.appraiser_name,
                report_reference=input.report_reference,
            )
            return await _with_household(service, "appraisal", appraisal)

        return await run_mutation(info, HousingAppraisalPayload, work, service=housing_service)

    @strawberry.mutation(
        description="Start renovating a household's C or D house (农村危房改造): PLANNED.",
        extensions=requires("housing:write"),
    )
    async def housing_renovation_start(
        self,
        info: Info,
        input: Annotated[
            HousingRenovationStartInput,
            strawberry.argument(description="The household, the subsidy and who pays it."),
        ],
    ) -> HousingRenovationPayload:
        async def work(service: HousingService) -> dict[str, Any]:
            project = await service.start_renovation(
                decode_id(input.household_id, "Household", "input.householdId"),
                input.subsidy_amount,
                input.funding_source,
                programme_name=input.programme_name,
                donor=input.donor,
                planned_on=input.planned_on,
                note=input.note,
            )
            return await _with_household(service, "renovation", project)

        return await run_mutation(info, HousingRenovationPayload, work, service=housing_service)

    @strawberry.mutation(
        description=(
            "Move a renovation to its next status; ACCEPTED needs a new A or B appraisal "
            "dated on or after the completion."
        ),
        extensions=requires("housing:write"),
    )
    async def housing_renovation_advance(
        self,
        info: Info,
        input: Annotated[
            HousingRenovationAdvanceInput,
            strawberry.argument(description="The project, its version and its next status."),
        ],
    ) -> HousingRenovationPayload:
        async def work(service: HousingService) -> dict[str, Any]:
            project = await service.advance_renovation(
                decode_id(input.id, "RenovationProject", "input.id"),
                input.expected_version,
                input.status,
                input.on,
                acceptance_appraisal_id=_optional_id(
                    input.acceptance_appraisal_id,
                    "SafetyAppraisal",
                    "input.acceptanceAppraisalId",
                ),
            )
            return await _with_household(service, "renovation", project)

        return await run_mutation(info, HousingRenovationPayload, work, service=housing_service)

    @strawberry.mutation(
        description="Grant a rental subsidy or a public rental housing allocation.",
        extensions=requires("housing:write"),
    )
    async def housing_aid_grant(
        self,
        info: Info,
        input: Annotated[
            HousingAidGrantInput,
            strawberry.argument(description="The household, the aid and its period."),
        ],
    ) -> HousingAidPayload:
        async def work(service: HousingService) -> dict[str, Any]:
            aid = await service.grant_aid(
                decode_id(input.household_id, "Household", "input.householdId"),
                input.kind,
                input.monthly_amount,
                input.period_start,
                input.period_end,
                input.dwelling_address,
            )
            return await _with_household(service, "aid", aid)

        return await run_mutation(info, HousingAidPayload, work, service=housing_service)

    @strawberry.mutation(
        description=(
            "Report a disaster that damaged a household's dwelling; raises a DISASTER care "
            "event for every current member in a hardship category, in the same transaction."
        ),
        extensions=requires("housing:write"),
    )
    async def housing_disaster_report(
        self,
        info: Info,
        input: Annotated[
            HousingDisasterReportInput,
            strawberry.argument(description="The household and what happened."),
        ],
    ) -> HousingDisasterPayload:
        async def work(service: HousingService) -> dict[str, Any]:
            report, persons = await service.report_disaster(
                decode_id(input.household_id, "Household", "input.householdId"),
                input.kind,
                input.occurred_on,
                input.damage,
            )
            return await _with_household(
                service, "disaster", report, care_events_raised=len(persons)
            )

        return await run_mutation(info, HousingDisasterPayload, work, service=housing_service)

    @strawberry.mutation(
        description="Record the response to a disaster report; the report is then closed.",
        extensions=requires("housing:write"),
    )
    async def housing_disaster_respond(
        self,
        info: Info,
        input: Annotated[
            HousingDisasterRespondInput,
            strawberry.argument(description="The report and what was done."),
        ],
    ) -> HousingDisasterPayload:
        async def work(service: HousingService) -> dict[str, Any]:
            report = await service.respond_to_disaster(
                decode_id(input.id, "DisasterReport", "input.id"),
                input.responded_on,
                input.response,
            )
            return await _with_household(service, "disaster", report)

        return await run_mutation(info, HousingDisasterPayload, work, service=housing_service)
