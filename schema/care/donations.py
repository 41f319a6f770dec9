"""GraphQL of social donations (社会捐助, R4) and their allocations to plan measures."""

import datetime as dt
import decimal
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bangfu.core.care.donation_models import Donation, DonationAllocation
from bangfu.core.care.donations import Donations, to_yuan
from bangfu.core.care.enums import ProblemDomain
from bangfu.core.registry.models import Category
from bangfu.schema.care.common import StaffMember, key_of, run, staff
from bangfu.schema.care.loaders import load
from bangfu.schema.connections import connection_types, paginate
from bangfu.schema.errors import CoreError
from bangfu.schema.permissions import Allowed, Guard, IsAuthenticated, requires
from bangfu.schema.relay import decode_id, to_global_id
from bangfu.schema.types import Region


@strawberry.input
class DonationRecordInput:
    donor: str
    amount: decimal.Decimal = strawberry.field(description='Yuan, exact (a string "5000.00").')
    received_on: dt.date
    region_code: str | None = strawberry.field(
        default=None, description="The area it may be spent in; your own area by default."
    )
    category: Category | None = strawberry.field(
        default=None, description="Only for households with a member of this category."
    )
    domain: ProblemDomain | None = strawberry.field(
        default=None, description="Only for measures of this domain."
    )


@strawberry.input
class DonationAllocateInput:
    donation_id: strawberry.ID
    measure_id: strawberry.ID = strawberry.field(
        description="An AssistanceMeasure funded by SOCIAL_DONATION."
    )
    amount: decimal.Decimal
    allocated_on: dt.date | None = strawberry.field(default=None, description="Today by default.")


