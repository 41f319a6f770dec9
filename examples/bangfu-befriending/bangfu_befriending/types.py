"""The GraphQL types of the befriending plugin, and its field on ``Person``.

Every type is declared here, at module level. The types of rows (``BefriendingRelationship``,
``BefriendingContact``, ``BefriendingFlag``) are given the ORM rows themselves: their
resolvers read the row as ``root``, typed as the model.
"""

import datetime as dt
import decimal
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.dataloader import DataLoader
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from bangfu.plugin import (
    Allowed,
    Error,
    Node,
    OrganisationType,
    Outcome,
    Person,
    audit_event,
    graphql_enum,
    node_source,
    person_data,
    to_global_id,
)
from bangfu_befriending import access
from bangfu_befriending.messages import _
from bangfu_befriending.models import Contact, ContactKind, Flag, Relationship

# Registers the enum under its GraphQL name, a description on every value; fields are
# annotated with ContactKind itself.
graphql_enum(
    ContactKind,
    name="BefriendingContactKind",
    description="How a befriending volunteer kept in touch with the person.",
    values={
        ContactKind.VISIT: "A visit to the person (走访).",
        ContactKind.CALL: "A telephone or video call.",
        ContactKind.ACTIVITY: "An activity the person took part in with the volunteer.",
    },
)


@strawberry.type(
    name="BefriendingError", description="One problem with a befriending input. Nothing changed."
)
class BefriendingError(Error):
    """The error type of every befriending payload; ``run_mutation`` fills it in."""


class EmotionalStateGuard(BasePermission):
    """The emotional-state note needs ``befriending:read-sensitive``; every read is
    audited (one row per request, naming the persons and contacts)."""

    error_extensions = {"code": "FORBIDDEN"}

    def on_unauthorized(self) -> None:
        # The message in the request's language, so written when refused, not at import.
        raise self.error_class(
            _(
                "emotional-state notes are sensitive: they need {action}",
                action=access.READ_SENSITIVE,
            ),
            extensions=dict(self.error_extensions),
        )

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if not await Allowed(access.READ_SENSITIVE).has_permission(source, info, **kwargs):
            return False
        await info.context.loaders["befriending_emotional_reads"].load(
            (source.id, source.person_id)
        )
        return True


def emotional_state_access() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[EmotionalStateGuard()], use_directives=False)]


def audit_emotional_reads(context: Any) -> DataLoader[tuple[int, int], bool]:
    async def load(keys: Sequence[tuple[int, int]]) -> list[bool]:
        persons = sorted({person for _, person in keys})
        await audit_event(
            context,
            "query:BefriendingContact.emotionalState",
            Outcome.OK,
            targets=[to_global_id("Person", p) for p in persons]
            + [to_global_id("BefriendingContact", c) for c, _ in keys],
            details={"action": access.READ_SENSITIVE, "records": len(keys)},
        )
        return [True] * len(keys)

    return DataLoader(load)


# node(id:) reads a relationship as Person.befriending does: befriending:read, and for a
# child under 14 befriending:read-sensitive.
@node_source(
    Relationship, read=access.READ, child=access.READ_SENSITIVE, person=lambda r: r.person_id
)
@strawberry.type(
    name="BefriendingRelationship",
    description="A volunteer of a mass organisation befriends a person (交朋友, R8).",
)
class BefriendingRelationship(Node):
    since: dt.date = strawberry.field(description="The first day of the befriending.")
    until: dt.date | None = strawberry.field(
        description="The last day of the befriending; null while it lasts."
    )

    @strawberry.field(description="Global ID (for befriendingEnd).")  # type: ignore[misc]
    @staticmethod
    def id(root: Relationship) -> strawberry.ID:
        return strawberry.ID(to_global_id("BefriendingRelationship", root.id))

    @strawberry.field(description="The person befriended (a Person ID).")
    @staticmethod
    def person_id(root: Relationship) -> strawberry.ID:
        return strawberry.ID(to_global_id("Person", root.person_id))

    @strawberry.field(description="The volunteer's display name.")
    @staticmethod
    async def volunteer(root: Relationship, info: Info) -> str | None:
        user = await info.context.loaders["befriending_users"].load(root.volunteer_id)
        return None if user is None else str(user.display_name)

    @strawberry.field(description="The trade union, women's federation or youth league.")
    @staticmethod
    async def organisation(root: Relationship, info: Info) -> OrganisationType | None:
        return await info.context.loaders["organisation"].load(root.organisation_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Relationship)


