"""GraphQL of notifications (issue 22): ``myNotifications`` and ``notificationMarkRead``.

Every read starts from ``bangfu.core.notify.service.own``: a user sees their own
notifications only, whatever their role and area; another's is answered like one that
does not exist.
"""

import datetime as dt
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core.db import utcnow
from bangfu.core.errors import DomainError, ErrorCode, FieldError, not_found
from bangfu.core.i18n import _
from bangfu.core.notify.models import Notification, NotificationReason, NotificationState
from bangfu.core.notify.service import message_of, own
from bangfu.schema.connections import CURSOR, After, Before, First, Last, Page, paginate
from bangfu.schema.descriptions import ERRORS, FILTER, INPUT, graphql_enum
from bangfu.schema.errors import CoreError
from bangfu.schema.nodes import load_node, node_source, node_sources
from bangfu.schema.permissions import requires
from bangfu.schema.relay import Node, decode_global_id, to_global_id
from bangfu.schema.scan_cost import INDEXED
from bangfu.schema.transactions import run_mutation

MAX_IDS = 100

graphql_enum(
    NotificationReason,
    name="NotificationReason",
    description="Why you are told.",
    values={
        "RAISED": "A care event was raised for a person you care for (the paired official; "
        "for a person nobody is paired with, the county's civil-affairs office).",
        "PAIRING_STARTED": "You were paired with a person.",
        "PAIRING_ENDED": "Your pairing with a person ended.",
        "KEY_PROBLEM": "A screening visit found a key problem of a person paired with you.",
        "REMINDER": "A care event you are to answer is due soon "
        "(`BANGFU_CARE_REMINDER_WORKING_DAYS` working days before its deadline).",
        "ESCALATION": "A care event of your county passed its deadline unanswered "
        "(the county's civil-affairs office).",
        "FLAG_RAISED": "A module raised a flag about a person paired with you (befriending: "
        "an emotional state that needs attention).",
    },
)
graphql_enum(
    NotificationState,
    name="NotificationState",
    description="Where a notification stands.",
    values={
        "CREATED": "Recorded; in your list, not yet handed to every channel.",
        "DELIVERED": "Handed to every channel by the worker (`notify.deliver`).",
        "READ": "You marked it read (`notificationMarkRead`).",
        "CANCELLED": "A reminder whose event was answered before it was delivered.",
    },
)


def _own_batch(context: Any) -> Any:
    async def load(keys: Any) -> list[Any]:
        statement = own(context.actor).where(Notification.id.in_(keys))
        async with context.read() as session:
            rows = {row.id: row for row in await session.scalars(statement)}
        return [rows.get(key) for key in keys]

    return load


@node_source(Notification, read="care:read", batch=_own_batch)
@strawberry.type(
    name="Notification",
    description="Something you are told because you must act: its reason, its subject and "
    "its message. It names no person: open the subject to see what you may see of it.",
)
class NotificationType(Node):
    created_at: dt.datetime = strawberry.field(description="When it was recorded.")
    delivered_at: dt.datetime | None = strawberry.field(
        description="When every channel had it; null until then."
    )
    read_at: dt.datetime | None = strawberry.field(
        description="When you marked it read; null until then."
    )

    @strawberry.field(description="The global ID of the notification.")  # type: ignore[misc]
    @staticmethod
    def id(root: Notification) -> strawberry.ID:
        return strawberry.ID(to_global_id("Notification", root.id))

    @strawberry.field(description="Why you are told.")
    @staticmethod
    def reason(root: Notification) -> NotificationReason:
        return NotificationReason(root.reason)

    @strawberry.field(description="Where it stands: created, delivered, read (or cancelled).")
    @staticmethod
    def state(root: Notification) -> NotificationState:
        return NotificationState(root.state)

    @strawberry.field(description="What you are told, in your language (Chinese by default).")
    @staticmethod
    def message(root: Notification) -> str:
        return message_of(root)

    @strawberry.field(
        description="The global ID of what it is about (a care event, a pairing, a problem, "
        "a module's record)."
    )
    @staticmethod
    def subject_id(root: Notification) -> strawberry.ID:
        return strawberry.ID(to_global_id(root.subject_kind, root.subject_id))

    @strawberry.field(
        description="What it is about, as you may see it now; null when you may not (a "
        "pairing that ended, a person out of your area)."
    )
    @staticmethod
    async def subject(root: Notification, info: Info) -> Node | None:
        entry = node_sources(info.schema).get(root.subject_kind)
        if entry is None or not info.context.allowed(entry[1].read):
            return None  # a record of a kind you may not read: null, not an error
        return await load_node(info, to_global_id(root.subject_kind, root.subject_id))

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Notification)


