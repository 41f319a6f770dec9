"""Mutations of the education plugin: noun first, one input, a payload with ``errors``.

Each runs its use case (``bangfu.plugins.education.service``) in one transaction through
``bangfu.plugin.run_mutation``: bad input comes back as ``errors`` (``EducationError``) and
changes nothing. Only the education department and city administrators hold
``education:write``; the write session is area-scoped, so a child outside the actor's
area is ``NOT_FOUND``.
"""

import datetime as dt
import decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core.i18n import _
from bangfu.core.registry.service import Registry
from bangfu.plugin import DomainError, decode_id, requires, run_mutation
from bangfu.plugins.education.models import AidKind, EnrolmentStatus, FundingSource, SchoolStage
from bangfu.plugins.education.service import AidData, Education, EducationErrorCode, EnrolmentData
from bangfu.plugins.education.types import EducationAid, EducationEnrolment, EducationError

WRITE = "education:write"


@strawberry.input(
    name="EducationEnrolmentRecordInput",
    description="A period of a child's schooling: current (no `endDate`) or past.",
)
class EducationEnrolmentRecordInput:
    person_id: strawberry.ID = strawberry.field(description="The child (a Person ID).")
    status: EnrolmentStatus = strawberry.field(
        default=EnrolmentStatus.ENROLLED,
        description="DROPPED_OUT raises a school-dropout care event for the child.",
    )
    start_date: dt.date = strawberry.field(description="The first day of the period.")
    school_name: str | None = strawberry.field(
        default=None, description="Required unless the status is NOT_YET_OF_SCHOOL_AGE."
    )
    school_region_code: str | None = strawberry.field(
        default=None, description="The school's region (any region of the city)."
    )
    stage: SchoolStage | None = strawberry.field(
        default=None, description="Required unless the status is NOT_YET_OF_SCHOOL_AGE."
    )
    grade: int | None = strawberry.field(
        default=None, description="1 to 6 in PRIMARY, 1 to 3 in the secondary stages, ..."
    )
    end_date: dt.date | None = strawberry.field(
        default=None, description="For a past period: the day it ended (not in the future)."
    )
    end_reason: str | None = strawberry.field(
        default=None,
        description="For a past period: why it ended, in words (at most 200 characters).",
    )


@strawberry.input(
    name="EducationEnrolmentEndInput", description="End a child's current period of schooling."
)
class EducationEnrolmentEndInput:
    person_id: strawberry.ID = strawberry.field(description="The child (a Person ID).")
    end_date: dt.date = strawberry.field(
        description="The day the child left (not before the start, not in the future)."
    )
    status: EnrolmentStatus | None = strawberry.field(
        default=None,
        description="How it ended: GRADUATED, DROPPED_OUT (raises a school-dropout care "
        "event), ...; omit to keep the status (a transfer to another school).",
    )
    reason: str | None = strawberry.field(
        default=None,
        description="Why it ended, in words (外出务工, a transfer, ...); at most 200 characters.",
    )


@strawberry.input(name="EducationAidGrantInput", description="Education aid granted to a child.")
class EducationAidGrantInput:
    person_id: strawberry.ID = strawberry.field(description="The child (a Person ID).")
    kind: AidKind = strawberry.field(description="The kind of aid.")
    amount: decimal.Decimal = strawberry.field(
        description='Yuan, more than 0, at most 2 decimals: a string such as "1250.00".'
    )
    granted_on: dt.date = strawberry.field(
        description="The day the aid was granted; not in the future."
    )
    funding_source: FundingSource = strawberry.field(
        description="Where the money came from: name the `programme` or the `donor` with it."
    )
    programme: str | None = strawberry.field(
        default=None, description="The government programme; required for GOVERNMENT_PROGRAMME."
    )
    donor: str | None = strawberry.field(
        default=None, description="The donor; required for SOCIAL_DONATION."
    )
    granting_organisation_id: strawberry.ID = strawberry.field(
        description="The Organisation that granted the aid."
    )
    note: str | None = strawberry.field(
        default=None, description="A free note; at most 500 characters."
    )


