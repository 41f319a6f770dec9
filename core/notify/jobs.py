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

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import today
from bangfu.core.db import utcnow
from bangfu.core.jobs import Daily, Every, Job, JobContext
from bangfu.core.notify.models import Notification, NotificationDelivery, NotificationState
from bangfu.core.notify.service import remind_and_escalate
from bangfu.core.security import SYSTEM

#: The built-in channel: the notification in the recipient's list (``myNotifications``).
IN_APP = "in-app"
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


async def deliver_pending(session: AsyncSession) -> int:
    """Deliver the notifications still ``CREATED`` (a batch): one delivery row per channel
    and notification, then ``DELIVERED``. The conditional UPDATE lets one worker claim each
    (two workers at once deliver nothing twice). Returns how many were delivered."""
    ids = list(
        await session.scalars(
            select(Notification.id)
            .where(Notification.state == NotificationState.CREATED.value)
            .order_by(Notification.id)
            .limit(_BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0
    now = utcnow()
    claimed = list(
        await session.scalars(
            update(Notification)
            .where(
                Notification.id.in_(ids),
                Notification.state == NotificationState.CREATED.value,
            )
            .values(state=NotificationState.DELIVERED.value, delivered_at=now)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed:
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        await session.execute(
            insert(NotificationDelivery)
            .values(
                [
                    {"notification_id": i, "channel": IN_APP, "state": "SUCCEEDED", "at": now}
                    for i in claimed
                ]
            )
            .on_conflict_do_nothing()
        )
    return len(claimed)


async def deliver(context: JobContext) -> str:
    """Deliver every notification recorded and not delivered yet, a batch per transaction."""
    total = 0
    while True:
        async with context.sessions() as session:
            session.info["actor"] = SYSTEM
            async with session.begin():
                delivered = await deliver_pending(session)
        total += delivered
        if delivered < _BATCH:
            return f"delivered {total}"


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