class RemainderGuard(Allowed):
    """A donation's remainder counts the allocations in every area it may be spent in:
    readers whose area holds the donation's see them all anyway; a narrower area's
    reader sees it only when it allocates (it needs the remainder, and
    ``DONATION_EXCEEDED`` would tell it)."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.message = (
            f"the remainder of a donation wider than your area needs {action}: it tells "
            "what was allocated elsewhere"
        )

    def allows(self, source: Any, info: Info) -> bool:
        actor = info.context.actor
        if actor.sees_everything or (
            actor.area_path is not None and source.area_path.startswith(actor.area_path)
        ):
            return True
        return super().allows(source, info)


def build(measure_type: type) -> tuple[type, type]:
    @strawberry.type(
        name="DonationAllocation", description="Part of a donation given to a measure."
    )
    class AllocationType:
        allocated_on: dt.date

        @strawberry.field(description="The global ID of the allocation.")
        def id(self) -> strawberry.ID:
            return strawberry.ID(to_global_id("DonationAllocation", self.id))  # type: ignore[attr-defined]

        @strawberry.field(description="Yuan.")
        def amount(self) -> decimal.Decimal:
            return to_yuan(self.amount_fen)  # type: ignore[attr-defined]

        @strawberry.field
        async def measure(self, info: Info) -> measure_type | None:  # type: ignore[valid-type]
            return await load(info, "care_measure", self.measure_id)  # type: ignore[attr-defined]

        @strawberry.field
        async def allocated_by(self, info: Info) -> StaffMember | None:
            return await staff(info, self.allocated_by_id)  # type: ignore[attr-defined,no-any-return]

        @classmethod
        def is_type_of(cls, obj: Any, _info: Any) -> bool:
            return isinstance(obj, DonationAllocation)

    @strawberry.type(name="Donation", description="A social donation (社会捐助, R4).")
    class DonationType:
        donor: str
        received_on: dt.date
        category: Category | None = strawberry.field(description="Restriction, if any.")
        domain: ProblemDomain | None = strawberry.field(description="Restriction, if any.")

        @strawberry.field(description="The global ID of the donation.")
        def id(self) -> strawberry.ID:
            return strawberry.ID(to_global_id("Donation", self.id))  # type: ignore[attr-defined]

        @strawberry.field(description="Yuan.")
        def amount(self) -> decimal.Decimal:
            return to_yuan(self.amount_fen)  # type: ignore[attr-defined]

        @strawberry.field(
            description="Yuan allocated so far to households in your area (all of it when "
            "your area holds the donation's)."
        )
        async def allocated(self, info: Info) -> decimal.Decimal:
            return to_yuan(await load(info, "care_allocated_of_donation", self.id))  # type: ignore[attr-defined]

        @strawberry.field(
            description="Yuan still to allocate, wherever: for those whose area holds the "
            "donation's, and for those who allocate (donation:allocate); null with "
            "FORBIDDEN for others, since it tells what was allocated elsewhere.",
            extensions=[
                Guard([IsAuthenticated("donation:allocate"), RemainderGuard("donation:allocate")])
            ],
        )
        def remaining(self) -> decimal.Decimal | None:
            return to_yuan(self.amount_fen - self.allocated_fen)  # type: ignore[attr-defined]

        @strawberry.field(description="The area it may be spent in.")
        async def region(self, info: Info) -> Region:
            return await info.context.loaders["region"].load(self.region_code)  # type: ignore[attr-defined,no-any-return]

        @strawberry.field(description="Its allocations in your area.")
        async def allocations(self, info: Info) -> list[AllocationType]:
            return await load(info, "care_allocations_of_donation", self.id)  # type: ignore[attr-defined,no-any-return]

        @classmethod
        def is_type_of(cls, obj: Any, _info: Any) -> bool:
            return isinstance(obj, Donation)

    edge, connection = connection_types(DonationType, "Donation")

    @strawberry.type(name="DonationPayload")
    class DonationPayload:
        donation: DonationType | None
        errors: list[CoreError]

    @strawberry.type(name="DonationAllocatePayload")
    class DonationAllocatePayload:
        allocation: AllocationType | None
        donation: DonationType | None
        errors: list[CoreError]

    @strawberry.type(name="Query")
    class DonationQuery:
        @strawberry.field(
            description="One donation by global ID.", extensions=requires("care:read")
        )
        async def donation(self, info: Info, id: strawberry.ID) -> DonationType | None:
            key = key_of(id, "Donation")
            return None if key < 0 else await load(info, "care_donation", key)

        @strawberry.field(
            description="Donations for your area or an area around it, newest first.",
            extensions=requires("care:read"),
        )
        async def donations(self, info: Info, first: int, after: str | None = None) -> connection:  # type: ignore[valid-type]
            return await paginate(
                info.context,
                connection,
                edge,
                select(Donation),
                Donation,
                first=first,
                after=after,
                newest_first=True,
            )

    @strawberry.type(name="Mutation")
    class DonationMutation:
        @strawberry.mutation(
            description="Record a social donation with its restrictions.",
            extensions=requires("donation:write"),
        )
        async def donation_record(self, info: Info, input: DonationRecordInput) -> DonationPayload:
            async def work(donations: Donations) -> Any:
                return await donations.record(
                    input.donor,
                    input.amount,
                    input.received_on,
                    input.region_code,
                    None if input.category is None else Category(input.category),
                    None if input.domain is None else ProblemDomain(input.domain),
                )

            result = await run(info, Donations, work)
            if isinstance(result, list):
                return DonationPayload(donation=None, errors=result)
            return DonationPayload(donation=result, errors=[])

        @strawberry.mutation(
            description="Allocate part of a donation to a measure; never more than remains "
            "(DONATION_EXCEEDED), even under concurrent requests.",
            extensions=requires("donation:allocate"),
        )
        async def donation_allocate(
            self, info: Info, input: DonationAllocateInput
        ) -> DonationAllocatePayload:
            async def work(donations: Donations) -> Any:
                allocation = await donations.allocate(
                    decode_id(input.donation_id, "Donation", "input.donationId"),
                    decode_id(input.measure_id, "AssistanceMeasure", "input.measureId"),
                    input.amount,
                    input.allocated_on,
                )
                return allocation, await donations.get(
                    Donation, allocation.donation_id, "input.donationId"
                )

            result = await run(info, Donations, work)
            if isinstance(result, list):
                return DonationAllocatePayload(allocation=None, donation=None, errors=result)
            allocation, donation = result
            return DonationAllocatePayload(allocation=allocation, donation=donation, errors=[])

    return DonationQuery, DonationMutation