@strawberry.type(
    name="EducationEnrolmentPayload",
    description="What `educationEnrolmentRecord` and `educationEnrolmentEnd` answer.",
)
class EducationEnrolmentPayload:
    enrolment: EducationEnrolment | None = strawberry.field(
        description="The period recorded or ended; null when `errors` is not empty."
    )
    errors: list[EducationError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(name="EducationAidPayload", description="What `educationAidGrant` answers.")
class EducationAidPayload:
    aid: EducationAid | None = strawberry.field(
        description="The aid recorded; null when `errors` is not empty."
    )
    errors: list[EducationError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


def use_cases(session: AsyncSession, context: Any) -> Education:
    """The use cases in the mutation's transaction, as the request's actor."""
    return Education(Registry(session, context.actor, context.cipher), context.host, context.today)


def person_id(value: strawberry.ID) -> int:
    return decode_id(value, "Person", "input.personId")


def organisation_id(value: strawberry.ID) -> int:
    field = "input.grantingOrganisationId"
    try:
        return decode_id(value, "Organisation", field)
    except DomainError as exc:
        raise DomainError.of(
            field, _("no Organisation with this ID"), EducationErrorCode.UNKNOWN_ORGANISATION
        ) from exc


@strawberry.type
class EducationMutation:
    @strawberry.mutation(
        description="Record a period of a child's schooling (education department).",
        extensions=requires(WRITE),
    )
    async def education_enrolment_record(
        self,
        info: Info,
        input: Annotated[
            EducationEnrolmentRecordInput,
            strawberry.argument(description="The period and the child it belongs to."),
        ],
    ) -> EducationEnrolmentPayload:
        async def work(education: Education) -> Any:
            return await education.record_enrolment(
                EnrolmentData(
                    person_id=person_id(input.person_id),
                    status=EnrolmentStatus(input.status),
                    start_date=input.start_date,
                    school_name=input.school_name,
                    school_region_code=input.school_region_code,
                    stage=None if input.stage is None else SchoolStage(input.stage),
                    grade=input.grade,
                    end_date=input.end_date,
                    end_reason=input.end_reason,
                )
            )

        return await run_mutation(info, EducationEnrolmentPayload, work, service=use_cases)

    @strawberry.mutation(
        description="End a child's current period of schooling (education department).",
        extensions=requires(WRITE),
    )
    async def education_enrolment_end(
        self,
        info: Info,
        input: Annotated[
            EducationEnrolmentEndInput,
            strawberry.argument(description="The child, the day and how the period ended."),
        ],
    ) -> EducationEnrolmentPayload:
        async def work(education: Education) -> Any:
            return await education.end_enrolment(
                person_id(input.person_id),
                input.end_date,
                None if input.status is None else EnrolmentStatus(input.status),
                input.reason,
            )

        return await run_mutation(info, EducationEnrolmentPayload, work, service=use_cases)

    @strawberry.mutation(
        description="Record education aid granted to a child (education department).",
        extensions=requires(WRITE),
    )
    async def education_aid_grant(
        self,
        info: Info,
        input: Annotated[
            EducationAidGrantInput, strawberry.argument(description="The aid and the child.")
        ],
    ) -> EducationAidPayload:
        async def work(education: Education) -> Any:
            return await education.grant_aid(
                AidData(
                    person_id=person_id(input.person_id),
                    kind=AidKind(input.kind),
                    amount=input.amount,
                    granted_on=input.granted_on,
                    funding_source=FundingSource(input.funding_source),
                    granting_organisation_id=organisation_id(input.granting_organisation_id),
                    programme=input.programme,
                    donor=input.donor,
                    note=input.note,
                )
            )

        return await run_mutation(info, EducationAidPayload, work, service=use_cases)
