"""Bearer tokens: their format and the digest that is stored instead of them.

A user's token starts with ``bfu_`` (issued by ``login``), a partner API client's with
``bfc_`` (issued once by ``bangfu client create``); only the SHA-256 digest of either
is kept in the database.
"""

import datetime as dt
import enum
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


class TokenRefusal(enum.StrEnum):
    """Why a bearer token stands for no one: all a client is told (``extensions.reason``
    of its 401). Only the token's holder can ask, so the word tells an attacker nothing
    about tokens they do not hold."""

    #: No user's or client's token has this digest (or it is not a token at all).
    INVALID = "INVALID"
    #: Past its lifetime, or unused for longer than the idle limit.
    EXPIRED = "EXPIRED"
    #: Logged out or revoked, its account disabled (or its password reset), or a demo
    #: account's outside demo mode.
    REVOKED = "REVOKED"
