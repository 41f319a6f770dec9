"""What every care use case needs: the transaction, the actor, lookups, checked flushes."""

import dataclasses
import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import today
from bangfu.core.config import Settings
from bangfu.core.db import flush_or_version_conflict
from bangfu.core.effective import in_force
from bangfu.core.errors import DomainError, ErrorCode, FieldError, not_found
from bangfu.core.i18n import N_, _
from bangfu.core.registry.models import CategoryAssignment, Organisation, Person, Region
from bangfu.core.security.actor import Actor
from bangfu.core.security.references import reachable_organisation, reaches

M = TypeVar("M")

# Unique keys whose violation means a lost race, and what the caller is told. PostgreSQL
# names the index; SQLite names the columns ("UNIQUE constraint failed: core_pairing.person_id").
_RACES = (
    (
        ("uq_core_pairing_active_person", "core_pairing.person_id"),
        "input.personId",
        N_("the person has an active pairing already: end it first"),
        ErrorCode.ALREADY_PAIRED,
    ),
    (
        ("uq_core_assistance_plan_household_id", "core_assistance_plan.household_id"),
        "input.householdId",
        N_("the household's plan was created meanwhile: try again"),
        ErrorCode.VERSION_CONFLICT,
    ),
)


def active_hardship_persons(on: dt.date) -> Select[Any]:
    """Persons holding any hardship category on ``on``."""
    return select(CategoryAssignment.person_id).where(
        in_force(CategoryAssignment.valid_from, CategoryAssignment.valid_to, on, end_inclusive=True)
    )


@dataclasses.dataclass
class CareService:
    """The care use cases of one transaction, as its actor (area scoping applies)."""

    session: AsyncSession
    actor: Actor
    settings: Settings

    @property
    def today(self) -> dt.date:
        return today()

    async def get(self, model: type[M], pk: int, field: str) -> M:
        """A row the actor may see, or NOT_FOUND (absent and out of area look the same)."""
        row = await self.session.get(model, pk)
        if row is None:
            raise DomainError.of(field, not_found(model.__name__), ErrorCode.NOT_FOUND)
        return row

    async def person(self, person_id: int, field: str) -> Person:
        return await self.get(Person, person_id, field)

    async def organisation(self, organisation_id: int, field: str) -> Organisation:
        """An organisation a write of the actor may refer to (within reach, see
        :mod:`bangfu.core.security.references`), else UNKNOWN_ORGANISATION: an
        organisation of another county looks like one that does not exist."""
        return await reachable_organisation(self.session, self.actor, organisation_id, field)

    async def region(self, code: str, field: str) -> Region:
        """A region inside the actor's area, or UNKNOWN_REGION / OUT_OF_AREA."""
        region = await self.session.get(Region, code)
        if region is None:
            raise DomainError.of(
                field, _("unknown region code {code}", code=repr(code)), ErrorCode.UNKNOWN_REGION
            )
        if not self.covers(region.path):
            raise DomainError.of(
                field, _("region {code} is outside your area", code=code), ErrorCode.OUT_OF_AREA
            )
        return region

    def covers(self, path: str) -> bool:
        """Whether the region ``path`` lies inside the actor's area."""
        if self.actor.sees_everything:
            return True
        area = self.actor.area_path
        return area is not None and path.startswith(area)

    def reaches(self, path: str) -> bool:
        """Whether a write of the actor may refer to a unit or user of the region
        ``path``: inside the actor's area, or a wider region containing it
        (:func:`bangfu.core.security.references.reaches`)."""
        return reaches(self.actor, path)

    def future_day(self, day: dt.date, field: str) -> list[FieldError]:
        """``FUTURE_DATE`` for a day after today, to collect with the input's other errors."""
        if day > self.today:
            return [FieldError(field, _("the day cannot be in the future"), ErrorCode.FUTURE_DATE)]
        return []

    def not_after_today(self, day: dt.date, field: str) -> None:
        if errors := self.future_day(day, field):
            raise DomainError(*errors)

    async def is_hardship_person(self, person_id: int, on: dt.date) -> bool:
        found = await self.session.scalar(
            select(Person.id).where(
                Person.id == person_id, Person.id.in_(active_hardship_persons(on))
            )
        )
        return found is not None

    async def flush(self) -> None:
        """Flush, turning a lost race into the error the checks would have given."""
        try:
            await flush_or_version_conflict(self.session, "input.expectedVersion")
        except IntegrityError as exc:
            text = str(exc.orig)
            for names, field, message, code in _RACES:
                if any(name in text for name in names):
                    raise DomainError.of(field, _(message), code) from exc
            raise
