"""The worker's notification jobs (``bangfu worker``):

- ``notify.care-reminders``, daily: reminders before care events' deadlines, by
  ``BANGFU_CARE_REMINDER_WORKING_DAYS`` working days, and escalations of events overdue;
- ``notify.deliver``, every minute: hands the notifications recorded since to every
  channel and marks them ``DELIVERED``. The in-app channel is the notification itself
  (``myNotifications`` lists it from the moment it is recorded); later channels
  (webhooks, a plugin's SMS gateway) deliver here, each with its row in
  ``core_notification_delivery``.
"""

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import today
from bangfu.core.db import utcnow
from bangfu.core.jobs import Daily, Every, Job, JobContext
from bangfu.core.jobs.outbox import claim, summary
from bangfu.core.notify.channels import NotificationChannel, delivery_rows, send_pending
from bangfu.core.notify.models import Notification, NotificationDelivery, NotificationState
from bangfu.core.notify.service import remind_and_escalate
from bangfu.core.security import SYSTEM

_BATCH = 500


async def care_reminders(context: JobContext) -> str:
    """Reminders and escalations due today, in one transaction; idempotent."""
    async with context.sessions() as session:
        session.info["actor"] = SYSTEM
        async with session.begin():
            reminded, escalated = await remind_and_escalate(
                session, today(), context.settings.care_reminder_working_days
            )
    return f"{reminded} reminders, {escalated} escalations"


async def deliver_pending(
    session: AsyncSession, channels: dict[str, NotificationChannel] | None = None
) -> int:
    """Hand the notifications still ``CREATED`` (a batch) to every channel: the in-app
    delivery row, a pending row for each plugin channel that carries the reason, and the
    notification ``DELIVERED``, in one transaction. Each notification is claimed by one
    worker (``bangfu.core.jobs.outbox.claim``), so two workers at once hand nothing over
    twice. Returns how many were handed over."""
    now = utcnow()
    claimed = await claim(
        session,
        Notification,
        [Notification.state == NotificationState.CREATED.value],
        {"state": NotificationState.DELIVERED.value, "delivered_at": now},
        order_by=[Notification.id],
        limit=_BATCH,
    )
    if not claimed:
        return 0
    reasons = await session.execute(
        select(Notification.id, Notification.reason)
        .where(Notification.id.in_(claimed))
        .order_by(Notification.id)
    )
    rows = delivery_rows([(key, reason) for key, reason in reasons], channels or {}, now)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(rows), _BATCH):
        await session.execute(
            insert(NotificationDelivery)
            .values(rows[start : start + _BATCH])
            .on_conflict_do_nothing()
        )
    return len(claimed)


async def deliver(context: JobContext) -> str:
    """Hand every notification recorded and not delivered yet to the channels, a batch per
    transaction; then send the plugin channels' deliveries that are due."""
    channels = context.plugins().notification_channels
    total = 0
    while True:
        async with context.sessions() as session:
            session.info["actor"] = SYSTEM
            async with session.begin():
                delivered = await deliver_pending(session, channels)
        total += delivered
        if delivered < _BATCH:
            break
    # Also without channels: a delivery of a channel this worker lacks is tried (and
    # counted towards giving up) all the same.
    sent = await send_pending(context.sessions, channels)
    return f"delivered {total}" + (f"; channels: {summary(sent)}" if sent else "")


CARE_REMINDERS = Job(
    name="notify.care-reminders",
    run=care_reminders,
    schedule=Daily(dt.time(7, 0)),
    retries=3,
    retry_delay=600,
    description="remind officials of care events due soon and escalate overdue ones "
    "(BANGFU_CARE_REMINDER_WORKING_DAYS)",
)

DELIVER = Job(
    name="notify.deliver",
    run=deliver,
    schedule=Every(60),
    retries=3,
    retry_delay=30,
    description="deliver the notifications recorded since the last run to every channel",
)
