"""Notification channels: where notifications go besides the recipient's list.

The built-in channel is in-app (``myNotifications``). A plugin adds a channel (an SMS
gateway, a government messaging platform) with the hook ``bangfu_notification_channels``:
an object with a ``name`` and an ``async deliver(notification)`` that raises when the
channel did not take the notification (docs/plugins/hooks.md).

The worker (job ``notify.deliver``) hands each notification recorded to every channel:
a delivery row per notification and channel (``core_notification_delivery``), written in
one transaction with the notification's move to ``DELIVERED``. A plugin channel's row is
``PENDING`` and sent like a webhook delivery (``bangfu.core.jobs.outbox``): claimed by one
worker, one attempt at a time, each attempt in ``core_notification_attempt``, retried on
the schedule of ``bangfu.core.jobs.retry`` and given up after its last attempt.
``bangfu notification log`` shows them.

What a channel receives (:class:`OutgoingNotification`) holds no more than the recipient
may read: the message names no person, and the subject is a global ID the recipient opens
through the API.
"""

import asyncio
import dataclasses
import datetime as dt
import random
import re
import time
import uuid
from collections.abc import Collection, Sequence
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.db import global_id, utcnow
from bangfu.core.i18n import _
from bangfu.core.jobs.outbox import PENDING, SUCCEEDED, send_due, settle
from bangfu.core.jobs.retry import DELIVERY_TIMEOUT
from bangfu.core.notify.models import Notification, NotificationAttempt, NotificationDelivery
from bangfu.core.security import SYSTEM

#: The built-in channel: the notification in the recipient's list (``myNotifications``).
IN_APP = "in-app"
#: A channel's name: lower-case letters, digits and ``-``, as in ``sms-gateway``.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
BATCH = 50


@dataclasses.dataclass(frozen=True)
class OutgoingNotification:
    """One notification for a channel to deliver.

    :param delivery_id: the same on every attempt of this delivery: a channel (or the
        gateway behind it) that has taken it drops the duplicate.
    :param notification_id: the notification's global ID (``node(id:)`` as the recipient).
    :param recipient_id: the recipient's user key; ``recipient_username`` their login name.
        A channel finds its own address of the user (a phone number it keeps) by them.
    :param reason: why they are told (``RAISED``, ``REMINDER``, ``ESCALATION``, ...).
    :param subject_type: the GraphQL type of what it is about (``CareEvent``, ...);
        ``subject_id`` its global ID.
    :param message: the text in the service's language (``BANGFU_LANGUAGE``); it names no
        person.
    :param created_at: when the notification was recorded (UTC).
    :param attempt: which attempt this is (1 for the first).
    """

    delivery_id: str
    notification_id: str
    recipient_id: int
    recipient_username: str
    reason: str
    subject_type: str
    subject_id: str
    message: str
    created_at: dt.datetime
    attempt: int


