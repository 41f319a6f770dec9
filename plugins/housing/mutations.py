"""Mutations of the housing plugin: noun first, one input, a payload with ``errors``.

Each runs in one transaction (``bangfu.schema.transactions.in_transaction``) through
:class:`bangfu.plugins.housing.service.HousingService`; bad input gets ``HousingError`` rows and
changes nothing. Only actors holding ``housing:write`` (the housing department and city
administrators) may call them; a household outside the actor's area is ``NOT_FOUND``.
"""

import datetime as dt
import decimal
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core.errors import FieldError
from bangfu.core.registry.service import Registry
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
from bangfu.schema.errors import payload_errors
from bangfu.schema.permissions import requires
from bangfu.schema.relay import decode_id
from bangfu.schema.transactions import in_transaction

# -- inputs ---------------------------------------------------------------------------


@strawberry.input(description="A dwelling safety appraisal (JGJ 125-2016).")
class HousingAppraisalRecordInput:
    household_id: strawberry.ID
    grade: SafetyGrade = strawberry.field(description="A, B, C (partly) or D (wholly dangerous).")
    appraised_on: dt.date = strawberry.field(description="Not after today.")
    appraising_organisation_id: strawberry.ID | None = strawberry.field(
        default=None, description="An Organisation of the registry that appraised it."
    )
    appraiser_name: str | None = strawberry.field(
        default=None,
        description="The appraisal body when not in the registry (one of the two is needed).",
    )
    report_reference: str | None = None


@strawberry.input(description="Start renovating a C or D house: the project begins PLANNED.")
class HousingRenovationStartInput:
    household_id: strawberry.ID = strawberry.field(
        description="A household whose latest appraisal is C or D."
    )
    subsidy_amount: decimal.Decimal = strawberry.field(
        description='Yuan, exact (a string such as "35000.00"); not negative.'
    )
    funding_source: FundingSource
    programme_name: str | None = strawberry.field(
        default=None, description="Needed for GOVERNMENT_PROGRAMME."
    )
    donor: str | None = strawberry.field(default=None, description="Needed for SOCIAL_DONATION.")
    planned_on: dt.date | None = strawberry.field(default=None, description="Today by default.")
    note: str | None = None


@strawberry.input(description="Move a renovation one step on.")
class HousingRenovationAdvanceInput:
    id: strawberry.ID = strawberry.field(description="The HousingRenovationProject.")
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
    household_id: strawberry.ID
    kind: AidKind
    monthly_amount: decimal.Decimal = strawberry.field(
        description="Yuan per month, exact; not negative."
    )
    period_start: dt.date
    period_end: dt.date = strawberry.field(description="Not before `periodStart`.")
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
    household_id: strawberry.ID
    kind: DisasterKind
    occurred_on: dt.date = strawberry.field(description="Not after today.")
    damage: str = strawberry.field(description="What was damaged, and how badly.")


@strawberry.input(description="Record the response to a disaster report (once).")
class HousingDisasterRespondInput:
    id: strawberry.ID = strawberry.field(description="The HousingDisasterReport.")
    response: str = strawberry.field(description="What was done (visit, relief, shelter).")
    responded_on: dt.date | None = strawberry.field(default=None, description="Today by default.")


def housing_errors(errors: list[FieldError]) -> list[HousingError]:
    return payload_errors(HousingError, errors)


async def run(info: Info, work: Callable[[HousingService], Awaitable[Any]]) -> Any:
    """Run ``work`` in one transaction: its result, or the errors with nothing changed."""

    async def in_session(session: AsyncSession) -> Any:
        registry = Registry(session, info.context.actor, info.context.cipher)
        return await work(HousingService(session, registry, info.context.today, info.context.host))

    result = await in_transaction(info, in_session)
    if isinstance(result, list):
        return housing_errors(result)
    return result


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return None if value is None else decode_id(value, type_name, field)


