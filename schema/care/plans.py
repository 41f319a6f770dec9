"""GraphQL of one plan per household (一户一策, R4, R5): plans, measures, key problems."""

import datetime as dt
import decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bangfu.core.care.donations import to_yuan
from bangfu.core.care.enums import FundingSource, MeasureStatus, ProblemDomain
from bangfu.core.care.plan_models import AssistancePlan, Measure
from bangfu.core.care.plans import MeasureData, Plans, unanswered_key_problems
from bangfu.core.care.screening_models import Problem
from bangfu.core.db import path_within
from bangfu.core.registry.models import Household
from bangfu.schema.care.common import care_service, key_of, region_path
from bangfu.schema.care.loaders import load, load_many
from bangfu.schema.care.screening import ProblemType
from bangfu.schema.composed import HouseholdType
from bangfu.schema.connections import CURSOR, After, Before, First, Last, Page, paginate
from bangfu.schema.descriptions import ERRORS, INPUT
from bangfu.schema.errors import CoreError
from bangfu.schema.nodes import node_source
from bangfu.schema.permissions import requires
from bangfu.schema.relay import Node, decode_id, to_global_id
from bangfu.schema.scan_cost import SCANS, RegionCode
from bangfu.schema.transactions import run_mutation
from bangfu.schema.types import Organisation


@strawberry.input(
    description="A measure to add to a household's plan (`assistanceMeasureAdd`, 一户一策, R5)."
)
class AssistanceMeasureAddInput:
    household_id: strawberry.ID = strawberry.field(description="The plan is created on first use.")
    domain: ProblemDomain = strawberry.field(description="What the measure is about (R4).")
    description: str = strawberry.field(
        description="What will be done, free text (at most 1,000 characters)."
    )
    problem_ids: list[strawberry.ID] = strawberry.field(description="Problems it answers.")
    responsible_organisation_id: strawberry.ID = strawberry.field(
        description="The global ID of the organisation that carries it out."
    )
    deadline: dt.date = strawberry.field(description="The day by which it should be done.")
    funding_source: FundingSource = strawberry.field(
        description="Who pays: a government programme or social donations (R4)."
    )


@strawberry.input(
    description="A new status for a measure (`assistanceMeasureStatusChange`); DONE and "
    "CANCELLED are final."
)
class AssistanceMeasureStatusChangeInput:
    id: strawberry.ID = strawberry.field(description="The measure's global ID.")
    expected_version: int = strawberry.field(
        description="The `version` you read; a stale one gets VERSION_CONFLICT."
    )
    status: MeasureStatus = strawberry.field(description="The new status.")
    reason: str | None = strawberry.field(default=None, description="Required to cancel.")


@node_source(Measure, read="care:read", loader="care_measure")
@strawberry.type(name="AssistanceMeasure", description="A measure of a household's plan.")
class MeasureType(Node):
    domain: ProblemDomain = strawberry.field(description="What the measure is about (R4).")
    description: str = strawberry.field(description="What will be done, free text.")
    deadline: dt.date = strawberry.field(description="The day by which it should be done.")
    status: MeasureStatus = strawberry.field(description="Where it stands.")
    status_reason: str | None = strawberry.field(description="Why it was cancelled, say.")
    funding_source: FundingSource = strawberry.field(description="Who pays (R4).")
    version: int = strawberry.field(description="Pass as `expectedVersion`.")

    @strawberry.field(description="The global ID of the measure.")  # type: ignore[misc]
    @staticmethod
    def id(root: Measure) -> strawberry.ID:
        return strawberry.ID(to_global_id("AssistanceMeasure", root.id))

    @strawberry.field(description="The problems it answers.")
    @staticmethod
    async def problems(root: Measure, info: Info) -> list[ProblemType]:
        return await load(info, "care_problems_of_measure", root.id)

    @strawberry.field(description="The organisation that carries it out.")
    @staticmethod
    async def responsible_organisation(root: Measure, info: Info) -> Organisation | None:
        return await info.context.loaders["organisation"].load(root.responsible_organisation_id)

    @strawberry.field(description="Donations allocated to it, in yuan (in your area).")
    @staticmethod
    async def allocated(root: Measure, info: Info) -> decimal.Decimal:
        rows = await load(info, "care_allocations_of_measure", root.id)
        return to_yuan(sum(r.amount_fen for r in rows))

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Measure)


@node_source(AssistancePlan, read="care:read")
@strawberry.type(name="AssistancePlan", description="A household's one plan (一户一策).")
class PlanType(Node):
    @strawberry.field(description="The global ID of the plan.")  # type: ignore[misc]
    @staticmethod
    def id(root: AssistancePlan) -> strawberry.ID:
        return strawberry.ID(to_global_id("AssistancePlan", root.id))

    @strawberry.field(description="The household; null when you may not see it.")
    @staticmethod
    async def household(root: AssistancePlan, info: Info) -> HouseholdType | None:
        return await info.context.loaders["household"].load(root.household_id)

    @strawberry.field(description="Every measure of the plan, whatever its status.")
    @staticmethod
    async def measures(root: AssistancePlan, info: Info) -> list[MeasureType]:
        return await load(info, "care_measures_of_plan", root.id)

    @strawberry.field(description="The key problems of the household's latest screening.")
    @staticmethod
    async def key_problems(root: AssistancePlan, info: Info) -> list[ProblemType]:
        rows = await load(info, "care_current_problems", root.household_id)
        return [p for p in rows if p.is_key]

    @strawberry.field(description="Key problems no measure (not cancelled) answers yet.")
    @staticmethod
    async def unanswered_key_problems(root: AssistancePlan, info: Info) -> list[ProblemType]:
        rows = await load(info, "care_current_problems", root.household_id)
        key = [p for p in rows if p.is_key]
        answers = await load_many(info, "care_measures_of_problem", [p.id for p in key])
        return [
            p
            for p, measures in zip(key, answers, strict=True)
            if all(m.status is MeasureStatus.CANCELLED for m in measures)
        ]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, AssistancePlan)


