"""``careEventUpdates``: an official's care events pushed as they are raised and answered,
and the subscriber's own notifications as they are recorded, over the
``graphql-transport-ws`` protocol (issue 22, R6; docs/api.md#live-updates-subscriptions).

The stream polls the database (``BANGFU_SUBSCRIPTION_POLL_SECONDS``), so every process of
every machine sees what any of them wrote, and each poll reads through a new session of
the subscriber's actor: area scoping and the paired-official rule apply exactly as they do
to ``myCareEvents``, and notifications are read from ``own(actor)`` as ``myNotifications``
reads them. Each poll checks the token again; a token revoked, expired or of a disabled
user ends the stream with ``UNAUTHENTICATED``. Between polls no session and no
transaction stays open.
"""

import asyncio
import dataclasses
import datetime as dt
import enum
from collections import deque
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core import calendar
from bangfu.core.admission import Busy
from bangfu.core.care.event_models import CareEvent, CareResponse
from bangfu.core.care.models import Pairing
from bangfu.core.care.pairing import pairing_holds_on
from bangfu.core.db import utcnow
from bangfu.core.i18n import _
from bangfu.core.notify.models import Notification, NotificationState
from bangfu.core.notify.service import own
from bangfu.core.security.auth import TokenRefusal, check_token
from bangfu.core.security.tokens import aware
from bangfu.schema.care.events import CareEventType
from bangfu.schema.descriptions import graphql_enum
from bangfu.schema.notifications import NotificationType
from bangfu.schema.permissions import requires

#: How far back each poll looks past the last one: a write whose transaction began before
#: a poll but committed after it carries an earlier time (and, on PostgreSQL, a smaller
#: notification id than one already read), and is still found.
LOOKBACK = dt.timedelta(seconds=60)


class CareEventChange(enum.StrEnum):
    RAISED = "RAISED"
    ANSWERED = "ANSWERED"
    NOTIFIED = "NOTIFIED"


CareEventChangeType = graphql_enum(
    CareEventChange,
    name="CareEventChange",
    description="What happened (`careEventUpdates`): to one of your care events, or a "
    "notification for you.",
    values={
        CareEventChange.RAISED: "The event was raised: it is new to its official.",
        CareEventChange.ANSWERED: "A response was recorded (a visit, a call, help given).",
        CareEventChange.NOTIFIED: "A notification for you was recorded (as `myNotifications` "
        "lists it): a care event raised, a reminder, an escalation, a pairing started or "
        "ended, a key problem, a module's flag. `notification` has it.",
    },
)


@strawberry.type(
    description="One change to one of the subscriber's care events, or one notification "
    "for the subscriber."
)
class CareEventUpdate:
    change: CareEventChange = strawberry.field(description="What happened.")
    event: CareEventType | None = strawberry.field(
        description="The event as it is now: for RAISED and ANSWERED always; for NOTIFIED "
        "the notification's subject when it is a care event you may read, else null."
    )
    responses: int | None = strawberry.field(
        description="How many responses `event` has now; null when `event` is null."
    )
    notification: NotificationType | None = strawberry.field(
        default=None, description="For NOTIFIED, the notification; null for other changes."
    )


class SubscriptionEnded(GraphQLError):
    """The subscriber's token no longer holds: the stream ends with ``UNAUTHENTICATED`` and
    the reason (``EXPIRED``, ``REVOKED``), as a request with that token would be refused."""

    def __init__(self, refusal: TokenRefusal) -> None:
        super().__init__(
            _("the login ended ({reason}): log in again", reason=str(refusal)),
            extensions={"code": "UNAUTHENTICATED", "reason": str(refusal)},
        )


def _responses() -> Any:
    """The number of responses of the event of the row (a correlated subquery)."""
    return (
        select(func.count(CareResponse.id))
        .where(CareResponse.event_id == CareEvent.id)
        .scalar_subquery()
    )


