"""The webhook endpoints partner systems registered (``bangfu webhook add``)."""

import datetime as dt

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.db import Base, utcnow
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
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
