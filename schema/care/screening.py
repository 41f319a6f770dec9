"""GraphQL of screening campaigns (排查, R5, R7): campaigns, visits, problems, coverage."""

import datetime as dt
from typing import Annotated, Any

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from bangfu.core.care.enums import MeasureStatus, ProblemDomain, Severity, VisitOutcome
from bangfu.core.care.screening import (
    CoverageRow,
    ProblemData,
    Screening,
    coverage_statement,
    not_yet_visited,
)
from bangfu.core.care.screening_models import (
    Problem,
    ScreeningCampaign,
    ScreeningTarget,
    ScreeningVisit,
)
from bangfu.core.registry import models
from bangfu.core.registry.models import Household
from bangfu.core.security.masking import SENSITIVE_TEXT
from bangfu.schema.care.common import StaffMember, care_service, key_of, region_path, staff
from bangfu.schema.care.loaders import load
from bangfu.schema.care.notes import note_access
from bangfu.schema.composed import HouseholdConnection, HouseholdEdge, HouseholdType, PersonType
from bangfu.schema.connections import CURSOR, After, Before, First, Last, Page, paginate
from bangfu.schema.descriptions import ERRORS, GLOBAL_ID, INPUT
from bangfu.schema.errors import CoreError
from bangfu.schema.nodes import node_source
from bangfu.schema.permissions import requires
from bangfu.schema.relay import Node, decode_id, to_global_id
from bangfu.schema.scan_cost import SCANS, RegionCode
from bangfu.schema.transactions import run_mutation
from bangfu.schema.types import Organisation, Region


@strawberry.type(
    name="ScreeningCoverage",
    description="A region's coverage: the frozen targets and how their latest visits went.",
)
class ScreeningCoverage:
    region_code: strawberry.Private[str | None]
    targets: int = strawberry.field(
        description="Target households (frozen when the campaign was created)."
    )
    visited: int = strawberry.field(description="Targets whose latest visit was VISITED.")
    not_found: int = strawberry.field(description="Targets whose latest visit was NOT_FOUND.")
    refused: int = strawberry.field(description="Targets whose latest visit was REFUSED.")
    not_yet_visited: int = strawberry.field(description="Targets with no visit yet.")

    @strawberry.field(description="The region (null for the totals).")
    async def region(self, info: Info) -> Region | None:
        if self.region_code is None:
            return None
        return await info.context.loaders["region"].load(self.region_code)

    @staticmethod
    def of(row: CoverageRow | None) -> "ScreeningCoverage":
        if row is None:
            return ScreeningCoverage(
                region_code=None, targets=0, visited=0, not_found=0, refused=0, not_yet_visited=0
            )
        return ScreeningCoverage(
            region_code=row.region_code,
            targets=row.targets,
            visited=row.visited,
            not_found=row.not_found,
            refused=row.refused,
            not_yet_visited=row.not_yet_visited,
        )


@strawberry.input(description="A problem the visit found.")
class ProblemInput:
    domain: ProblemDomain = strawberry.field(description="What the problem is about (R4).")
    description: str = strawberry.field(
        description="What was found, in the visitor's words (at most 1,000 characters): "
        "sensitive (PIPL art. 28), masked in the audit trail.",
        metadata=SENSITIVE_TEXT,
    )
    severity: Severity = strawberry.field(description="How serious it is.")
    is_key: bool = strawberry.field(default=False, description="A key problem (重点问题).")
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member concerned; makes them a key person if key."
    )


@strawberry.input(description="A new screening campaign (`screeningCampaignCreate`, 排查, R5).")
class ScreeningCampaignCreateInput:
    name: str = strawberry.field(
        description="A name for people, `2026 春季排查` say (at most 200 characters)."
    )
    region_code: str = strawberry.field(description="The target area.")
    starts_on: dt.date = strawberry.field(description="Targets: hardship members on this day.")
    ends_on: dt.date = strawberry.field(description="The last day of the campaign.")


