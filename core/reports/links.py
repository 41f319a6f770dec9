"""Short-lived signed download links for the reports.

GraphQL's ``reportLink`` hands out ``/reports/<name>.xlsx?...&link=<token>`` so that a
browser can open the workbook without sending a bearer token. The token binds the user,
the path, the parameters and an expiry with a keyed digest (``FieldCipher.digest``); the
route checks it and acts as that user, who must still be active.
"""

import datetime as dt
import hmac
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.config import Settings
from bangfu.core.registry.models import Organisation, Region
from bangfu.core.security.actor import Actor
from bangfu.core.security.auth import actor_for_user
from bangfu.core.security.crypto import FieldCipher
from bangfu.core.security.models import User

CONTEXT = "report-link v1"


def _payload(user_id: int, expires: int, path: str, params: Mapping[str, str]) -> str:
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return f"{user_id}|{expires}|{path}|{query}"


def sign(
    cipher: FieldCipher, user_id: int, path: str, params: Mapping[str, str], expires_at: dt.datetime
) -> str:
    """The ``link`` parameter for ``path`` with ``params``, valid until ``expires_at``."""
    expires = int(expires_at.timestamp())
    digest = cipher.digest(_payload(user_id, expires, path, params), context=CONTEXT)
    return f"{user_id}.{expires}.{digest}"


def verify(
    cipher: FieldCipher, token: str, path: str, params: Mapping[str, str], now: dt.datetime
) -> int | None:
    """The user ID a valid, unexpired ``token`` was issued to, else None."""
    try:
        user_text, expires_text, digest = token.split(".")
        user_id, expires = int(user_text), int(expires_text)
    except ValueError:
        return None
    expected = cipher.digest(_payload(user_id, expires, path, params), context=CONTEXT)
    if not hmac.compare_digest(expected, digest) or expires < now.timestamp():
        return None
    return user_id


async def actor_for_link(session: AsyncSession, user_id: int, settings: Settings) -> Actor | None:
    """The actor of an active user (demo users only in demo mode)."""
    row = (
        await session.execute(
            select(User, Region.path, Organisation.department)
            .join(Region, Region.code == User.region_code)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(User.id == user_id)
        )
    ).first()
    if row is None:
        return None
    user, area_path, department = row
    if not user.is_active or (user.is_demo and not settings.demo):
        return None
    return actor_for_user(user, area_path, department)
