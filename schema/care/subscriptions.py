"""``careEventUpdates``: an official's care events pushed as they are raised and answered,
over the ``graphql-transport-ws`` protocol (issue 22, R6; docs/api.md#live-updates).

The stream polls the database (``BANGFU_SUBSCRIPTION_POLL_SECONDS``), so every process of
every machine sees what any of them wrote, and each poll reads through a new session of
the subscriber's actor: area scoping and the paired-official rule apply exactly as they do
to ``myCareEvents``. Each poll checks the token again; a token revoked, expired or of a
disabled user ends the stream with ``UNAUTHENTICATED``. Between polls no session and no
transaction stays open.
"""

import asyncio
import datetime as dt
import enum
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from graphql import GraphQLError
from sqlalchemy import func, or_, select
from strawberry.types import Info

from bangfu.core import calendar
from bangfu.core.care.event_models import CareEvent, CareResponse
from bangfu.core.care.models import Pairing
from bangfu.core.care.pairing import pairing_holds_on
from bangfu.core.db import utcnow
from bangfu.core.i18n import _
from bangfu.core.security.auth import TokenRefusal, check_token
from bangfu.core.security.tokens import aware
from bangfu.schema.care.events import CareEventType
from bangfu.schema.descriptions import graphql_enum
from bangfu.schema.permissions import requires

#: How far back each poll looks past the last one: a write whose transaction began before
#: a poll but committed after it carries an earlier time, and is still found.
LOOKBACK = dt.timedelta(seconds=60)


class CareEventChange(enum.StrEnum):
    RAISED = "RAISED"
    ANSWERED = "ANSWERED"


CareEventChangeType = graphql_enum(
    CareEventChange,
    name="CareEventChange",
    description="What happened to a care event (`careEventUpdates`).",
    values={
        CareEventChange.RAISED: "The event was raised: it is new to its official.",
        CareEventChange.ANSWERED: "A response was recorded (a visit, a call, help given).",
    },
)


@strawberry.type(description="One change to one of the subscriber's care events.")
class CareEventUpdate:
    change: CareEventChange = strawberry.field(description="What happened.")
    event: CareEventType = strawberry.field(description="The event as it is now.")
    responses: int = strawberry.field(description="How many responses the event has now.")


class SubscriptionEnded(GraphQLError):
    """The subscriber's token no longer holds: the stream ends with ``UNAUTHENTICATED`` and
    the reason (``EXPIRED``, ``REVOKED``), as a request with that token would be refused."""

    def __init__(self, refusal: TokenRefusal) -> None:
        super().__init__(
            _("the login ended ({reason}): log in again", reason=str(refusal)),
            extensions={"code": "UNAUTHENTICATED", "reason": str(refusal)},
        )


async def _changes(info: Info, since: dt.datetime) -> list[tuple[CareEvent, int]]:
    """The subscriber's care events raised or answered since ``since``, with each one's
    number of responses, read as the subscriber; checks the token first."""
    context = info.context
    async with context.services.sessions() as session:
        session.info["actor"] = context.actor
        if context.token is not None:
            found = await check_token(session, context.token, context.settings)
            if isinstance(found, TokenRefusal):
                raise SubscriptionEnded(found)
        context.today = calendar.today()
        mine = select(Pairing.person_id).where(
            Pairing.official_id == context.actor.id, pairing_holds_on(context.today)
        )
        responses = (
            select(func.count(CareResponse.id))
            .where(CareResponse.event_id == CareEvent.id)
            .scalar_subquery()
        )
        answered = select(CareResponse.event_id).where(CareResponse.created_at >= since)
        rows = await session.execute(
            select(CareEvent, responses)
            .where(
                CareEvent.person_id.in_(mine),
                or_(CareEvent.created_at >= since, CareEvent.id.in_(answered)),
            )
            .order_by(CareEvent.id)
        )
        found_rows = [(event, int(count)) for event, count in rows]
        session.expunge_all()
    return found_rows


@strawberry.type
class CareSubscription:
    @strawberry.subscription(
        description="Your care events as they are raised and answered (the events of the "
        "persons paired with you, as `myCareEvents`), over the graphql-transport-ws "
        "protocol. Each change comes once; the first message may take a poll interval "
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
                description="Also the changes since this time (at most a day back), so a "
                "client that reconnects misses nothing; by default only what happens from "
                "now on."
            ),
        ] = None,
    ) -> AsyncGenerator[CareEventUpdate, None]:
        context = info.context
        now = utcnow()
        start = now if since is None else max(since, now - dt.timedelta(days=1))
        seen: dict[int, int] = {}  # event id -> the responses already told
        first = since is None
        while True:
            await context.refresh()  # nothing of the last message stays open or cached
            found = await _changes(info, start - LOOKBACK)
            for event, responses in found:
                told = seen.get(event.id)
                if first and aware(event.created_at) < start and told is None:
                    seen[event.id] = responses  # already there when the stream began
                    continue
                if told is not None and told >= responses:
                    continue
                seen[event.id] = responses
                change = (
                    CareEventChange.RAISED
                    if told is None and (aware(event.created_at) >= start or responses == 0)
                    else CareEventChange.ANSWERED
                )
                yield CareEventUpdate(change=change, event=event, responses=responses)  # type: ignore[arg-type]
            first = False
            await asyncio.sleep(context.settings.subscription_poll_seconds)
