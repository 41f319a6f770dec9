"""Signing deliveries the Standard Webhooks way, with its reference library.

A receiver checks a delivery with the same library (``standardwebhooks.Webhook(secret)
.verify(body, headers)``) or by hand: docs/care.md shows both.
"""

import base64
import datetime as dt
import secrets

from standardwebhooks.webhooks import Webhook

#: The prefix of a secret as the endpoint's owner is given it (Standard Webhooks' format).
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A new endpoint secret, ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(secret: str, delivery_id: str, body: bytes, at: dt.datetime) -> dict[str, str]:
    """The headers of one delivery attempt of ``body``: ``webhook-id`` (``delivery_id``,
    kept across retries), ``webhook-timestamp`` (``at``, whole seconds) and
    ``webhook-signature``."""
    stamp = int(at.timestamp())
    return {
        "content-type": "application/json",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": Webhook(secret).sign(
            delivery_id, dt.datetime.fromtimestamp(stamp, dt.UTC), body
        ),
    }
