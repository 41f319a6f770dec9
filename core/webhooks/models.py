"""The webhook endpoints partner systems registered (``bangfu webhook add``)."""

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.db import Base, PathString, utcnow
from bangfu.core.registry.scoping import GlobalModel


class WebhookEndpoint(GlobalModel, Base):
    """A partner's endpoint: where deliveries go, which event kinds it wants, and the secret
    that signs them (encrypted under the master key: it must be read back to sign)."""

    __tablename__ = "core_webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    # The event kinds (core/webhooks/events.py), space-separated, sorted.
    events: Mapped[str] = mapped_column(String(500))
    secret_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    # The area whose events it is told of (a region's path; the city's by default).
    area_path: Mapped[str] = mapped_column(PathString, default="141000/")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookDelivery(GlobalModel, Base):
    """One event for one endpoint (the outbox): written in the transaction of the change,
    sent by the worker (``webhooks.deliver``), retried until it succeeds or is given up.
    ``delivery_id`` is the ``webhook-id`` header, the same on every attempt; ``body`` is
    the exact JSON sent and signed."""

    __tablename__ = "core_webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    # Null once the endpoint is removed (the log stays; a pending delivery is given up).
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_webhook_endpoint.id", ondelete="SET NULL"), default=None
    )
    endpoint_name: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(40))
    subject_kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    # PENDING, SUCCEEDED or GAVE_UP.
    state: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event", "subject_kind", "subject_id"),
        Index("ix_core_webhook_delivery_due", "state", "next_attempt_at"),
    )


class WebhookAttempt(GlobalModel, Base):
    """One attempt of a delivery: when, the receiver's status or the error, how long."""

    __tablename__ = "core_webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_pk: Mapped[int] = mapped_column(
        ForeignKey("core_webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(300), default=None)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
