"""Social donations (社会捐助, R4): recorded with their restrictions, allocated to measures.

The ledger stays whole under concurrent allocations: the donation row is locked
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has a single writer), and its
``allocated_fen`` only grows through a conditional UPDATE that checks what remains, so
two allocations that together exceed the remainder cannot both succeed.
"""

import datetime as dt
import decimal

from sqlalchemy import select, update

from bangfu.core.care.common import CareService
from bangfu.core.care.donation_models import Donation, DonationAllocation
from bangfu.core.care.enums import FundingSource, MeasureStatus, ProblemDomain
from bangfu.core.care.plan_models import Measure
from bangfu.core.db import path_within
from bangfu.core.effective import current, in_force
from bangfu.core.errors import DomainError, ErrorCode, FieldError, text_problems
from bangfu.core.i18n import _
from bangfu.core.registry.models import Category, CategoryAssignment, Household, Membership, Region

FEN = decimal.Decimal("0.01")
MAX_YUAN = decimal.Decimal("1000000000")


def amount_problems(amount: decimal.Decimal, field: str) -> list[FieldError]:
    """``INVALID_AMOUNT`` unless yuan with at most two decimals, above zero, below a billion."""
    if (
        not amount.is_finite()
        or amount <= 0
        or amount >= MAX_YUAN
        or amount != amount.quantize(FEN)
    ):
        return [
            FieldError(
                field,
                _("a positive amount in yuan with at most 2 decimals"),
                ErrorCode.INVALID_AMOUNT,
            )
        ]
    return []


def to_fen(amount: decimal.Decimal, field: str) -> int:
    """Yuan with at most two decimals, above zero, as whole fen."""
    if errors := amount_problems(amount, field):
        raise DomainError(*errors)
    return int(amount * 100)


def to_yuan(fen: int) -> decimal.Decimal:
    return (decimal.Decimal(fen) / 100).quantize(FEN)


class Donations(CareService):
    """Donation use cases."""

    async def record(
        self,
        donor: str,
        amount: decimal.Decimal,
        received_on: dt.date,
        region_code: str | None,
        category: Category | None,
        domain: ProblemDomain | None,
    ) -> Donation:
        # Every independent field is checked before anything is refused: all errors at once.
        errors = text_problems("input.donor", donor, 200)
        errors += amount_problems(amount, "input.amount")
        errors += self.future_day(received_on, "input.receivedOn")
        if errors:
            raise DomainError(*errors)
        amount_fen = to_fen(amount, "input.amount")
        code = region_code or await self._own_region()
        region = await self.region(code, "input.regionCode")
        donation = Donation(
            donor=donor.strip(),
            amount_fen=amount_fen,
            received_on=received_on,
            region_code=region.code,
            area_path=region.path,
            category=category,
            domain=domain,
            recorded_by_id=self.actor.id,
        )
        self.session.add(donation)
        await self.flush()
        return donation

    async def _own_region(self) -> str:
        if self.actor.area_path is None:
            raise DomainError.of("input.regionCode", _("give the region"), ErrorCode.REQUIRED)
        code = await self.session.scalar(
            select(Region.code).where(Region.path == self.actor.area_path)
        )
        if code is None:
            raise DomainError.of("input.regionCode", _("give the region"), ErrorCode.REQUIRED)
        return code

    async def allocate(
        self, donation_id: int, measure_id: int, amount: decimal.Decimal, on: dt.date | None
    ) -> DonationAllocation:
        """Give part of a donation to a measure funded by social donations."""
        on = on or self.today
        errors = amount_problems(amount, "input.amount") + self.future_day(on, "input.allocatedOn")
        if errors:
            raise DomainError(*errors)
        amount_fen = to_fen(amount, "input.amount")
        # Lock the donation row first (PostgreSQL); every allocation of it queues here.
        donation = await self.session.scalar(
            select(Donation)
            .where(Donation.id == donation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if donation is None:
            raise DomainError.of(
                "input.donationId", _("no Donation with this ID"), ErrorCode.NOT_FOUND
            )
        measure = await self.get(Measure, measure_id, "input.measureId")
        await self._check_restrictions(donation, measure)
        grown = await self.session.execute(
            update(Donation)
            .where(
                Donation.id == donation.id,
                Donation.allocated_fen + amount_fen <= Donation.amount_fen,
            )
            .values(allocated_fen=Donation.allocated_fen + amount_fen)
            .returning(Donation.allocated_fen)
            .execution_options(synchronize_session=False)
        )
        if grown.first() is None:
            await self.session.refresh(donation)
            remaining = donation.amount_fen - donation.allocated_fen
            raise DomainError.of(
                "input.amount",
                _("only {amount} yuan of the donation remain", amount=to_yuan(remaining)),
                ErrorCode.DONATION_EXCEEDED,
            )
        allocation = DonationAllocation(
            donation_id=donation.id,
            measure_id=measure.id,
            household_id=measure.household_id,
            amount_fen=amount_fen,
            allocated_on=on,
            allocated_by_id=self.actor.id,
        )
        self.session.add(allocation)
        await self.flush()
        await self.session.refresh(donation)
        return allocation

    async def _check_restrictions(self, donation: Donation, measure: Measure) -> None:
        field = "input.measureId"
        if measure.funding_source is not FundingSource.SOCIAL_DONATION:
            raise DomainError.of(
                field,
                _("the measure is not funded by social donations"),
                ErrorCode.DONATION_RESTRICTED,
            )
        if measure.status is MeasureStatus.CANCELLED:
            raise DomainError.of(
                field, _("the measure is cancelled"), ErrorCode.DONATION_RESTRICTED
            )
        if donation.domain is not None and measure.domain is not donation.domain:
            raise DomainError.of(
                field,
                _("the donation is for {domain} measures only", domain=donation.domain.value),
                ErrorCode.DONATION_RESTRICTED,
            )
        inside = await self.session.scalar(
            select(Household.id).where(
                Household.id == measure.household_id,
                path_within(Household.area_path, donation.area_path),
            )
        )
        if inside is None:
            raise DomainError.of(
                field,
                _("the household lies outside the donation's area"),
                ErrorCode.DONATION_RESTRICTED,
            )
        if donation.category is not None and not await self._holds(
            measure.household_id, donation.category
        ):
            raise DomainError.of(
                field,
                _(
                    "the donation is for households with a member holding {category}",
                    category=donation.category.value,
                ),
                ErrorCode.DONATION_RESTRICTED,
            )

    async def _holds(self, household_id: int, category: Category) -> bool:
        today = self.today
        found = await self.session.scalar(
            select(Membership.id).where(
                Membership.household_id == household_id,
                current(Membership.start_date, Membership.end_date, today),
                Membership.person_id.in_(
                    select(CategoryAssignment.person_id).where(
                        CategoryAssignment.category == category,
                        in_force(
                            CategoryAssignment.valid_from,
                            CategoryAssignment.valid_to,
                            today,
                            end_inclusive=True,
                        ),
                    )
                ),
            )
        )
        return found is not None