@strawberry.input(
    description="A visit to a target household (`screeningVisitRecord`), with what it found."
)
class ScreeningVisitRecordInput:
    campaign_id: strawberry.ID = strawberry.field(description="The campaign's global ID.")
    household_id: strawberry.ID = strawberry.field(
        description="The global ID of one of the campaign's target households."
    )
    visited_on: dt.date = strawberry.field(description="The day of the visit.")
    outcome: VisitOutcome = strawberry.field(description="How the visit went.")
    notes: str | None = strawberry.field(
        default=None,
        description="The visitor's notes, free text: sensitive (PIPL art. 28), masked in the "
        "audit trail.",
        metadata=SENSITIVE_TEXT,
    )
    organisation_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who visited; your own organisation by default."
    )
    problems: list[ProblemInput] = strawberry.field(
        default_factory=list, description="Only for VISITED; replaces the household's problems."
    )


@node_source(Problem, read="care:read")
@strawberry.type(name="Problem", description="A problem found by screening (R5).")
class ProblemType(Node):
    domain: ProblemDomain = strawberry.field(description="What the problem is about (R4).")
    description: str | None = strawberry.field(
        description="What was found, in the visitor's words: sensitive (PIPL art. 28), "
        "only with registry:read-sensitive; null with FORBIDDEN otherwise.",
        extensions=note_access("Problem", "description"),
    )
    severity: Severity = strawberry.field(description="How serious it is.")
    is_key: bool = strawberry.field(description="A key problem (重点问题).")

    @strawberry.field(description="The global ID of the problem.")  # type: ignore[misc]
    @staticmethod
    def id(root: Problem) -> strawberry.ID:
        return strawberry.ID(to_global_id("Problem", root.id))

    @strawberry.field(
        description="The household the problem was found in (every problem has one; "
        "`person` names the member concerned, when the problem is one member's). null only "
        "when you may not see the household."
    )
    @staticmethod
    async def household(root: Problem, info: Info) -> HouseholdType | None:
        return await info.context.loaders["household"].load(root.household_id)

    @strawberry.field(description="The member concerned, if any.")
    @staticmethod
    async def person(root: Problem, info: Info) -> PersonType | None:
        if root.person_id is None:
            return None
        return await info.context.loaders["person"].load(root.person_id)

    @strawberry.field(description="Whether a measure that is not cancelled answers it.")
    @staticmethod
    async def answered(root: Problem, info: Info) -> bool:
        measures = await load(info, "care_measures_of_problem", root.id)
        return any(m.status is not MeasureStatus.CANCELLED for m in measures)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Problem)


@node_source(ScreeningVisit, read="care:read", loader="care_visit")
@strawberry.type(name="ScreeningVisit", description="A screening visit of a household.")
class ScreeningVisitType(Node):
    visited_on: dt.date = strawberry.field(description="The day of the visit.")
    outcome: VisitOutcome = strawberry.field(description="How the visit went.")
    notes: str | None = strawberry.field(
        description="The visitor's notes: sensitive (PIPL art. 28), only with "
        "registry:read-sensitive; null with FORBIDDEN otherwise.",
        extensions=note_access("ScreeningVisit", "notes"),
    )

    @strawberry.field(description="The global ID of the visit.")  # type: ignore[misc]
    @staticmethod
    def id(root: ScreeningVisit) -> strawberry.ID:
        return strawberry.ID(to_global_id("ScreeningVisit", root.id))

    @strawberry.field(description="The household visited; null when you may not see it.")
    @staticmethod
    async def household(root: ScreeningVisit, info: Info) -> HouseholdType | None:
        return await info.context.loaders["household"].load(root.household_id)

    @strawberry.field(description="The user who recorded the visit.")
    @staticmethod
    async def visitor(root: ScreeningVisit, info: Info) -> StaffMember | None:
        return await staff(info, root.visitor_id)

    @strawberry.field(description="The organisation that visited.")
    @staticmethod
    async def organisation(root: ScreeningVisit, info: Info) -> Organisation | None:
        return await info.context.loaders["organisation"].load(root.organisation_id)

    @strawberry.field(description="The problems the visit found (none unless VISITED).")
    @staticmethod
    async def problems(root: ScreeningVisit, info: Info) -> list[ProblemType]:
        return await load(info, "care_problems_of_visit", root.id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, ScreeningVisit)


