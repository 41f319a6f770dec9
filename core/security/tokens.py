"""Bearer tokens: their format and the digest that is stored instead of them.

A user's token starts with ``bfu_`` (issued by ``login``), a partner API client's with
``bfc_`` (issued once by ``bangfu client create``); only the SHA-256 digest of either
is kept in the database.
"""

import datetime as dt
import hashlib
import secrets

USER_TOKEN_PREFIX = "bfu_"
CLIENT_TOKEN_PREFIX = "bfc_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    """A fresh random token (256 bits) with its kind's prefix."""
    return prefix + secrets.token_urlsafe(32)


def is_client_token(token: str) -> bool:
    return token.startswith(CLIENT_TOKEN_PREFIX)


def aware(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC instant (SQLite returns naive datetimes; all are UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
