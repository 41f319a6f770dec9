"""One-to-one pairing (一包一, R6): start, end and hand over pairings; the five knowns."""

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from bangfu.core.calendar import today
from bangfu.core.care.common import CareService, active_hardship_persons
from bangfu.core.care.enums import FiveKnownItem
from bangfu.core.care.models import FiveKnown, Pairing
from bangfu.core.effective import check_start, current, in_force, period_overlaps
from bangfu.core.errors import DomainError, ErrorCode, FieldError
from bangfu.core.i18n import _
from bangfu.core.notify import service as notify
from bangfu.core.registry.models import CategoryAssignment, Person, Region
from bangfu.core.security.actor import Role
from bangfu.core.security.models import User
from bangfu.core.text_limits import check_length

ITEMS = len(FiveKnownItem)


@dataclasses.dataclass(frozen=True)
class FiveKnownData:
    item: FiveKnownItem
    note: str
    verified_on: dt.date


def pairing_holds_on(day: Any) -> ColumnElement[bool]:
    """The pairing held on ``day`` (a date or a column): started, and not ended by then."""
    return in_force(Pairing.start_date, Pairing.end_date, day)


def active_pairings() -> Select[Any]:
    """Pairings that hold today: started (a start after today, written before the rule
    refused it, is not in force yet) and not ended; the partial unique index allows one
    per person."""
    return select(Pairing).where(current(Pairing.start_date, Pairing.end_date, today()))


def unpaired_hardship_persons(on: dt.date, categories: Collection[str]) -> Select[Any]:
    """Living persons holding one of ``categories`` on ``on`` with no active pairing.

    The callers pass the pairing categories (``Settings.pairing_categories``: every
    category but dibao by default) for the persons who need a pairing, or one category.
    """
    holders = active_hardship_persons(on).where(CategoryAssignment.category.in_(categories))
    return select(Person).where(
        Person.deceased.is_(False),
        Person.id.in_(holders),
        Person.id.not_in(
            select(Pairing.person_id).where(current(Pairing.start_date, Pairing.end_date, on))
        ),
    )


def officials_with_pairings(more_than: int = 0) -> Select[Any]:
    """Users with more than ``more_than`` active pairings among the persons one may see."""
    paired = (
        select(Pairing.official_id)
        .where(current(Pairing.start_date, Pairing.end_date, today()))
        .group_by(Pairing.official_id)
        .having(func.count(Pairing.id) > more_than)
    )
    return select(User).where(User.id.in_(paired))


def is_stale(verified_on: dt.date, today: dt.date, stale_days: int) -> bool:
    return verified_on < today - dt.timedelta(days=stale_days)


def completeness(items: Sequence[FiveKnown], today: dt.date, stale_days: int) -> float:
    """Fresh items / 5: an item counts when recorded and verified recently enough."""
    fresh = {i.item for i in items if not is_stale(i.verified_on, today, stale_days)}
    return len(fresh) / ITEMS


