"""GraphQL of social donations (社会捐助, R4) and their allocations to plan measures."""

import datetime as dt
import decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bangfu.core.care.donation_models import Donation, DonationAllocation
from bangfu.core.care.donations import Donations, to_yuan
from bangfu.core.care.enums import ProblemDomain
from bangfu.core.i18n import _
from bangfu.core.registry.models import Category
from bangfu.schema.care.common import StaffMember, care_service, key_of, staff
from bangfu.schema.care.loaders import load
from bangfu.schema.care.plans import MeasureType
from bangfu.schema.connections import CURSOR, After, Before, First, Last, Page, paginate
from bangfu.schema.descriptions import ERRORS, GLOBAL_ID, INPUT
from bangfu.schema.errors import CoreError
from bangfu.schema.nodes import node_source
from bangfu.schema.permissions import Allowed, Guard, IsAuthenticated, requires
from bangfu.schema.relay import Node, decode_id, to_global_id
from bangfu.schema.transactions import run_mutation
from bangfu.schema.types import Region


@strawberry.input(
    description="A social donation received (`donationRecord`), with what it may be spent on."
)
class DonationRecordInput:
    donor: str = strawberry.field(
        description="Who gave it: a person's or a company's name (at most 200 characters)."
    )
    amount: decimal.Decimal = strawberry.field(description='Yuan, exact (a string "5000.00").')
    received_on: dt.date = strawberry.field(description="The day it was received.")
    region_code: str | None = strawberry.field(
        default=None, description="The area it may be spent in; your own area by default."
    )
    category: Category | None = strawberry.field(
        default=None, description="Only for households with a member of this category."
    )
    domain: ProblemDomain | None = strawberry.field(
        default=None, description="Only for measures of this domain."
    )


@strawberry.input(description="Part of a donation to give to a plan measure (`donationAllocate`).")
class DonationAllocateInput:
    donation_id: strawberry.ID = strawberry.field(description="The donation's global ID.")
    measure_id: strawberry.ID = strawberry.field(
        description="An AssistanceMeasure funded by SOCIAL_DONATION."
    )
    amount: decimal.Decimal = strawberry.field(
        description='Yuan, exact (a string "500.00"), more than 0 and at most what remains '
        "of the donation."
    )
    allocated_on: dt.date | None = strawberry.field(default=None, description="Today by default.")


class RemainderGuard(Allowed):
    """A donation's remainder counts the allocations in every area it may be spent in:
    readers whose area holds the donation's see them all anyway; a narrower area's
    reader sees it only when it allocates (it needs the remainder, and
    ``DONATION_EXCEEDED`` would tell it)."""

    @property
    def message(self) -> str:  # type: ignore[override]
        return _(
            "the remainder of a donation wider than your area needs {action}: it tells "
            "what was allocated elsewhere",
            action=self.action,
        )

    def allows(self, source: Any, info: Info) -> bool:
        actor = info.context.actor
        if actor.sees_everything or (
            actor.area_path is not None and source.area_path.startswith(actor.area_path)
        ):
            return True
        return super().allows(source, info)


@node_source(DonationAllocation, read="care:read")
@strawberry.type(name="DonationAllocation", description="Part of a donation given to a measure.")
class AllocationType(Node):
    allocated_on: dt.date = strawberry.field(description="The day it was allocated.")

    @strawberry.field(description="The global ID of the allocation.")  # type: ignore[misc]
    @staticmethod
    def id(root: DonationAllocation) -> strawberry.ID:
        return strawberry.ID(to_global_id("DonationAllocation", root.id))

    @strawberry.field(description="Yuan.")
    @staticmethod
    def amount(root: DonationAllocation) -> decimal.Decimal:
        return to_yuan(root.amount_fen)

    @strawberry.field(description="The assistance measure it funds; null when you may not see it.")
    @staticmethod
    async def measure(root: DonationAllocation, info: Info) -> MeasureType | None:
        return await load(info, "care_measure", root.measure_id)

    @strawberry.field(description="The user who allocated it.")
    @staticmethod
    async def allocated_by(root: DonationAllocation, info: Info) -> StaffMember | None:
        return await staff(info, root.allocated_by_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, DonationAllocation)


