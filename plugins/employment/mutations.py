"""Mutations of the employment plugin: noun first, one input, a payload with ``errors``.

Each runs in one transaction (``bangfu.plugin.run_mutation``) through the use cases of
``bangfu.plugins.employment.service``; bad input becomes ``EmploymentError`` items and changes
nothing. Every mutation needs ``employment:write``: the employment department's
officers and city administrators.
"""

import datetime as dt
import decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.plugin import decode_id, requires, run_mutation
from bangfu.plugins.employment.models import UnableReason, WorkStatus
from bangfu.plugins.employment.service import Employment, StatusData
from bangfu.plugins.employment.types import (
    EmploymentError,
    EmploymentPlacement,
    EmploymentStatus,
    EmploymentTraining,
    EmploymentWelfarePost,
)

MONEY = 'Yuan, exact: a string such as "2350.00" (at most two decimal places).'


@strawberry.input(description="Why a person cannot work (sensitive).")
class EmploymentUnableToWorkInput:
    reason: UnableReason = strawberry.field(description="Why the person cannot work.")
    disability_grade: int | None = strawberry.field(
        default=None, description="1 to 4 (GB/T 26341); required when the reason is DISABILITY."
    )
    detail: str | None = strawberry.field(
        default=None, description="A note on why, in words; at most 200 characters."
    )


@strawberry.input(description="A new work status; the current one ends the day before.")
class EmploymentStatusRecordInput:
    person_id: strawberry.ID = strawberry.field(description="The person (a Person ID).")
    status: WorkStatus = strawberry.field(
        description="The new status. EMPLOYED, SELF_EMPLOYED, SEEKING_WORK and IN_TRAINING "
        "need a person 16 or older on `since` (Labour Law art. 15)."
    )
    since: dt.date | None = strawberry.field(
        default=None, description="Today by default; after the current status's `since`."
    )
    employer: str | None = strawberry.field(
        default=None, description="Required for EMPLOYED; the business for SELF_EMPLOYED."
    )
    monthly_income: decimal.Decimal | None = strawberry.field(
        default=None, description=f"EMPLOYED or SELF_EMPLOYED only. {MONEY}"
    )
    unable_to_work: EmploymentUnableToWorkInput | None = strawberry.field(
        default=None, description="Required for UNABLE_TO_WORK, refused otherwise."
    )


@strawberry.input(
    description="A vocational training (职业技能培训) a person attends or will attend; one at "
    "a time per person."
)
class EmploymentTrainingRecordInput:
    person_id: strawberry.ID = strawberry.field(
        description="The person (a Person ID), 16 or older on `startDate`."
    )
    course: str = strawberry.field(description="The course; 1 to 200 characters.")
    provider: str = strawberry.field(description="Who gives it; 1 to 200 characters.")
    start_date: dt.date = strawberry.field(description="The first day; it may be to come.")
    end_date: dt.date | None = strawberry.field(default=None, description="The planned last day.")


@strawberry.input(description="Mark a training completed.")
class EmploymentTrainingCompleteInput:
    id: strawberry.ID = strawberry.field(description="The training (an EmploymentTraining ID).")
    end_date: dt.date | None = strawberry.field(
        default=None, description="The last day: the planned end, else today, by default."
    )


@strawberry.input(
    description="A job the person was placed in (就业安置); one at a time per person."
)
class EmploymentPlacementRecordInput:
    person_id: strawberry.ID = strawberry.field(
        description="The person (a Person ID), 16 or older on `startDate`."
    )
    employer: str = strawberry.field(description="The employer; 1 to 200 characters.")
    post: str = strawberry.field(description="The job; 1 to 200 characters.")
    start_date: dt.date = strawberry.field(description="The first day; it may be to come.")
    end_date: dt.date | None = strawberry.field(
        default=None, description="The last day; omit it while the job lasts."
    )
    monthly_wage: decimal.Decimal = strawberry.field(description=f"More than 0. {MONEY}")
    update_status: bool = strawberry.field(
        default=True,
        description="When the job is under way today, make the work status EMPLOYED from "
        "`startDate` (unless a newer status is on record).",
    )


@strawberry.input(
    description="A public-welfare post (公益性岗位) for a fixed period; one at a time per person."
)
class EmploymentWelfarePostAssignInput:
    person_id: strawberry.ID = strawberry.field(
        description="The person (a Person ID), 16 or older on `startDate`."
    )
    post: str = strawberry.field(description="The post, such as 村保洁员 or 护林员.")
    monthly_subsidy: decimal.Decimal = strawberry.field(description=f"More than 0. {MONEY}")
    start_date: dt.date = strawberry.field(description="The first day; it may be to come.")
    end_date: dt.date = strawberry.field(description="The end of the fixed period.")
    update_status: bool = strawberry.field(
        default=True,
        description="When the post is held today, make the work status EMPLOYED from "
        "`startDate` (unless a newer status is on record).",
    )


