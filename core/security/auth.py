"""Logging in and out, and turning a bearer token into an actor."""

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.db import utcnow
from core.errors import DomainError, ErrorCode
from core.registry.models import Organisation, Region
from core.security.actor import Actor, ActorKind, Role
from core.security.models import AccessToken, User
from core.security.passwords import DUMMY_HASH, verify_password

# Refresh a token's last use at most this often: not one write per request.
_TOUCH_EVERY = dt.timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def login(
    session: AsyncSession, username: str, password: str, settings: Settings
) -> tuple[str, AccessToken, User]:
    """Check the password and issue a token; the same error whatever was wrong."""
    user = await session.scalar(select(User).where(User.username == username))
    valid = verify_password(user.password_hash if user else DUMMY_HASH, password)
    # Demo users exist only in demo mode: elsewhere they cannot log in at all.
    if user is None or not valid or not user.is_active or (user.is_demo and not settings.demo):
        raise DomainError.of(None, "wrong user name or password", ErrorCode.INVALID_CREDENTIALS)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = AccessToken(
        digest=token_digest(token),
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        expires_at=now + dt.timedelta(minutes=settings.token_ttl_minutes),
    )
    session.add(record)
    await session.flush()
    return token, record, user


async def logout(session: AsyncSession, token: str) -> bool:
    result = await session.execute(
        update(AccessToken)
        .where(AccessToken.digest == token_digest(token), AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def actor_for_token(session: AsyncSession, token: str, settings: Settings) -> Actor | None:
    """The actor a token stands for, or None when it is unknown, expired, idle or revoked."""
    row = (
        await session.execute(
            select(AccessToken, User, Region.path, Organisation.department)
            .join(User, User.id == AccessToken.user_id)
            .join(Region, Region.code == User.region_code)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(AccessToken.digest == token_digest(token))
        )
    ).first()
    if row is None:
        return None
    record, user, area_path, department = row
    now = utcnow()
    idle_limit = dt.timedelta(minutes=settings.token_idle_minutes)
    if (
        record.revoked_at is not None
        or not user.is_active
        or (user.is_demo and not settings.demo)
        or _aware(record.expires_at) <= now
        or _aware(record.last_used_at) + idle_limit <= now
    ):
        return None
    if _aware(record.last_used_at) + _TOUCH_EVERY <= now:
        record.last_used_at = now
        await session.commit()
    return actor_for_user(user, area_path, department)


def actor_for_user(user: User, area_path: str, department: str | None) -> Actor:
    return Actor(
        kind=ActorKind.USER,
        name=user.username,
        id=user.id,
        organisation_id=user.organisation_id,
        department=department,
        area_path=area_path,
        roles=frozenset(Role(r) for r in user.roles),
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes; every stored instant is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