def build_mutation_types(core_types: Any) -> list[type]:
    """The housing mutations, for the composed core types."""
    Household = core_types.Household

    @strawberry.type(name="HousingAppraisalPayload")
    class HousingAppraisalPayload:
        appraisal: HousingSafetyAppraisal | None
        household: Household | None  # type: ignore[valid-type]
        errors: list[HousingError]

    @strawberry.type(name="HousingRenovationPayload")
    class HousingRenovationPayload:
        renovation: HousingRenovationProject | None
        household: Household | None  # type: ignore[valid-type]
        errors: list[HousingError]

    @strawberry.type(name="HousingAidPayload")
    class HousingAidPayload:
        aid: HousingAidType | None
        household: Household | None  # type: ignore[valid-type]
        errors: list[HousingError]

    @strawberry.type(name="HousingDisasterPayload")
    class HousingDisasterPayload:
        disaster: HousingDisasterReport | None
        household: Household | None  # type: ignore[valid-type]
        care_events_raised: int = strawberry.field(
            description="How many DISASTER care events the report raised (one per member in "
            "a hardship category)."
        )
        errors: list[HousingError]

    async def with_household(service: HousingService, row: Any) -> tuple[Any, Any]:
        return row, await service.household(row.household_id, "input.householdId")

    @strawberry.type
    class HousingMutation:
        @strawberry.mutation(
            description="Record a safety appraisal of a household's dwelling.",
            extensions=requires("housing:write"),
        )
        async def housing_appraisal_record(
            self, info: Info, input: HousingAppraisalRecordInput
        ) -> HousingAppraisalPayload:
            async def work(service: HousingService) -> Any:
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
                return await with_household(service, appraisal)

            result = await run(info, work)
            if isinstance(result, list):
                return HousingAppraisalPayload(appraisal=None, household=None, errors=result)
            return HousingAppraisalPayload(appraisal=result[0], household=result[1], errors=[])

        @strawberry.mutation(
            description="Start renovating a household's C or D house (农村危房改造): PLANNED.",
            extensions=requires("housing:write"),
        )
        async def housing_renovation_start(
            self, info: Info, input: HousingRenovationStartInput
        ) -> HousingRenovationPayload:
            async def work(service: HousingService) -> Any:
                project = await service.start_renovation(
                    decode_id(input.household_id, "Household", "input.householdId"),
                    input.subsidy_amount,
                    input.funding_source,
                    programme_name=input.programme_name,
                    donor=input.donor,
                    planned_on=input.planned_on,
                    note=input.note,
                )
                return await with_household(service, project)

            return renovation_payload(HousingRenovationPayload, await run(info, work))

        @strawberry.mutation(
            description=(
                "Move a renovation to its next status; ACCEPTED needs a new A or B appraisal "
                "dated on or after the completion."
            ),
            extensions=requires("housing:write"),
        )
        async def housing_renovation_advance(
            self, info: Info, input: HousingRenovationAdvanceInput
        ) -> HousingRenovationPayload:
            async def work(service: HousingService) -> Any:
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
                return await with_household(service, project)

            return renovation_payload(HousingRenovationPayload, await run(info, work))

        @strawberry.mutation(
            description="Grant a rental subsidy or a public rental housing allocation.",
            extensions=requires("housing:write"),
        )
        async def housing_aid_grant(
            self, info: Info, input: HousingAidGrantInput
        ) -> HousingAidPayload:
            async def work(service: HousingService) -> Any:
                aid = await service.grant_aid(
                    decode_id(input.household_id, "Household", "input.householdId"),
                    input.kind,
                    input.monthly_amount,
                    input.period_start,
                    input.period_end,
                    input.dwelling_address,
                )
                return await with_household(service, aid)

            result = await run(info, work)
            if isinstance(result, list):
                return HousingAidPayload(aid=None, household=None, errors=result)
            return HousingAidPayload(aid=result[0], household=result[1], errors=[])

        @strawberry.mutation(
            description=(
                "Report a disaster that damaged a household's dwelling; raises a DISASTER care "
                "event for every current member in a hardship category, in the same transaction."
            ),
            extensions=requires("housing:write"),
        )
        async def housing_disaster_report(
            self, info: Info, input: HousingDisasterReportInput
        ) -> HousingDisasterPayload:
            async def work(service: HousingService) -> Any:
                report, persons = await service.report_disaster(
                    decode_id(input.household_id, "Household", "input.householdId"),
                    input.kind,
                    input.occurred_on,
                    input.damage,
                )
                report, household = await with_household(service, report)
                return report, household, len(persons)

            result = await run(info, work)
            if isinstance(result, list):
                return HousingDisasterPayload(
                    disaster=None, household=None, care_events_raised=0, errors=result
                )
            report, household, raised = result
            return HousingDisasterPayload(
                disaster=report, household=household, care_events_raised=raised, errors=[]
            )

        @strawberry.mutation(
            description="Record the response to a disaster report; the report is then closed.",
            extensions=requires("housing:write"),
        )
        async def housing_disaster_respond(
            self, info: Info, input: HousingDisasterRespondInput
        ) -> HousingDisasterPayload:
            async def work(service: HousingService) -> Any:
                report = await service.respond_to_disaster(
                    decode_id(input.id, "DisasterReport", "input.id"),
                    input.responded_on,
                    input.response,
                )
                return await with_household(service, report)

            result = await run(info, work)
            if isinstance(result, list):
                return HousingDisasterPayload(
                    disaster=None, household=None, care_events_raised=0, errors=result
                )
            return HousingDisasterPayload(
                disaster=result[0], household=result[1], care_events_raised=0, errors=[]
            )

    return [HousingMutation]


def renovation_payload(payload: type, result: Any) -> Any:
    if isinstance(result, list):
        return payload(renovation=None, household=None, errors=result)
    return payload(renovation=result[0], household=result[1], errors=[])