class ChannelError(Exception):
    """A channel's refusal of one delivery: its message is logged (``bangfu notification
    log``; write no personal data in it). ``retry=False`` gives the delivery up at once (no
    address on record for the recipient: a retry cannot mend it); any other exception is
    retried on the schedule."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@runtime_checkable
class NotificationChannel(Protocol):
    """What ``bangfu_notification_channels`` returns: a channel.

    ``name`` names it in the delivery log (lower-case letters, digits and ``-``, unique).
    ``reasons`` (optional attribute): the reasons it carries (``{"ESCALATION"}``), every
    reason when absent or None. ``deliver`` is awaited by the worker, at most
    ``DELIVERY_TIMEOUT`` (10 seconds) per attempt; it returns when the channel took the
    notification and raises (:class:`ChannelError`, or anything) when it did not.
    """

    name: str

    async def deliver(self, notification: OutgoingNotification) -> None: ...


def check_channels(channels: Sequence[tuple[str, Any]]) -> dict[str, NotificationChannel]:
    """The plugins' channels by name (``channels``: the plugin and the object it gave),
    refusing a channel that breaks the contract (the service does not start)."""
    from bangfu.core.plugins import PluginError

    found: dict[str, NotificationChannel] = {}
    for plugin, channel in channels:
        name = getattr(channel, "name", None)
        deliver = getattr(channel, "deliver", None)
        if not isinstance(name, str) or not asyncio.iscoroutinefunction(deliver):
            raise PluginError(
                _(
                    "plugin {plugin}: a notification channel needs a name and an async "
                    "deliver(notification)",
                    plugin=plugin,
                )
            )
        if not NAME_PATTERN.fullmatch(name) or len(name) > 64 or name == IN_APP:
            raise PluginError(
                _(
                    "plugin {plugin}: notification channel name {name} must be lower-case "
                    "letters, digits and -, at most 64 characters, and not in-app",
                    plugin=plugin,
                    name=repr(name),
                )
            )
        if name in found:
            raise PluginError(_("two notification channels are named {name}", name=repr(name)))
        reasons = getattr(channel, "reasons", None)
        if reasons is not None and (
            isinstance(reasons, str) or not all(isinstance(r, str) for r in reasons)
        ):
            raise PluginError(
                _(
                    "plugin {plugin}: notification channel {name}: reasons must be a set of "
                    "reason names or None",
                    plugin=plugin,
                    name=repr(name),
                )
            )
        found[name] = channel
    return found


def carries(channel: NotificationChannel, reason: str) -> bool:
    """Whether ``channel`` carries notifications of ``reason``."""
    reasons: Collection[str] | None = getattr(channel, "reasons", None)
    return reasons is None or reason in reasons


def delivery_rows(
    claimed: Sequence[tuple[int, str]],
    channels: dict[str, NotificationChannel],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """The delivery rows of notifications just handed over (``claimed``: key and reason):
    in-app, delivered; a pending one for each plugin channel that carries the reason."""
    rows: list[dict[str, Any]] = []
    for key, reason in claimed:
        rows.append(
            {
                "notification_id": key,
                "channel": IN_APP,
                "delivery_id": str(uuid.uuid4()),
                "state": SUCCEEDED,
                "attempts": 1,
                "at": now,
                "next_attempt_at": None,
                "finished_at": now,
            }
        )
        for name, channel in channels.items():
            if carries(channel, reason):
                rows.append(
                    {
                        "notification_id": key,
                        "channel": name,
                        "delivery_id": str(uuid.uuid4()),
                        "state": PENDING,
                        "attempts": 0,
                        "at": now,
                        "next_attempt_at": now,
                        "finished_at": None,
                    }
                )
    return rows


async def _outgoing(session: AsyncSession, key: int) -> tuple[str, OutgoingNotification]:
    """A delivery's channel and what it is given."""
    from bangfu.core.security.models import User

    delivery = await session.get(NotificationDelivery, key)
    assert delivery is not None
    row = (
        await session.execute(
            select(Notification, User.username)
            .join(User, User.id == Notification.recipient_id)
            .where(Notification.id == delivery.notification_id)
        )
    ).one()
    notification, username = row
    return delivery.channel, OutgoingNotification(
        delivery_id=delivery.delivery_id or "",
        notification_id=global_id("Notification", notification.id) or "",
        recipient_id=notification.recipient_id,
        recipient_username=username,
        reason=notification.reason,
        subject_type=notification.subject_kind,
        subject_id=global_id(notification.subject_kind, notification.subject_id) or "",
        message=notification.message,
        created_at=notification.created_at,
        attempt=delivery.attempts + 1,
    )


def _error_text(error: BaseException) -> str:
    """What the log keeps of a failure: a :class:`ChannelError`'s message (the plugin
    wrote it for operators), else only the exception's class (its text may hold data)."""
    if isinstance(error, ChannelError):
        return str(error)[:300]
    if isinstance(error, TimeoutError):
        seconds = format(DELIVERY_TIMEOUT.total_seconds(), "g")
        return _("no answer within {seconds} seconds", seconds=seconds)
    return type(error).__name__