@strawberry.type(
    name="BefriendingContact",
    description="A visit, call or activity of a befriending volunteer. Readable only by the "
    "writing organisation, the person's paired official and city administrators.",
)
class BefriendingContact:
    contacted_on: dt.date = strawberry.field(description="The day of the contact.")
    kind: ContactKind = strawberry.field(description="How the volunteer kept in touch.")
    family_changes: str | None = strawberry.field(
        description="Changes in the family, in words; null when none were noted."
    )
    help_given: str | None = strawberry.field(description="Help given, in words; null when none.")
    donation_yuan: decimal.Decimal | None = strawberry.field(
        description="A donation handed over, in yuan (exact, 2 decimals); null when none."
    )
    emotional_state: str | None = strawberry.field(
        description="The person's emotional state (sensitive: needs "
        "befriending:read-sensitive; every read is audited).",
        extensions=emotional_state_access(),
    )

    @strawberry.field(description="The writing organisation.")
    @staticmethod
    async def organisation(root: Contact, info: Info) -> OrganisationType | None:
        return await info.context.loaders["organisation"].load(root.organisation_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Contact)


def readable_flags(context: Any) -> Callable[[Sequence[int]], Awaitable[list[Any]]]:
    """node(id:)'s batch of flags: by key, only those the actor may read (``may_read``, as
    ``befriendingOpenFlags`` and ``Person.befriending`` decide); the others read as absent."""

    async def load(keys: Sequence[int]) -> list[Any]:
        async with context.read() as session:  # area-scoped, like every read
            rows = list((await session.scalars(select(Flag).where(Flag.id.in_(keys)))).all())
        officials = await context.loaders["befriending_paired_officials"].load_many(
            [row.person_id for row in rows]
        )
        found = {
            row.id: row
            for row, paired in zip(rows, officials, strict=True)
            if access.may_read(context.actor, row.organisation_id, paired)
        }
        return [found.get(key) for key in keys]

    return load


@node_source(Flag, read=access.READ_CONTACTS, batch=readable_flags)
@strawberry.type(
    name="BefriendingFlag",
    description="A volunteer's alarm that a person's emotional state has worsened; the "
    "person's paired official sees it.",
)
class BefriendingFlag(Node):
    raised_on: dt.date = strawberry.field(description="The day the flag was raised.")
    note: str = strawberry.field(description="What the volunteer saw, in words.")
    closed_on: dt.date | None = strawberry.field(
        description="The day the flag was closed (`befriendingFlagClose`); null while open."
    )

    @strawberry.field(description="Global ID (for befriendingFlagClose).")  # type: ignore[misc]
    @staticmethod
    def id(root: Flag) -> strawberry.ID:
        return strawberry.ID(to_global_id("BefriendingFlag", root.id))

    @strawberry.field(description="The person concerned (a Person ID).")
    @staticmethod
    def person_id(root: Flag) -> strawberry.ID:
        return strawberry.ID(to_global_id("Person", root.person_id))

    @strawberry.field(description="The organisation of the volunteer who raised it.")
    @staticmethod
    async def organisation(root: Flag, info: Info) -> OrganisationType | None:
        return await info.context.loaders["organisation"].load(root.organisation_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Flag)


async def readable(info: Info, rows: Sequence[Any], person_id: int) -> list[Any]:
    """The contacts or flags of one person that the actor may read (access.may_read)."""
    context = info.context
    if not rows or not context.allowed(access.READ_CONTACTS):
        return []
    officials = await context.loaders["befriending_paired_officials"].load(person_id)
    return [r for r in rows if access.may_read(context.actor, r.organisation_id, officials)]


@strawberry.type(name="BefriendingOnPerson", description="The befriending of a person (R8).")
class BefriendingOnPerson:
    person_id: strawberry.Private[int]

    @strawberry.field(description="Who befriends the person, current first.")
    async def relationships(self, info: Info) -> list[BefriendingRelationship]:
        return await info.context.loaders["befriending_relationships"].load(self.person_id)

    @strawberry.field(
        description="Contacts, newest first: only those of your organisation, of a person "
        "paired with you, or (city administrators) all."
    )
    async def contacts(self, info: Info) -> list[BefriendingContact]:
        rows = await info.context.loaders["befriending_contacts"].load(self.person_id)
        return await readable(info, rows, self.person_id)

    @strawberry.field(description="Open flags of a worsened emotional state (same readers).")
    async def open_flags(self, info: Info) -> list[BefriendingFlag]:
        rows = await info.context.loaders["befriending_open_flags"].load(self.person_id)
        return await readable(info, rows, self.person_id)


@strawberry.type
class BefriendingPersonFields:
    """Mixed into ``Person``: the field ``befriending`` (nullable, as every plugin field)."""

    @strawberry.field(
        description="Befriending by trade unions, women's federations and youth leagues "
        "(befriending plugin; null without befriending:read).",
        extensions=person_data(access.READ, child=access.READ_SENSITIVE),
    )
    @staticmethod
    def befriending(root: Person) -> BefriendingOnPerson | None:
        return BefriendingOnPerson(person_id=root.id)