@node_source(Donation, read="care:read", loader="care_donation")
@strawberry.type(name="Donation", description="A social donation (社会捐助, R4).")
class DonationType(Node):
    donor: str = strawberry.field(description="Who gave it.")
    received_on: dt.date = strawberry.field(description="The day it was received.")
    category: Category | None = strawberry.field(description="Restriction, if any.")
    domain: ProblemDomain | None = strawberry.field(description="Restriction, if any.")

    @strawberry.field(description="The global ID of the donation.")  # type: ignore[misc]
    @staticmethod
    def id(root: Donation) -> strawberry.ID:
        return strawberry.ID(to_global_id("Donation", root.id))

    @strawberry.field(description="Yuan.")
    @staticmethod
    def amount(root: Donation) -> decimal.Decimal:
        return to_yuan(root.amount_fen)

    @strawberry.field(
        description="Yuan allocated so far to households in your area (all of it when "
        "your area holds the donation's)."
    )
    @staticmethod
    async def allocated(root: Donation, info: Info) -> decimal.Decimal:
        return to_yuan(await load(info, "care_allocated_of_donation", root.id))

    @strawberry.field(
        description="Yuan still to allocate, wherever: for those whose area holds the "
        "donation's, and for those who allocate (donation:allocate); null with "
        "FORBIDDEN for others, since it tells what was allocated elsewhere.",
        extensions=[
            Guard([IsAuthenticated("donation:allocate"), RemainderGuard("donation:allocate")])
        ],
    )
    @staticmethod
    def remaining(root: Donation) -> decimal.Decimal | None:
        return to_yuan(root.amount_fen - root.allocated_fen)

    @strawberry.field(description="The area it may be spent in.")
    @staticmethod
    async def region(root: Donation, info: Info) -> Region:
        return await info.context.loaders["region"].load(root.region_code)

    @strawberry.field(description="Its allocations in your area.")
    @staticmethod
    async def allocations(root: Donation, info: Info) -> list[AllocationType]:
        return await load(info, "care_allocations_of_donation", root.id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Donation)


@strawberry.type(name="DonationEdge", description="A donation and its cursor.")
class DonationEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: DonationType = strawberry.field(description="The donation.")


@strawberry.type(
    name="DonationConnection", description="A page of donations, with the total count."
)
class DonationConnection(Page):
    edges: list[DonationEdge] = strawberry.field(
        description="The donations of this page with their cursors, in order."
    )
    nodes: list[DonationType] = strawberry.field(
        description="The donations of this page, in order: `edges` without the cursors."
    )


@strawberry.type(name="DonationPayload", description="The result of `donationRecord`.")
class DonationPayload:
    donation: DonationType | None = strawberry.field(
        description="The donation as recorded; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="DonationAllocatePayload", description="The result of `donationAllocate`.")
class DonationAllocatePayload:
    allocation: AllocationType | None = strawberry.field(
        description="The allocation made; null when the input was refused."
    )
    donation: DonationType | None = strawberry.field(
        description="The donation after the allocation (its `remaining` lower); null when the "
        "input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="Query")
class DonationQuery:
    @strawberry.field(description="One donation by global ID.", extensions=requires("care:read"))
    async def donation(
        self, info: Info, id: Annotated[strawberry.ID, GLOBAL_ID]
    ) -> DonationType | None:
        key = key_of(id, "Donation")
        return None if key < 0 else await load(info, "care_donation", key)

    @strawberry.field(
        description="Donations for your area or an area around it, newest first.",
        extensions=requires("care:read"),
    )
    async def donations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> DonationConnection:
        return await paginate(
            info.context,
            DonationConnection,
            DonationEdge,
            select(Donation),
            Donation,
            first=first,
            after=after,
            last=last,
            before=before,
            newest_first=True,
        )


@strawberry.type(name="Mutation")
class DonationMutation:
    @strawberry.mutation(
        description="Record a social donation with its restrictions.",
        extensions=requires("donation:write"),
    )
    async def donation_record(
        self, info: Info, input: Annotated[DonationRecordInput, INPUT]
    ) -> DonationPayload:
        async def work(donations: Donations) -> Donation:
            return await donations.record(
                input.donor,
                input.amount,
                input.received_on,
                input.region_code,
                None if input.category is None else Category(input.category),
                None if input.domain is None else ProblemDomain(input.domain),
            )

        return await run_mutation(info, DonationPayload, work, service=care_service(Donations))

    @strawberry.mutation(
        description="Allocate part of a donation to a measure; never more than remains "
        "(DONATION_EXCEEDED), even under concurrent requests.",
        extensions=requires("donation:allocate"),
    )
    async def donation_allocate(
        self, info: Info, input: Annotated[DonationAllocateInput, INPUT]
    ) -> DonationAllocatePayload:
        async def work(donations: Donations) -> dict[str, Any]:
            allocation = await donations.allocate(
                decode_id(input.donation_id, "Donation", "input.donationId"),
                decode_id(input.measure_id, "AssistanceMeasure", "input.measureId"),
                input.amount,
                input.allocated_on,
            )
            donation = await donations.get(Donation, allocation.donation_id, "input.donationId")
            return {"allocation": allocation, "donation": donation}

        return await run_mutation(
            info, DonationAllocatePayload, work, service=care_service(Donations)
        )