async def _attempt(
    sessions: async_sessionmaker[AsyncSession],
    channels: dict[str, NotificationChannel],
    key: int,
    jitter: random.Random,
) -> str:
    async with sessions() as session:
        session.info["actor"] = SYSTEM
        name, outgoing = await _outgoing(session, key)
    channel = channels.get(name)
    error: str | None = None
    retry = True
    started = time.monotonic()
    if channel is None:
        # Its plugin is not enabled in this worker (BANGFU_PLUGINS): tried again later,
        # perhaps by a worker that has it.
        error = _("channel {name} is not enabled", name=name)
    else:
        try:
            await asyncio.wait_for(channel.deliver(outgoing), DELIVERY_TIMEOUT.total_seconds())
        except Exception as failure:  # a channel's failure is the delivery's, not the job's
            error = _error_text(failure)
            retry = failure.retry if isinstance(failure, ChannelError) else True
    seconds = time.monotonic() - started
    async with sessions() as session, session.begin():
        session.info["actor"] = SYSTEM
        delivery = await session.get(NotificationDelivery, key, with_for_update=True)
        assert delivery is not None
        outcome = settle(delivery, utcnow(), succeeded=error is None, retry=retry, jitter=jitter)
        delivery.error = error
        session.add(
            NotificationAttempt(
                delivery_pk=key, number=delivery.attempts, error=error, seconds=round(seconds, 3)
            )
        )
        return outcome


async def send_pending(
    sessions: async_sessionmaker[AsyncSession],
    channels: dict[str, NotificationChannel],
    *,
    jitter: random.Random | None = None,
) -> dict[str, int]:
    """Send every plugin-channel delivery due now; how many ended how."""
    rng = jitter or random.Random()

    async def attempt(key: int) -> str:
        return await _attempt(sessions, channels, key, rng)

    return await send_due(sessions, NotificationDelivery, attempt, batch=BATCH)


@dataclasses.dataclass(frozen=True)
class LoggedDelivery:
    """A plugin channel's delivery as ``bangfu notification log`` shows it: no message
    text and no subject, only whom it went to and how each attempt ended."""

    delivery_id: str
    channel: str
    recipient: str
    reason: str
    state: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    attempts: tuple["LoggedAttempt", ...]


@dataclasses.dataclass(frozen=True)
class LoggedAttempt:
    number: int
    at: dt.datetime
    error: str | None


async def delivery_log(
    session: AsyncSession, channel: str | None = None, limit: int = 50
) -> list[LoggedDelivery]:
    """The latest ``limit`` deliveries of the plugins' channels (of ``channel``, or of all),
    newest first, each with every attempt."""
    from bangfu.core.security.models import User

    statement = (
        select(NotificationDelivery, Notification.reason, User.username)
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .join(User, User.id == Notification.recipient_id)
        .where(NotificationDelivery.channel != IN_APP)
        .order_by(NotificationDelivery.id.desc())
        .limit(limit)
    )
    if channel is not None:
        statement = statement.where(NotificationDelivery.channel == channel)
    found = (await session.execute(statement)).all()
    attempts: dict[int, list[LoggedAttempt]] = {}
    if found:
        rows = await session.scalars(
            select(NotificationAttempt)
            .where(NotificationAttempt.delivery_pk.in_([d.id for d, _r, _u in found]))
            .order_by(NotificationAttempt.delivery_pk, NotificationAttempt.number)
        )
        for row in rows:
            attempts.setdefault(row.delivery_pk, []).append(
                LoggedAttempt(row.number, row.at, row.error)
            )
    return [
        LoggedDelivery(
            d.delivery_id or "",
            d.channel,
            username,
            reason,
            d.state,
            d.at,
            d.next_attempt_at if d.state == PENDING else None,
            tuple(attempts.get(d.id, ())),
        )
        for d, reason, username in found
    ]
