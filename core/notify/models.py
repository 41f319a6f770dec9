"""Notifications as data: what a user is told, and where it was delivered.

A notification belongs to its recipient alone: it is read by the recipient only, whatever
their role and area (``bangfu.core.notify.service.own``), like a user's access tokens, so
the table is not area-scoped but declared global and every read filters by recipient. It
holds no personal data: the subject is named by its kind and key, and the message by a
template and the values it shows (the kind of an event, a day), never a name or an ID
number; the recipient opens the subject through the API, where area scoping and masking
apply as to everything else.
"""

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.db import Base, utcnow
from bangfu.core.registry.scoping import GlobalModel


class NotificationReason(enum.StrEnum):
    """Why a user is told. Stored as text: later reasons need no migration."""

    RAISED = "RAISED"  # a care event was raised for a person the recipient cares for
    PAIRING_STARTED = "PAIRING_STARTED"  # the recipient was paired with a person
    PAIRING_ENDED = "PAIRING_ENDED"  # the recipient's pairing ended
    KEY_PROBLEM = "KEY_PROBLEM"  # a screening visit found a key problem
    REMINDER = "REMINDER"  # a care event's deadline is near
    ESCALATION = "ESCALATION"  # a care event's deadline passed unanswered
    FLAG_RAISED = "FLAG_RAISED"  # a plugin raised a flag (befriending: emotional state)


class NotificationState(enum.StrEnum):
    """``CREATED`` when recorded, ``DELIVERED`` once every channel has it, ``READ`` once
    the recipient marked it read; ``CANCELLED``: a reminder whose event was answered
    before it was delivered."""

    CREATED = "CREATED"
    DELIVERED = "DELIVERED"
    READ = "READ"
    CANCELLED = "CANCELLED"


class Notification(GlobalModel, Base):
    """One notification: its recipient, its reason and subject, its message, its state.

    Exactly one per recipient, reason and subject (a unique key): recording is an
    ``INSERT ... ON CONFLICT DO NOTHING``, so a job that runs twice, two workers, or a
    raise repeated record nothing twice.
    """

    __tablename__ = "core_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    reason: Mapped[str] = mapped_column(String(32))
    # The subject: the type name of its global ID (CareEvent, Pairing, Problem, a plugin's
    # type) and its key.
    subject_kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int]
    # The message: a gettext msgid (English) with named placeholders and their values,
    # shown in the reader's language; a plugin's message has no template, only ``message``.
    template: Mapped[str | None] = mapped_column(String(300), default=None)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The message in the service's language when it was recorded (what channels send).
    message: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default=NotificationState.CREATED.value)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("recipient_id", "reason", "subject_kind", "subject_id"),
        Index("ix_core_notification_recipient_id_id", "recipient_id", "id"),
        Index("ix_core_notification_state", "state"),
        Index("ix_core_notification_subject", "subject_kind", "subject_id"),
    )


class NotificationDelivery(GlobalModel, Base):
    """A notification handed to one channel: one row per notification and channel.

    The in-app channel's row is written ``SUCCEEDED`` when the notification is handed over
    (``myNotifications`` lists it from the moment it is recorded). A plugin's channel
    (``bangfu_notification_channels``) gets a ``PENDING`` row that the worker sends, retries
    on the schedule of ``bangfu.core.jobs.retry`` and ends ``SUCCEEDED`` or ``GAVE_UP``;
    each attempt is a :class:`NotificationAttempt`. ``delivery_id`` is the same on every
    attempt, for the channel to drop a duplicate (null on rows written before it existed).
    """

    __tablename__ = "core_notification_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("core_notification.id"))
    channel: Mapped[str] = mapped_column(String(64))
    # PENDING, SUCCEEDED, GAVE_UP, CANCELLED (a reminder whose event was answered first).
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    # When the notification was handed to the channel.
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The last failed attempt's error.
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    delivery_id: Mapped[str | None] = mapped_column(String(36), default=None)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_core_notification_delivery_delivery_id", "delivery_id", unique=True),
        Index("ix_core_notification_delivery_due", "state", "next_attempt_at"),
    )


class NotificationAttempt(GlobalModel, Base):
    """One attempt to deliver a notification through a plugin's channel: when, the error
    (None when it succeeded), how long it took."""

    __tablename__ = "core_notification_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_pk: Mapped[int] = mapped_column(
        ForeignKey("core_notification_delivery.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    error: Mapped[str | None] = mapped_column(String(300), default=None)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