@strawberry.type(description="What `employmentStatusRecord` answers.")
class EmploymentStatusPayload:
    work_status: EmploymentStatus | None = strawberry.field(
        description="The status recorded; null when `errors` is not empty."
    )
    errors: list[EmploymentError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(
    description="What `employmentTrainingRecord` and `employmentTrainingComplete` answer."
)
class EmploymentTrainingPayload:
    training: EmploymentTraining | None = strawberry.field(
        description="The training recorded or completed; null when `errors` is not empty."
    )
    errors: list[EmploymentError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(description="What `employmentPlacementRecord` answers.")
class EmploymentPlacementPayload:
    placement: EmploymentPlacement | None = strawberry.field(
        description="The placement recorded; null when `errors` is not empty."
    )
    work_status: EmploymentStatus | None = strawberry.field(
        description="The person's current work status after the change."
    )
    errors: list[EmploymentError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(description="What `employmentWelfarePostAssign` answers.")
class EmploymentWelfarePostPayload:
    welfare_post: EmploymentWelfarePost | None = strawberry.field(
        description="The post assigned; null when `errors` is not empty."
    )
    work_status: EmploymentStatus | None = strawberry.field(
        description="The person's current work status after the change."
    )
    errors: list[EmploymentError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


def use_cases(session: AsyncSession, context: Any) -> Employment:
    """The use cases in the mutation's transaction, as the request's actor."""
    return Employment(session, context.actor, context.cipher, context.today)


def person_key(global_id: strawberry.ID) -> int:
    return decode_id(global_id, "Person", "input.personId")


@strawberry.type
class EmploymentMutation:
    @strawberry.mutation(
        description="Record a person's work status (history is kept: the current status "
        "ends the day before the new one begins).",
        extensions=requires("employment:write"),
    )
    async def employment_status_record(
        self,
        info: Info,
        input: Annotated[
            EmploymentStatusRecordInput,
            strawberry.argument(description="The person and their new status."),
        ],
    ) -> EmploymentStatusPayload:
        unable = input.unable_to_work

        async def work(employment: Employment) -> Any:
            data = StatusData(
                status=WorkStatus(input.status),
                since=input.since or employment.today,
                employer=input.employer,
                monthly_income=input.monthly_income,
                unable_reason=UnableReason(unable.reason) if unable else None,
                disability_grade=unable.disability_grade if unable else None,
                reason_detail=unable.detail if unable else None,
            )
            return await employment.record_status(person_key(input.person_id), data)

        return await run_mutation(info, EmploymentStatusPayload, work, service=use_cases)

    @strawberry.mutation(
        description="Record a vocational training a person attends or will attend.",
        extensions=requires("employment:write"),
    )
    async def employment_training_record(
        self,
        info: Info,
        input: Annotated[
            EmploymentTrainingRecordInput,
            strawberry.argument(description="The person and the training."),
        ],
    ) -> EmploymentTrainingPayload:
        async def work(employment: Employment) -> Any:
            return await employment.record_training(
                person_key(input.person_id),
                input.course,
                input.provider,
                input.start_date,
                input.end_date,
            )

        return await run_mutation(info, EmploymentTrainingPayload, work, service=use_cases)

    @strawberry.mutation(
        description="Mark a training completed.", extensions=requires("employment:write")
    )
    async def employment_training_complete(
        self,
        info: Info,
        input: Annotated[
            EmploymentTrainingCompleteInput,
            strawberry.argument(description="The training and its last day."),
        ],
    ) -> EmploymentTrainingPayload:
        async def work(employment: Employment) -> Any:
            training_id = decode_id(input.id, "EmploymentTraining", "input.id")
            return await employment.complete_training(training_id, input.end_date)

        return await run_mutation(info, EmploymentTrainingPayload, work, service=use_cases)

    @strawberry.mutation(
        description="Record a job placement (one at a time per person).",
        extensions=requires("employment:write"),
    )
    async def employment_placement_record(
        self,
        info: Info,
        input: Annotated[
            EmploymentPlacementRecordInput,
            strawberry.argument(description="The person and the job."),
        ],
    ) -> EmploymentPlacementPayload:
        async def work(employment: Employment) -> Any:
            person_id = person_key(input.person_id)
            placement = await employment.record_placement(
                person_id,
                input.employer,
                input.post,
                input.start_date,
                input.end_date,
                input.monthly_wage,
                update_status=input.update_status,
            )
            return {
                "placement": placement,
                "work_status": await employment.current_status(person_id),
            }

        return await run_mutation(info, EmploymentPlacementPayload, work, service=use_cases)

    @strawberry.mutation(
        description="Assign a public-welfare post (公益性岗位) for a period (one at a time).",
        extensions=requires("employment:write"),
    )
    async def employment_welfare_post_assign(
        self,
        info: Info,
        input: Annotated[
            EmploymentWelfarePostAssignInput,
            strawberry.argument(description="The person and the post."),
        ],
    ) -> EmploymentWelfarePostPayload:
        async def work(employment: Employment) -> Any:
            person_id = person_key(input.person_id)
            welfare_post = await employment.assign_welfare_post(
                person_id,
                input.post,
                input.monthly_subsidy,
                input.start_date,
                input.end_date,
                update_status=input.update_status,
            )
            return {
                "welfare_post": welfare_post,
                "work_status": await employment.current_status(person_id),
            }

        return await run_mutation(info, EmploymentWelfarePostPayload, work, service=use_cases)