@strawberry.type(name="NotificationEdge", description="A notification and its cursor.")
class NotificationEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: NotificationType = strawberry.field(description="The notification.")


@strawberry.type(
    name="NotificationConnection",
    description="A page of your notifications, newest first, with the total count.",
)
class NotificationConnection(Page):
    edges: list[NotificationEdge] = strawberry.field(
        description="The notifications of this page with their cursors, in order."
    )
    nodes: list[NotificationType] = strawberry.field(
        description="The notifications of this page, in order: `edges` without the cursors."
    )


@strawberry.input(description="Filters for your notifications; all given filters must hold.")
class NotificationFilter:
    state: NotificationState | None = strawberry.field(
        default=None,
        description="Only notifications in this state; omitted: all but CANCELLED ones.",
        metadata=INDEXED,
    )
    unread_only: bool = strawberry.field(
        default=False, description="Only those you have not marked read.", metadata=INDEXED
    )


@strawberry.input(description="Notifications to mark read (`notificationMarkRead`).")
class NotificationMarkReadInput:
    ids: list[strawberry.ID] = strawberry.field(
        description=f"The global IDs of your notifications (1 to {MAX_IDS}); marking one "
        "read again changes nothing."
    )


@strawberry.type(
    name="NotificationMarkReadPayload", description="The result of `notificationMarkRead`."
)
class NotificationMarkReadPayload:
    notifications: list[NotificationType] | None = strawberry.field(
        description="The notifications, read, in the order asked; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="Query")
class NotificationQuery:
    @strawberry.field(
        description="Your notifications, newest first: only your own, whatever your role.",
        extensions=requires("care:read"),
    )
    async def my_notifications(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[NotificationFilter | None, FILTER] = None,
    ) -> NotificationConnection:
        statement = own(info.context.actor)
        if filter is not None and filter.state is not None:
            statement = statement.where(Notification.state == NotificationState(filter.state))
        else:
            statement = statement.where(Notification.state != NotificationState.CANCELLED)
        if filter is not None and filter.unread_only:
            statement = statement.where(Notification.read_at.is_(None))
        return await paginate(
            info.context,
            NotificationConnection,
            NotificationEdge,
            statement,
            Notification,
            first=first,
            after=after,
            last=last,
            before=before,
            newest_first=True,
        )


@strawberry.type(name="Mutation")
class NotificationMutation:
    @strawberry.mutation(
        description="Mark your notifications read; another's ID is answered like an unknown one "
        "(NOT_FOUND) and nothing is changed.",
        extensions=requires("care:read"),
    )
    async def notification_mark_read(
        self, info: Info, input: Annotated[NotificationMarkReadInput, INPUT]
    ) -> NotificationMarkReadPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> list[Notification]:
            if not 1 <= len(input.ids) <= MAX_IDS:
                raise DomainError.of(
                    "input.ids",
                    _("give 1 to {limit} IDs", limit=MAX_IDS),
                    ErrorCode.INVALID_INPUT,
                )
            keys: list[int | None] = []
            for global_id in input.ids:
                try:
                    kind, key = decode_global_id(global_id)
                    keys.append(key if kind == "Notification" else None)
                except ValueError:
                    keys.append(None)
            statement = own(actor).where(Notification.id.in_([k for k in keys if k is not None]))
            rows = {row.id: row for row in await session.scalars(statement)}
            errors = [
                FieldError(f"input.ids.{index}", not_found("Notification"), ErrorCode.NOT_FOUND)
                for index, key in enumerate(keys)
                if key not in rows
            ]
            if errors:
                raise DomainError(*errors)
            now = utcnow()
            for row in rows.values():
                if row.read_at is None:
                    row.read_at = now
                    row.state = NotificationState.READ.value
            await session.flush()
            return [rows[key] for key in keys if key is not None]

        return await run_mutation(info, NotificationMarkReadPayload, work)


__all__ = ["NotificationMutation", "NotificationQuery"]