@strawberry.type(name="ScreeningVisitEdge", description="A screening visit and its cursor.")
class ScreeningVisitEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: ScreeningVisitType = strawberry.field(description="The screening visit.")


@strawberry.type(
    name="ScreeningVisitConnection", description="A page of screening visits, with the total count."
)
class ScreeningVisitConnection(Page):
    edges: list[ScreeningVisitEdge] = strawberry.field(
        description="The screening visits of this page with their cursors, in order."
    )
    nodes: list[ScreeningVisitType] = strawberry.field(
        description="The screening visits of this page, in order: `edges` without the cursors."
    )


@node_source(ScreeningCampaign, read="care:read", loader="care_campaign")
@strawberry.type(name="ScreeningCampaign", description="A screening campaign (排查, R5).")
class ScreeningCampaignType(Node):
    name: str = strawberry.field(description="The campaign's name, for people.")
    starts_on: dt.date = strawberry.field(
        description="The first day: the targets are the households with a hardship member "
        "on this day."
    )
    ends_on: dt.date = strawberry.field(description="The last day of the campaign.")

    @strawberry.field(description="The global ID of the campaign.")  # type: ignore[misc]
    @staticmethod
    def id(root: ScreeningCampaign) -> strawberry.ID:
        return strawberry.ID(to_global_id("ScreeningCampaign", root.id))

    @strawberry.field(description="The target area.")
    @staticmethod
    async def region(root: ScreeningCampaign, info: Info) -> Region:
        return await info.context.loaders["region"].load(root.region_code)

    @strawberry.field(
        description="Coverage per region of `level` (one SQL aggregate), optionally only "
        "below `regionCode`; only targets in your area are counted.",
        metadata=SCANS,
    )
    @staticmethod
    async def coverage(
        root: ScreeningCampaign,
        info: Info,
        level: Annotated[
            models.RegionLevel,
            strawberry.argument(
                description="The level to count by: one entry per region of this level."
            ),
        ],
        region_code: RegionCode = None,
    ) -> list[ScreeningCoverage]:
        within = await region_path(info, region_code)
        statement = coverage_statement(root.id, models.RegionLevel(level), within)
        async with info.context.read() as session:
            rows = (await session.execute(statement)).all()
        return [ScreeningCoverage.of(CoverageRow(*row)) for row in rows]

    @strawberry.field(description="Coverage of every target in your area together.", metadata=SCANS)
    @staticmethod
    async def totals(root: ScreeningCampaign, info: Info) -> ScreeningCoverage:
        statement = coverage_statement(root.id, models.RegionLevel.CITY)
        async with info.context.read() as session:
            rows = (await session.execute(statement)).all()
        return ScreeningCoverage.of(CoverageRow(*rows[0]) if rows else None)

    @strawberry.field(
        description="Target households nobody has visited yet, in your area.",
        metadata=SCANS,  # an anti-join over the campaign's targets
    )
    @staticmethod
    async def households_not_visited(
        root: ScreeningCampaign,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> HouseholdConnection:
        return await paginate(
            info.context,
            HouseholdConnection,
            HouseholdEdge,
            not_yet_visited(root.id),
            Household,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="The campaign's visits in your area, oldest first.")
    @staticmethod
    async def visits(
        root: ScreeningCampaign,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ScreeningVisitConnection:
        statement = select(ScreeningVisit).where(ScreeningVisit.campaign_id == root.id)
        return await paginate(
            info.context,
            ScreeningVisitConnection,
            ScreeningVisitEdge,
            statement,
            ScreeningVisit,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, ScreeningCampaign)


@strawberry.type(name="ScreeningCampaignEdge", description="A screening campaign and its cursor.")
class ScreeningCampaignEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: ScreeningCampaignType = strawberry.field(description="The screening campaign.")


@strawberry.type(
    name="ScreeningCampaignConnection",
    description="A page of screening campaigns, with the total count.",
)
class ScreeningCampaignConnection(Page):
    edges: list[ScreeningCampaignEdge] = strawberry.field(
        description="The screening campaigns of this page with their cursors, in order."
    )
    nodes: list[ScreeningCampaignType] = strawberry.field(
        description="The screening campaigns of this page, in order: `edges` without the cursors."
    )


@strawberry.type(
    name="ScreeningCampaignPayload", description="The result of `screeningCampaignCreate`."
)
class ScreeningCampaignPayload:
    screening_campaign: ScreeningCampaignType | None = strawberry.field(
        description="The campaign created; null when the input was refused."
    )
    target_count: int | None = strawberry.field(description="Households frozen as targets.")
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="ScreeningVisitPayload", description="The result of `screeningVisitRecord`.")
class ScreeningVisitPayload:
    screening_visit: ScreeningVisitType | None = strawberry.field(
        description="The visit recorded; null when the input was refused."
    )
    household: HouseholdType | None = strawberry.field(
        description="The household after the visit, its key flags (重点户, 重点人) updated; "
        "null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="Query")
class ScreeningQuery:
    @strawberry.field(description="One campaign by global ID.", extensions=requires("care:read"))
    async def screening_campaign(
        self, info: Info, id: Annotated[strawberry.ID, GLOBAL_ID]
    ) -> ScreeningCampaignType | None:
        key = key_of(id, "ScreeningCampaign")
        return None if key < 0 else await load(info, "care_campaign", key)

    @strawberry.field(
        description="Campaigns over your area or an area around it, newest first.",
        extensions=requires("care:read"),
    )
    async def screening_campaigns(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ScreeningCampaignConnection:
        return await paginate(
            info.context,
            ScreeningCampaignConnection,
            ScreeningCampaignEdge,
            select(ScreeningCampaign),
            ScreeningCampaign,
            first=first,
            after=after,
            last=last,
            before=before,
            newest_first=True,
        )


@strawberry.type(name="Mutation")
class ScreeningMutation:
    @strawberry.mutation(
        description="Start a campaign; its targets are frozen now: every household in the "
        "area with a member holding a hardship category on `startsOn`.",
        extensions=requires("screening:write"),
    )
    async def screening_campaign_create(
        self, info: Info, input: Annotated[ScreeningCampaignCreateInput, INPUT]
    ) -> ScreeningCampaignPayload:
        async def work(screening: Screening) -> dict[str, Any]:
            campaign = await screening.create_campaign(
                input.name, input.region_code, input.starts_on, input.ends_on
            )
            count = await screening.session.scalar(
                select(func.count(ScreeningTarget.id)).where(
                    ScreeningTarget.campaign_id == campaign.id
                )
            )
            return {"screening_campaign": campaign, "target_count": int(count or 0)}

        return await run_mutation(
            info, ScreeningCampaignPayload, work, service=care_service(Screening)
        )

    @strawberry.mutation(
        description="Record a screening visit; a visit that met the household sets or "
        "clears the key-household and key-person flags from the problems found.",
        extensions=requires("screening:visit"),
    )
    async def screening_visit_record(
        self, info: Info, input: Annotated[ScreeningVisitRecordInput, INPUT]
    ) -> ScreeningVisitPayload:
        async def work(screening: Screening) -> dict[str, Any]:
            problems = [
                ProblemData(
                    domain=ProblemDomain(p.domain),
                    description=p.description,
                    severity=Severity(p.severity),
                    is_key=p.is_key,
                    person_id=None
                    if p.person_id is None
                    else decode_id(p.person_id, "Person", f"input.problems.{i}.personId"),
                )
                for i, p in enumerate(input.problems)
            ]
            household_id = decode_id(input.household_id, "Household", "input.householdId")
            visit = await screening.record_visit(
                decode_id(input.campaign_id, "ScreeningCampaign", "input.campaignId"),
                household_id,
                input.visited_on,
                VisitOutcome(input.outcome),
                input.notes,
                problems,
                None
                if input.organisation_id is None
                else decode_id(input.organisation_id, "Organisation", "input.organisationId"),
            )
            household = await screening.get(Household, household_id, "input.householdId")
            return {"screening_visit": visit, "household": household}

        return await run_mutation(
            info, ScreeningVisitPayload, work, service=care_service(Screening)
        )
