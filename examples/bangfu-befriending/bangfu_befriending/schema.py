"""Root fields of the befriending plugin: the flags a paired official sees, and the
mutations (noun first, one ``input``, a payload with ``errors``).

No ``from __future__ import annotations`` here: Strawberry resolves these annotations.
"""

import datetime as dt
import decimal
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bangfu.plugin import decode_id, in_transaction, requires
from bangfu_befriending import access
from bangfu_befriending.models import ContactKind, Flag
from bangfu_befriending.service import Befriending
from bangfu_befriending.types import (
    BefriendingContact,
    BefriendingError,
    BefriendingFlag,
    BefriendingRelationship,
)

T = TypeVar("T")
P = TypeVar("P")
MAX_FLAGS = 100


@strawberry.type
class BefriendingQuery:
    @strawberry.field(
        description=f"Open flags of a worsened emotional state that you may read, newest "
        f"first (at most {MAX_FLAGS}): a paired official's persons', one's own "
        "organisation's, or (city administrators) all in the area.",
        extensions=requires(access.READ_CONTACTS),
    )
    async def befriending_open_flags(self, info: Info) -> list[BefriendingFlag]:
        context = info.context
        async with context.read() as session:
            rows = list(
                (
                    await session.scalars(
                        select(Flag)
                        .where(Flag.closed_on.is_(None))
                        .order_by(Flag.raised_on.desc(), Flag.id.desc())
                        .limit(10 * MAX_FLAGS)
                    )
                ).all()
            )
        officials = await context.loaders["befriending_paired_officials"].load_many(
            [r.person_id for r in rows]
        )
        return [
            row
            for row, paired in zip(rows, officials, strict=True)
            if access.may_read(context.actor, row.organisation_id, paired)
        ][:MAX_FLAGS]


@strawberry.input(name="BefriendingStartInput", description="Befriend a person yourself.")
class BefriendingStartInput:
    person_id: strawberry.ID = strawberry.field(description="The person (a Person ID).")
    since: dt.date = strawberry.field(description="The first day; not in the future.")


@strawberry.input(name="BefriendingEndInput", description="End one of your organisation's.")
class BefriendingEndInput:
    id: strawberry.ID = strawberry.field(description="A BefriendingRelationship ID.")
    until: dt.date = strawberry.field(description="Not before it began, not in the future.")


@strawberry.input(
    name="BefriendingContactRecordInput", description="A contact with a person you befriend."
)
class BefriendingContactRecordInput:
    person_id: strawberry.ID = strawberry.field(description="The person (a Person ID).")
    contacted_on: dt.date = strawberry.field(
        description="Not in the future, not before the befriending began."
    )
    kind: ContactKind
    family_changes: str | None = strawberry.field(
        default=None, description="At most 2000 characters."
    )
    emotional_state: str | None = strawberry.field(
        default=None, description="Sensitive; at most 2000 characters."
    )
    help_given: str | None = strawberry.field(default=None, description="At most 2000 characters.")
    donation_yuan: decimal.Decimal | None = strawberry.field(
        default=None,
        description='Yuan handed over: more than 0, at most 2 decimals, a string ("200.00").',
    )


@strawberry.input(
    name="BefriendingFlagRaiseInput",
    description="The emotional state of a person you befriend has worsened.",
)
class BefriendingFlagRaiseInput:
    person_id: strawberry.ID = strawberry.field(description="The person (a Person ID).")
    note: str = strawberry.field(description="What you saw; 1 to 2000 characters.")


@strawberry.input(name="BefriendingFlagCloseInput", description="Close your organisation's flag.")
class BefriendingFlagCloseInput:
    id: strawberry.ID = strawberry.field(description="A BefriendingFlag ID.")


@strawberry.type(name="BefriendingRelationshipPayload")
class BefriendingRelationshipPayload:
    relationship: BefriendingRelationship | None
    errors: list[BefriendingError]


@strawberry.type(name="BefriendingContactPayload")
class BefriendingContactPayload:
    contact: BefriendingContact | None
    errors: list[BefriendingError]


@strawberry.type(name="BefriendingFlagPayload")
class BefriendingFlagPayload:
    flag: BefriendingFlag | None
    errors: list[BefriendingError]


async def run(
    info: Info, work: Callable[[Befriending], Awaitable[T]]
) -> T | list[BefriendingError]:
    """Run ``work`` in one audited transaction; refused input changes nothing."""
    context = info.context

    async def in_session(session: Any) -> T:
        return await work(Befriending(session, context.actor, context.today))

    result = await in_transaction(info, in_session)
    if isinstance(result, list):
        return [BefriendingError.of(e) for e in result]
    return result


def respond(payload: type[P], name: str, result: Any) -> P:
    """``payload`` with ``result`` under ``name``, or with the errors ``run`` returned."""
    if isinstance(result, list):
        return payload(**{name: None, "errors": result})
    return payload(**{name: result, "errors": []})


@strawberry.type
class BefriendingMutation:
    @strawberry.mutation(
        description="Befriend a person in your area (members of a trade union, women's "
        "federation or youth league).",
        extensions=requires(access.WRITE),
    )
    async def befriending_start(
        self, info: Info, input: BefriendingStartInput
    ) -> BefriendingRelationshipPayload:
        async def work(b: Befriending) -> Any:
            return await b.start(
                decode_id(input.person_id, "Person", "input.personId"), input.since
            )

        return respond(BefriendingRelationshipPayload, "relationship", await run(info, work))

    @strawberry.mutation(
        description="End a befriending of your organisation.", extensions=requires(access.WRITE)
    )
    async def befriending_end(
        self, info: Info, input: BefriendingEndInput
    ) -> BefriendingRelationshipPayload:
        async def work(b: Befriending) -> Any:
            return await b.end(
                decode_id(input.id, "BefriendingRelationship", "input.id"), input.until
            )

        return respond(BefriendingRelationshipPayload, "relationship", await run(info, work))

    @strawberry.mutation(
        description="Record a visit, call or activity with a person you befriend.",
        extensions=requires(access.WRITE),
    )
    async def befriending_contact_record(
        self, info: Info, input: BefriendingContactRecordInput
    ) -> BefriendingContactPayload:
        async def work(b: Befriending) -> Any:
            return await b.record_contact(
                decode_id(input.person_id, "Person", "input.personId"),
                input.contacted_on,
                ContactKind(input.kind),
                input.family_changes,
                input.emotional_state,
                input.help_given,
                input.donation_yuan,
            )

        return respond(BefriendingContactPayload, "contact", await run(info, work))

    @strawberry.mutation(
        description="Raise a flag: the emotional state of a person you befriend has "
        "worsened. The person's paired official sees it.",
        extensions=requires(access.WRITE),
    )
    async def befriending_flag_raise(
        self, info: Info, input: BefriendingFlagRaiseInput
    ) -> BefriendingFlagPayload:
        async def work(b: Befriending) -> Any:
            return await b.raise_flag(
                decode_id(input.person_id, "Person", "input.personId"), input.note
            )

        return respond(BefriendingFlagPayload, "flag", await run(info, work))

    @strawberry.mutation(
        description="Close a flag of your organisation.", extensions=requires(access.WRITE)
    )
    async def befriending_flag_close(
        self, info: Info, input: BefriendingFlagCloseInput
    ) -> BefriendingFlagPayload:
        async def work(b: Befriending) -> Any:
            return await b.close_flag(decode_id(input.id, "BefriendingFlag", "input.id"))

        return respond(BefriendingFlagPayload, "flag", await run(info, work))