@strawberry.type(name="AssistancePlanEdge", description="An assistance plan and its cursor.")
class AssistancePlanEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: PlanType = strawberry.field(description="The assistance plan.")


@strawberry.type(
    name="AssistancePlanConnection", description="A page of assistance plans, with the total count."
)
class AssistancePlanConnection(Page):
    edges: list[AssistancePlanEdge] = strawberry.field(
        description="The assistance plans of this page with their cursors, in order."
    )
    nodes: list[PlanType] = strawberry.field(
        description="The assistance plans of this page, in order: `edges` without the cursors."
    )


@strawberry.type(name="ProblemEdge", description="A problem and its cursor.")
class ProblemEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: ProblemType = strawberry.field(description="The problem.")


@strawberry.type(name="ProblemConnection", description="A page of problems, with the total count.")
class ProblemConnection(Page):
    edges: list[ProblemEdge] = strawberry.field(
        description="The problems of this page with their cursors, in order."
    )
    nodes: list[ProblemType] = strawberry.field(
        description="The problems of this page, in order: `edges` without the cursors."
    )


@strawberry.type(
    name="AssistanceMeasurePayload",
    description="The result of `assistanceMeasureAdd` or `assistanceMeasureStatusChange`.",
)
class MeasurePayload:
    measure: MeasureType | None = strawberry.field(
        description="The measure as saved, with its new `version`; null when the input was refused."
    )
    assistance_plan: PlanType | None = strawberry.field(
        description="The household's plan after the change; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="Query")
class PlanQuery:
    @strawberry.field(
        description="A household's plan (null: none yet).", extensions=requires("care:read")
    )
    async def assistance_plan(
        self,
        info: Info,
        household_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The household's global ID; null is returned for one you may not see."
            ),
        ],
    ) -> PlanType | None:
        key = key_of(household_id, "Household")
        return None if key < 0 else await load(info, "care_plan_of_household", key)

    @strawberry.field(
        description="Plans in your area, a page at a time.", extensions=requires("care:read")
    )
    async def assistance_plans(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        region_code: RegionCode = None,
    ) -> AssistancePlanConnection:
        statement = select(AssistancePlan)
        path = await region_path(info, region_code)
        if path is not None:
            statement = statement.where(
                AssistancePlan.household_id.in_(
                    select(Household.id).where(path_within(Household.area_path, path))
                )
            )
        return await paginate(
            info.context,
            AssistancePlanConnection,
            AssistancePlanEdge,
            statement,
            AssistancePlan,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="Current key problems that no measure answers yet, with or without a "
        "plan: what the plans still lack (R5).",
        extensions=requires("care:read"),
        metadata=SCANS,  # an anti-join over the area's problems and measures
    )
    async def unanswered_key_problems(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        region_code: RegionCode = None,
    ) -> ProblemConnection:
        statement = unanswered_key_problems()
        path = await region_path(info, region_code)
        if path is not None:
            statement = statement.where(
                Problem.household_id.in_(
                    select(Household.id).where(path_within(Household.area_path, path))
                )
            )
        return await paginate(
            info.context,
            ProblemConnection,
            ProblemEdge,
            statement,
            Problem,
            first=first,
            after=after,
            last=last,
            before=before,
        )


@strawberry.type(name="Mutation")
class PlanMutation:
    @strawberry.mutation(
        description="Add a measure to a household's plan (created on first use).",
        extensions=requires("plan:write"),
    )
    async def assistance_measure_add(
        self, info: Info, input: Annotated[AssistanceMeasureAddInput, INPUT]
    ) -> MeasurePayload:
        async def work(plans: Plans) -> dict[str, Any]:
            data = MeasureData(
                domain=ProblemDomain(input.domain),
                description=input.description,
                problem_ids=[
                    decode_id(p, "Problem", f"input.problemIds.{i}")
                    for i, p in enumerate(input.problem_ids)
                ],
                responsible_organisation_id=decode_id(
                    input.responsible_organisation_id,
                    "Organisation",
                    "input.responsibleOrganisationId",
                ),
                deadline=input.deadline,
                funding_source=FundingSource(input.funding_source),
            )
            household_id = decode_id(input.household_id, "Household", "input.householdId")
            measure = await plans.add_measure(household_id, data)
            return {"measure": measure, "assistance_plan": await plans.plan_of(household_id)}

        return await run_mutation(info, MeasurePayload, work, service=care_service(Plans))

    @strawberry.mutation(
        description="Move a measure on (PLANNED → UNDER_WAY → DONE, or CANCELLED with a "
        "reason); `expectedVersion` guards against lost updates.",
        extensions=requires("plan:write"),
    )
    async def assistance_measure_status_change(
        self, info: Info, input: Annotated[AssistanceMeasureStatusChangeInput, INPUT]
    ) -> MeasurePayload:
        async def work(plans: Plans) -> dict[str, Any]:
            measure = await plans.change_status(
                decode_id(input.id, "AssistanceMeasure", "input.id"),
                input.expected_version,
                MeasureStatus(input.status),
                input.reason,
            )
            plan = await plans.get(AssistancePlan, measure.plan_id, "input.id")
            return {"measure": measure, "assistance_plan": plan}

        return await run_mutation(info, MeasurePayload, work, service=care_service(Plans))
