"""The use cases behind the befriending mutations, and their checks.

Every check names the input field at fault; the mutations run these with
``bangfu.plugin.run_mutation`` (one transaction), so a refused input changes nothing.
"""

import datetime as dt
import decimal
import enum
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import (
    Actor,
    DomainError,
    FieldError,
    Organisation,
    Person,
    notify_responsible,
)
from bangfu_befriending.access import OWNER_KINDS
from bangfu_befriending.messages import _
from bangfu_befriending.models import Contact, ContactKind, Flag, Relationship

MAX_NOTE = 2000
MAX_DONATION = decimal.Decimal("1000000")


class BefriendingErrorCode(enum.StrEnum):
    """Why the befriending plugin refused an input."""

    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    FUTURE_DATE = "FUTURE_DATE"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    ALREADY_BEFRIENDED = "ALREADY_BEFRIENDED"
    NOT_BEFRIENDED = "NOT_BEFRIENDED"
    ALREADY_ENDED = "ALREADY_ENDED"


Code = BefriendingErrorCode


def note_problems(field: str, value: str | None, *, required: bool = False) -> list[FieldError]:
    if value is None or not value.strip():
        return [FieldError(field, _("write what happened"), Code.REQUIRED)] if required else []
    if len(value) > MAX_NOTE:
        return [FieldError(field, _("at most {limit} characters", limit=MAX_NOTE), Code.TOO_LONG)]
    return []


def day_problems(field: str, day: dt.date, today: dt.date) -> list[FieldError]:
    if day > today:
        return [FieldError(field, _("{day} is in the future", day=day), Code.FUTURE_DATE)]
    return []


def donation_problems(field: str, amount: decimal.Decimal | None) -> list[FieldError]:
    """Yuan, exact: more than 0, at most 2 decimals, at most 1,000,000."""
    if amount is None:
        return []
    if not amount.is_finite() or amount <= 0 or amount > MAX_DONATION:
        message = _(
            "a donation is more than 0 and at most {limit} yuan: correct the amount",
            limit=MAX_DONATION,
        )
        return [FieldError(field, message, Code.INVALID_AMOUNT)]
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        message = _("a donation has at most 2 decimals (fen): round it to the fen")
        return [FieldError(field, message, Code.INVALID_AMOUNT)]
    return []