class Pairings(CareService):
    """Pairing use cases."""

    async def official(self, user_id: int, field: str) -> tuple[User, Region]:
        """An active paired official one may pair with, and the official's area.

        An official out of the actor's reach (whose area neither lies inside the actor's
        area nor contains it, :mod:`bangfu.core.security.references`) gets the same
        answer as a user that does not exist: which users of another county are paired
        officials is not the actor's to learn.
        """
        user = await self.session.get(User, user_id)
        region = None if user is None else await self.session.get(Region, user.region_code)
        if (
            user is None
            or region is None
            or not user.is_active
            or Role.PAIRED_OFFICIAL.value not in user.roles
            or not self.reaches(region.path)
        ):
            raise DomainError.of(
                field,
                _("no active user with the PAIRED_OFFICIAL role in your area"),
                ErrorCode.NOT_AN_OFFICIAL,
            )
        return user, region

    async def start(self, person_id: int, official_id: int, start_date: dt.date | None) -> Pairing:
        """Pair a hardship person with an official; refused while another pairing is active."""
        check_start(start_date, "input.startDate", today=self.today)
        start_date = start_date or self.today
        person = await self.person(person_id, "input.personId")
        official, region = await self.official(official_id, "input.officialId")
        errors: list[FieldError] = []
        if not person.area_path.startswith(region.path):
            errors.append(
                FieldError(
                    "input.officialId",
                    _("the person lives outside the official's area"),
                    ErrorCode.NOT_AN_OFFICIAL,
                )
            )
        if person.deceased or not await self.is_hardship_person(person.id, start_date):
            errors.append(
                FieldError(
                    "input.personId",
                    _("the person holds no hardship category on the start date"),
                    ErrorCode.NOT_A_HARDSHIP_PERSON,
                )
            )
        if errors:
            raise DomainError(*errors)
        history = list(
            await self.session.scalars(
                select(Pairing).where(Pairing.person_id == person.id).order_by(Pairing.id)
            )
        )
        # Periods decide (bangfu.core.effective.overlaps): a pairing from ``start_date`` on
        # is refused when another of the person's pairings overlaps it. One not ended -- in
        # force, or starting later (written before the rule) -- is ALREADY_PAIRED; one
        # ended after ``start_date`` is INVALID_DATE_RANGE. The partial unique index on
        # unended pairings agrees: two unended pairings always overlap.
        clashes = [p for p in history if period_overlaps(p.start_date, p.end_date, start_date)]
        unended = next((p for p in clashes if p.end_date is None), None)
        if unended is not None and unended.start_date > self.today:
            raise DomainError.of(
                "input.personId",
                _(
                    "the person has a pairing from {date}, recorded before future starts were "
                    "refused: end it first (ending it withdraws it)",
                    date=unended.start_date.isoformat(),
                ),
                ErrorCode.ALREADY_PAIRED,
            )
        if unended is not None:
            raise DomainError.of(
                "input.personId",
                _("the person has an active pairing already: end it first"),
                ErrorCode.ALREADY_PAIRED,
            )
        last_end = max((p.end_date for p in clashes if p.end_date is not None), default=None)
        if last_end is not None:
            raise DomainError.of(
                "input.startDate",
                _(
                    "the previous pairing ended on {date}: start on or after it",
                    date=last_end.isoformat(),
                ),
                ErrorCode.INVALID_DATE_RANGE,
            )
        pairing = Pairing(person_id=person.id, official_id=official.id, start_date=start_date)
        self.session.add(pairing)
        await self.flush()
        await notify.pairing_changed(
            self.session, pairing.id, pairing.official_id, started=pairing.start_date
        )
        return pairing

    async def end(self, pairing_id: int, end_date: dt.date | None, reason: str) -> Pairing:
        """End a pairing; it stays as hand-over history."""
        pairing = await self.get(Pairing, pairing_id, "input.id")
        if pairing.end_date is not None:
            raise DomainError.of(
                "input.id", _("the pairing has ended already"), ErrorCode.ALREADY_ENDED
            )
        if pairing.start_date > self.today and end_date in (None, pairing.start_date):
            # Written with a future start before the rule: withdrawn, ended on its start
            # day, it is never in force and no longer blocks a pairing today.
            end_date = pairing.start_date
        else:
            end_date = end_date or self.today
            self.not_after_today(end_date, "input.endDate")
        if end_date < pairing.start_date:
            raise DomainError.of(
                "input.endDate",
                _("the pairing would end before it began"),
                ErrorCode.INVALID_DATE_RANGE,
            )
        if not reason.strip():
            raise DomainError.of("input.reason", _("give a reason"), ErrorCode.REQUIRED)
        check_length("input.reason", reason.strip(), Pairing.end_reason)
        pairing.end_date = end_date
        pairing.end_reason = reason.strip()
        await self.flush()
        await notify.pairing_changed(self.session, pairing.id, pairing.official_id, ended=end_date)
        return pairing

    async def update_five_knowns(
        self, pairing_id: int, items: Sequence[FiveKnownData], *, may_manage: bool
    ) -> Pairing:
        """Record five-knowns items of an active pairing: its official's own work, or
        anyone's who manages pairings (``may_manage``)."""
        pairing = await self.get(Pairing, pairing_id, "input.pairingId")
        if pairing.official_id != self.actor.id and not may_manage:
            raise DomainError.of(
                "input.pairingId",
                _("only the paired official keeps the five knowns of this pairing"),
                ErrorCode.FORBIDDEN,
            )
        if pairing.end_date is not None:
            raise DomainError.of(
                "input.pairingId", _("the pairing has ended"), ErrorCode.ALREADY_ENDED
            )
        errors = self._five_known_errors(items)
        if errors:
            raise DomainError(*errors)
        existing = {
            row.item: row
            for row in await self.session.scalars(
                select(FiveKnown).where(FiveKnown.pairing_id == pairing.id)
            )
        }
        for data in items:
            row = existing.get(data.item)
            if row is None:
                row = FiveKnown(pairing_id=pairing.id, person_id=pairing.person_id, item=data.item)
                self.session.add(row)
            row.note = data.note.strip()
            row.verified_on = data.verified_on
            row.updated_by_id = self.actor.id
        await self.flush()
        return pairing

    def _five_known_errors(self, items: Sequence[FiveKnownData]) -> list[FieldError]:
        errors: list[FieldError] = []
        seen: set[FiveKnownItem] = set()
        if not items:
            errors.append(
                FieldError("input.items", _("give at least one item"), ErrorCode.REQUIRED)
            )
        for index, data in enumerate(items):
            field = f"input.items.{index}"
            if data.item in seen:
                errors.append(FieldError(field, _("the item is given twice"), ErrorCode.DUPLICATE))
            seen.add(data.item)
            if not data.note.strip() or len(data.note) > 4000:
                errors.append(
                    FieldError(
                        f"{field}.note",
                        _("a note of 1 to 4000 characters"),
                        ErrorCode.INVALID_INPUT,
                    )
                )
            if data.verified_on > self.today:
                errors.append(
                    FieldError(
                        f"{field}.verifiedOn",
                        _("the day cannot be in the future"),
                        ErrorCode.FUTURE_DATE,
                    )
                )
        return errors
