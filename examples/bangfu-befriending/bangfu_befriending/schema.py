"""Root fields of the befriending plugin: the flags a paired official sees, and the
mutations (noun first, one ``input``, a payload with ``errors``).

Every mutation runs its use case with ``run_mutation``: one audited transaction; a
``DomainError`` rolls it back and becomes the payload's ``errors`` (``BefriendingError``).
"""

import datetime as dt
import decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.plugin import decode_id, requires, run_mutation
from bangfu_befriending import access
from bangfu_befriending.models import Contact, ContactKind, Flag, Relationship
from bangfu_befriending.service import Befriending
from bangfu_befriending.types import (
    BefriendingContact,
    BefriendingError,
    BefriendingFlag,
    BefriendingRelationship,
)

MAX_FLAGS = 100
MAX_RELATIONSHIPS = 100


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

    @strawberry.field(
        description=f"Current befriendings whose contacts you may read, newest first (at "
        f"most {MAX_RELATIONSHIPS}): a member's own organisation's, a paired official's "
        "persons', or (city administrators) all in the area. Each one's person is "
        "`node(id: personId)`, with its contacts and flags under `befriending`.",
        extensions=requires(access.READ_CONTACTS),
    )
    async def befriending_relationships(self, info: Info) -> list[BefriendingRelationship]:
        context = info.context
        async with context.read() as session:
            return list(
                (
                    await session.scalars(
                        select(Relationship)
                        .where(
                            Relationship.until.is_(None),
                            access.readable_rows(Relationship, context.actor, context.today),
                        )
                        .order_by(Relationship.since.desc(), Relationship.id.desc())
                        .limit(MAX_RELATIONSHIPS)
                    )
                ).all()
            )


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
    kind: ContactKind = strawberry.field(description="How you kept in touch.")
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


@strawberry.type(
    name="BefriendingRelationshipPayload",
    description="What `befriendingStart` and `befriendingEnd` answer.",
)
class BefriendingRelationshipPayload:
    relationship: BefriendingRelationship | None = strawberry.field(
        description="The befriending started or ended; null when `errors` is not empty."
    )
    errors: list[BefriendingError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(
    name="BefriendingContactPayload", description="What `befriendingContactRecord` answers."
)
class BefriendingContactPayload:
    contact: BefriendingContact | None = strawberry.field(
        description="The contact recorded; null when `errors` is not empty."
    )
    errors: list[BefriendingError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(
    name="BefriendingFlagPayload",
    description="What `befriendingFlagRaise` and `befriendingFlagClose` answer.",
)
class BefriendingFlagPayload:
    flag: BefriendingFlag | None = strawberry.field(
        description="The flag raised or closed; null when `errors` is not empty."
    )
    errors: list[BefriendingError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


def befriending(session: AsyncSession, context: Any) -> Befriending:
    """The use cases in the mutation's transaction, as the request's actor (``service=``)."""
    return Befriending(session, context.actor, context.today)


@strawberry.type
class BefriendingMutation:
    @strawberry.mutation(
        description="Befriend a person in your area (members of a trade union, women's "
        "federation or youth league).",
        extensions=requires(access.WRITE),
    )
    async def befriending_start(
        self,
        info: Info,
        input: Annotated[
            BefriendingStartInput,
            strawberry.argument(description="The person and the first day."),
        ],
    ) -> BefriendingRelationshipPayload:
        async def work(b: Befriending) -> Relationship:
            return await b.start(
                decode_id(input.person_id, "Person", "input.personId"), input.since
            )

        return await run_mutation(info, BefriendingRelationshipPayload, work, service=befriending)

    @strawberry.mutation(
        description="End a befriending of your organisation.", extensions=requires(access.WRITE)
    )
    async def befriending_end(
        self,
        info: Info,
        input: Annotated[
            BefriendingEndInput,
            strawberry.argument(description="The befriending and its last day."),
        ],
    ) -> BefriendingRelationshipPayload:
        async def work(b: Befriending) -> Relationship:
            return await b.end(
                decode_id(input.id, "BefriendingRelationship", "input.id"), input.until
            )

        return await run_mutation(info, BefriendingRelationshipPayload, work, service=befriending)

    @strawberry.mutation(
        description="Record a visit, call or activity with a person you befriend.",
        extensions=requires(access.WRITE),
    )
    async def befriending_contact_record(
        self,
        info: Info,
        input: Annotated[
            BefriendingContactRecordInput,
            strawberry.argument(description="The person and the contact."),
        ],
    ) -> BefriendingContactPayload:
        async def work(b: Befriending) -> Contact:
            return await b.record_contact(
                decode_id(input.person_id, "Person", "input.personId"),
                input.contacted_on,
                ContactKind(input.kind),
                input.family_changes,
                input.emotional_state,
                input.help_given,
                input.donation_yuan,
            )

        return await run_mutation(info, BefriendingContactPayload, work, service=befriending)

    @strawberry.mutation(
        description="Raise a flag: the emotional state of a person you befriend has "
        "worsened. The person's paired official sees it.",
        extensions=requires(access.WRITE),
    )
    async def befriending_flag_raise(
        self,
        info: Info,
        input: Annotated[
            BefriendingFlagRaiseInput,
            strawberry.argument(description="The person and what you saw."),
        ],
    ) -> BefriendingFlagPayload:
        async def work(b: Befriending) -> Flag:
            return await b.raise_flag(
                decode_id(input.person_id, "Person", "input.personId"), input.note
            )

        return await run_mutation(info, BefriendingFlagPayload, work, service=befriending)

    @strawberry.mutation(
        description="Close a flag of your organisation.", extensions=requires(access.WRITE)
    )
    async def befriending_flag_close(
        self,
        info: Info,
        input: Annotated[
            BefriendingFlagCloseInput, strawberry.argument(description="The flag to close.")
        ],
    ) -> BefriendingFlagPayload:
        async def work(b: Befriending) -> Flag:
            return await b.close_flag(decode_id(input.id, "BefriendingFlag", "input.id"))

        return await run_mutation(info, BefriendingFlagPayload, work, service=befriending)