@dataclasses.dataclass
class _Stream:
    """What one subscriber's stream has told, between polls.

    Care events are found by time (raised or answered since ``start`` less
    :data:`LOOKBACK`). Notifications are found by id on the index (recipient, id): each
    poll reads the subscriber's rows above ``floor``, an id below which nothing can still
    appear. Ids are taken when a row is written and a row becomes visible when its
    transaction commits, so a smaller id can appear after a larger one: an id becomes the
    floor only once :data:`LOOKBACK` has passed since a poll found it, as a time does for
    events. ``told`` keeps the ids above the floor already told.
    """

    start: dt.datetime
    first: bool  # the first poll of a stream without ``since``: what is there is not new
    seen: dict[int, int] = dataclasses.field(default_factory=dict)  # event -> responses told
    floor: int | None = None
    told: set[int] = dataclasses.field(default_factory=set)
    marks: deque[tuple[float, int]] = dataclasses.field(default_factory=deque)

    async def poll(self, info: Info) -> list[CareEventUpdate]:
        """The updates since the last poll, read as the subscriber; checks the token first."""
        context = info.context
        async with context.services.sessions() as session:
            session.info["actor"] = context.actor
            if context.token is not None:
                found = await check_token(session, context.token, context.settings)
                if isinstance(found, TokenRefusal):
                    raise SubscriptionEnded(found)
            context.today = calendar.today()
            updates = await self._event_changes(session, context)
            updates += await self._notifications(session, context)
            session.expunge_all()
        self.first = False
        return updates

    async def _event_changes(self, session: AsyncSession, context: Any) -> list[CareEventUpdate]:
        """The subscriber's care events raised or answered since the start."""
        since = self.start - LOOKBACK
        mine = select(Pairing.person_id).where(
            Pairing.official_id == context.actor.id, pairing_holds_on(context.today)
        )
        answered = select(CareResponse.event_id).where(CareResponse.created_at >= since)
        rows = await session.execute(
            select(CareEvent, _responses())
            .where(
                CareEvent.person_id.in_(mine),
                or_(CareEvent.created_at >= since, CareEvent.id.in_(answered)),
            )
            .order_by(CareEvent.id)
        )
        updates: list[CareEventUpdate] = []
        for event, count in rows:
            responses = int(count)
            told = self.seen.get(event.id)
            if self.first and aware(event.created_at) < self.start and told is None:
                self.seen[event.id] = responses  # already there when the stream began
                continue
            if told is not None and told >= responses:
                continue
            self.seen[event.id] = responses
            change = (
                CareEventChange.RAISED
                if told is None and (aware(event.created_at) >= self.start or responses == 0)
                else CareEventChange.ANSWERED
            )
            updates.append(CareEventUpdate(change=change, event=event, responses=responses))
        return updates

    async def _notifications(self, session: AsyncSession, context: Any) -> list[CareEventUpdate]:
        """The subscriber's notifications recorded since the last poll (``own``), not
        cancelled, each once; on the first poll, those recorded before the start are
        taken as told."""
        first_poll = self.floor is None
        if self.floor is None:
            # The subscriber's rows written before start less LOOKBACK are all committed:
            # the largest id among them is the first floor.
            before = (
                own(context.actor)
                .with_only_columns(func.max(Notification.id))
                .where(Notification.created_at < self.start - LOOKBACK)
            )
            self.floor = await session.scalar(before) or 0
        rows = list(
            await session.scalars(
                own(context.actor)
                .where(
                    Notification.id > self.floor,
                    Notification.state != NotificationState.CANCELLED.value,
                )
                .order_by(Notification.id)
            )
        )
        fresh: list[Notification] = []
        for row in rows:
            if row.id in self.told:
                continue
            self.told.add(row.id)
            if first_poll and aware(row.created_at) < self.start:
                continue  # already there when the stream began (or before ``since``)
            fresh.append(row)
        self._advance(max((row.id for row in rows), default=self.floor))
        subjects = {row.subject_id for row in fresh if row.subject_kind == "CareEvent"}
        events: dict[int, tuple[CareEvent, int]] = {}
        if subjects:  # the events the subscriber may read: the session is scoped
            found = await session.execute(
                select(CareEvent, _responses()).where(CareEvent.id.in_(sorted(subjects)))
            )
            events = {event.id: (event, int(count)) for event, count in found}
        updates = []
        for row in fresh:
            event, responses = (
                events.get(row.subject_id, (None, None))
                if row.subject_kind == "CareEvent"
                else (None, None)
            )
            updates.append(
                CareEventUpdate(
                    change=CareEventChange.NOTIFIED,
                    event=event,  # type: ignore[arg-type]
                    responses=responses,
                    notification=row,  # type: ignore[arg-type]
                )
            )
        return updates

    def _advance(self, largest: int) -> None:
        """Note the largest id this poll found; raise the floor to what a poll found
        :data:`LOOKBACK` ago, and forget the told ids at or below it."""
        now = asyncio.get_running_loop().time()
        self.marks.append((now, largest))
        floor = self.floor or 0
        while self.marks and self.marks[0][0] <= now - LOOKBACK.total_seconds():
            floor = max(floor, self.marks.popleft()[1])
        if floor != self.floor:
            self.floor = floor
            self.told = {key for key in self.told if key > floor}


@strawberry.type
class CareSubscription:
    @strawberry.subscription(
        description="Your care events as they are raised and answered (the events of the "
        "persons paired with you, as `myCareEvents`), and your notifications as they are "
        "recorded (NOTIFIED: your own only, as `myNotifications`; one cancelled before it "
        "was sent is not sent), over the graphql-transport-ws protocol. Each change and "
        "each notification comes once; the first message may take a poll interval "
        "(`BANGFU_SUBSCRIPTION_POLL_SECONDS`). Off in the production profile unless "
        "`BANGFU_SUBSCRIPTIONS` is on.",
        extensions=requires("care:read"),
    )
    async def care_event_updates(
        self,
        info: Info,
        since: Annotated[
            dt.datetime | None,
            strawberry.argument(
                description="Also the changes and notifications since this time (at most "
                "a day back), so a client that reconnects misses nothing; by default only "
                "what happens from now on."
            ),
        ] = None,
    ) -> AsyncGenerator[CareEventUpdate, None]:
        context = info.context
        now = utcnow()
        start = now if since is None else max(since, now - dt.timedelta(days=1))
        stream = _Stream(start=start, first=since is None)
        actor = context.actor
        # One of the actor's places for open subscriptions (bangfu.core.admission), held
        # until the stream ends: each one reads the database every interval.
        place = context.services.admission.subscription(f"{actor.kind.value}:{actor.id}")
        try:
            with place:
                while True:
                    await context.refresh()  # nothing of the last message stays open or cached
                    # A client that leaves mid-poll cancels no statement: the poll (a few
                    # indexed reads) finishes and closes its session, and its connection
                    # goes back to the pool instead of being torn down under a running
                    # statement.
                    for update in await asyncio.shield(stream.poll(info)):
                        yield update
                    await asyncio.sleep(context.settings.subscription_poll_seconds)
        except Busy as busy:  # raised on entering only: the actor has too many open
            raise GraphQLError(busy.message, extensions={"code": "TOO_MANY_REQUESTS"}) from None