def clean(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


class Befriending:
    """The use cases, for one actor in one transaction."""

    def __init__(self, session: AsyncSession, actor: Actor, today: dt.date) -> None:
        self.session = session
        self.actor = actor
        self.today = today

    async def owning_organisation(self) -> Organisation:
        """The actor's organisation, which must be a trade union, women's federation or
        youth league: only they write befriending records."""
        organisation = (
            await self.session.get(Organisation, self.actor.organisation_id)
            if self.actor.organisation_id is not None
            else None
        )
        if organisation is None or organisation.kind not in OWNER_KINDS:
            raise DomainError(
                FieldError(
                    None,
                    _(
                        "only members of a trade union, women's federation or youth league "
                        "keep befriending records"
                    ),
                    Code.FORBIDDEN,
                )
            )
        return organisation

    async def person(self, person_id: int, field: str) -> Person:
        # The session is area-scoped: a person outside the actor's area is not found.
        person = await self.session.get(Person, person_id)
        if person is None:
            raise DomainError(FieldError(field, _("no Person with this ID"), Code.NOT_FOUND))
        return person

    async def current_relationship(self, person_id: int) -> Relationship | None:
        return await self.session.scalar(
            select(Relationship).where(
                Relationship.person_id == person_id,
                Relationship.volunteer_id == self.actor.id,
                Relationship.until.is_(None),
            )
        )

    async def start(self, person_id: int, since: dt.date) -> Relationship:
        organisation = await self.owning_organisation()
        problems = day_problems("input.since", since, self.today)
        await self.person(person_id, "input.personId")
        if await self.current_relationship(person_id) is not None:
            problems.append(
                FieldError(
                    "input.personId", _("you already befriend this person"), Code.ALREADY_BEFRIENDED
                )
            )
        fail_on(problems)
        relationship = Relationship(
            person_id=person_id,
            volunteer_id=self.actor.id,
            organisation_id=organisation.id,
            since=since,
        )
        self.session.add(relationship)
        await self.session.flush()
        return relationship

    async def end(self, relationship_id: int, until: dt.date) -> Relationship:
        organisation = await self.owning_organisation()
        relationship = await self.session.get(Relationship, relationship_id)
        if relationship is None or relationship.organisation_id != organisation.id:
            raise DomainError(
                FieldError("input.id", _("no befriending with this ID"), Code.NOT_FOUND)
            )
        if relationship.until is not None:
            raise DomainError(
                FieldError("input.id", _("this befriending has ended already"), Code.ALREADY_ENDED)
            )
        problems = day_problems("input.until", until, self.today)
        if until < relationship.since:
            problems.append(
                FieldError(
                    "input.until",
                    _(
                        "the end is before the befriending began ({since})",
                        since=relationship.since,
                    ),
                    Code.INVALID_DATE_RANGE,
                )
            )
        fail_on(problems)
        relationship.until = until
        return relationship

    async def record_contact(
        self,
        person_id: int,
        contacted_on: dt.date,
        kind: ContactKind,
        family_changes: str | None,
        emotional_state: str | None,
        help_given: str | None,
        donation_yuan: decimal.Decimal | None,
    ) -> Contact:
        organisation = await self.owning_organisation()
        problems = [
            *day_problems("input.contactedOn", contacted_on, self.today),
            *note_problems("input.familyChanges", family_changes),
            *note_problems("input.emotionalState", emotional_state),
            *note_problems("input.helpGiven", help_given),
            *donation_problems("input.donationYuan", donation_yuan),
        ]
        await self.person(person_id, "input.personId")
        relationship = await self.current_relationship(person_id)
        if relationship is None:
            problems.append(
                FieldError(
                    "input.personId", _("you do not befriend this person"), Code.NOT_BEFRIENDED
                )
            )
        elif contacted_on < relationship.since:
            problems.append(
                FieldError(
                    "input.contactedOn",
                    _(
                        "the contact is before the befriending began ({since})",
                        since=relationship.since,
                    ),
                    Code.INVALID_DATE_RANGE,
                )
            )
        fail_on(problems)
        assert relationship is not None
        contact = Contact(
            relationship_id=relationship.id,
            person_id=person_id,
            organisation_id=organisation.id,
            contacted_on=contacted_on,
            kind=kind,
            family_changes=clean(family_changes),
            emotional_state=clean(emotional_state),
            help_given=clean(help_given),
            donation_yuan=donation_yuan,
        )
        self.session.add(contact)
        await self.session.flush()
        return contact

    async def raise_flag(self, person_id: int, note: str) -> Flag:
        organisation = await self.owning_organisation()
        problems = note_problems("input.note", note, required=True)
        await self.person(person_id, "input.personId")
        if await self.current_relationship(person_id) is None:
            problems.append(
                FieldError(
                    "input.personId", _("you do not befriend this person"), Code.NOT_BEFRIENDED
                )
            )
        fail_on(problems)
        flag = Flag(
            person_id=person_id,
            organisation_id=organisation.id,
            raised_by_id=self.actor.id,
            raised_on=self.today,
            note=note.strip(),
        )
        self.session.add(flag)
        await self.session.flush()
        # The person's paired official is told (once, in this transaction): the flag is
        # for them. The message names nobody; the official opens the flag if they may.
        await notify_responsible(
            self.session,
            person_id=person_id,
            subject_kind="BefriendingFlag",
            subject_id=flag.id,
            message=lambda: _(
                "A befriending volunteer flagged the emotional state of a person paired with "
                "you: please look in on them."
            ),
        )
        return flag

    async def close_flag(self, flag_id: int) -> Flag:
        organisation = await self.owning_organisation()
        flag = await self.session.get(Flag, flag_id)
        if flag is None or flag.organisation_id != organisation.id:
            raise DomainError(FieldError("input.id", _("no flag with this ID"), Code.NOT_FOUND))
        if flag.closed_on is not None:
            raise DomainError(
                FieldError("input.id", _("this flag is closed already"), Code.ALREADY_ENDED)
            )
        flag.closed_on = self.today
        return flag


def fail_on(problems: Sequence[FieldError]) -> None:
    if problems:
        raise DomainError(*problems)
