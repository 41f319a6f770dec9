"""Logging in and out, lockout, and turning a bearer token into an actor.

Lockout: every wrong password (or unknown user name) inserts a :class:`LoginFailure` row
in a transaction of its own that commits first; then the failures of that user name
within ``lockout_window_minutes`` are counted. More than ``lockout_failures`` (the sixth
wrong password with the defaults) locks the account for ``lockout_minutes``. Inserting
and counting, never read-modify-write, keeps this right under concurrency: whichever
attempt commits last counts all of them. A locked account refuses even the right
password, with the same message as a wrong one.

Every attempt leaves one audit row (operation ``login``): ``ok`` as the user, ``failed``
(wrong password, unknown user) or ``denied`` (locked, disabled, demo account outside demo
mode, several logins in one request) as the anonymous actor with the user name in the
details. Refusals are audited in their own committed transaction.
"""

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import utcnow
from core.errors import DomainError, ErrorCode
from core.registry.models import Organisation, Region
from core.security import audit, clients
from core.security.actor import ANONYMOUS, Actor, ActorKind, Role
from core.security.models import AccessToken, LoginFailure, User
from core.security.passwords import DUMMY_HASH, verify_password
from core.security.tokens import USER_TOKEN_PREFIX, aware, is_client_token, new_token
from core.security.tokens import token_digest as token_digest

__all__ = [
    "LOGIN_REFUSED",
    "Refusal",
    "actor_for_token",
    "actor_for_user",
    "login",
    "logout",
    "record_refusals",
    "token_digest",
]

#: The one answer to every refused login, whatever the reason.
LOGIN_REFUSED = "wrong user name or password"

# Refresh a token's last use at most this often: not one write per request.
_TOUCH_EVERY = dt.timedelta(minutes=1)
_USERNAME_LENGTH = 64  # LoginFailure.username and User.username are String(64)


@dataclasses.dataclass(frozen=True)
class Refusal:
    """One refused login attempt, as audited.

    ``counts``: whether it is a failed attempt that counts towards the lockout (a wrong
    password or unknown user name), rather than a right password that was refused.
    """

    username: str
    outcome: str
    reason: str
    counts: bool


def recordable_username(username: str) -> str:
    """A user name as failure rows and audit details can hold it (64 characters, no NUL)."""
    return username.replace("\x00", "\ufffd")[:_USERNAME_LENGTH]


def _refused() -> DomainError:
    return DomainError.of(None, LOGIN_REFUSED, ErrorCode.INVALID_CREDENTIALS)


async def login(
    sessions: async_sessionmaker[AsyncSession],
    username: str,
    password: str,
    settings: Settings,
    *,
    request_id: str | None = None,
) -> tuple[str, AccessToken, User]:
    """Check the password and issue a token; the same error whatever was wrong.

    A refusal is recorded (failure row, lock, audit row) and committed before
    :class:`DomainError` is raised.
    """
    now = utcnow()
    recorded = recordable_username(username)
    async with sessions() as session:
        session.info["actor"] = ANONYMOUS
        async with session.begin():
            # A name no user can have (too long, a NUL) is not even looked up.
            user = (
                await session.scalar(select(User).where(User.username == username))
                if recorded == username
                else None
            )
            # Argon2 takes tens of milliseconds: keep the event loop free meanwhile.
            valid = await asyncio.to_thread(
                verify_password, user.password_hash if user else DUMMY_HASH, password
            )
            refusal = _refusal(user, valid, settings, now, recorded)
            if refusal is None:
                assert user is not None
                token, record = await _issue_token(session, user, settings, now)
                # A successful login starts the count of failures afresh.
                await session.execute(delete(LoginFailure).where(LoginFailure.username == username))
                actor = await _actor_of(session, user)
                await audit.record(
                    session,
                    actor,
                    "login",
                    audit.Outcome.OK,
                    details={"username": username},
                    request_id=request_id,
                )
                return token, record, user
    await record_refusals(sessions, [refusal], settings, request_id=request_id)
    raise _refused()


def _refusal(
    user: User | None, valid: bool, settings: Settings, now: dt.datetime, username: str
) -> Refusal | None:
    failed, denied = audit.Outcome.FAILED, audit.Outcome.DENIED
    if user is None:
        return Refusal(username, failed, "unknown user name", counts=True)
    if user.locked_until is not None and aware(user.locked_until) > now:
        return Refusal(username, denied, "account locked", counts=not valid)
    if not valid:
        return Refusal(username, failed, "wrong password", counts=True)
    if not user.is_active:
        return Refusal(username, denied, "account disabled", counts=False)
    if user.is_demo and not settings.demo:
        # Demo users exist only in demo mode: elsewhere they cannot log in at all.
        return Refusal(username, denied, "demo account outside demo mode", counts=False)
    return None


async def _issue_token(
    session: AsyncSession, user: User, settings: Settings, now: dt.datetime
) -> tuple[str, AccessToken]:
    token = new_token(USER_TOKEN_PREFIX)
    record = AccessToken(
        digest=token_digest(token),
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        expires_at=now + dt.timedelta(minutes=settings.token_ttl_minutes),
    )
    session.add(record)
    await session.flush()
    return token, record


async def _actor_of(session: AsyncSession, user: User) -> Actor:
    area_path = await session.scalar(select(Region.path).where(Region.code == user.region_code))
    department = await session.scalar(
        select(Organisation.department).where(Organisation.id == user.organisation_id)
    )
    return actor_for_user(user, area_path, department)


async def record_refusals(
    sessions: async_sessionmaker[AsyncSession],
    refusals: Sequence[Refusal],
    settings: Settings,
    *,
    request_id: str | None = None,
) -> None:
    """Record refused attempts: failure rows, locks, one audit row each (all committed)."""
    if not refusals:
        return
    refusals = [dataclasses.replace(r, username=recordable_username(r.username)) for r in refusals]
    now = utcnow()
    window_start = now - dt.timedelta(minutes=settings.lockout_window_minutes)
    counted = sorted({r.username for r in refusals if r.counts})
    if counted:
        # First commit the failures, so that concurrent attempts all see each other's.
        async with sessions() as session:
            session.info["actor"] = ANONYMOUS
            async with session.begin():
                for username in counted:  # sorted: concurrent cleanups lock in one order
                    await session.execute(
                        delete(LoginFailure).where(
                            LoginFailure.username == username, LoginFailure.at < window_start
                        )
                    )
                session.add_all(
                    LoginFailure(username=r.username, at=now) for r in refusals if r.counts
                )
    async with sessions() as session:
        session.info["actor"] = ANONYMOUS
        async with session.begin():
            locks: dict[str, dt.datetime] = {}
            for username in counted:
                until = await _lock_if_due(session, username, settings, now, window_start)
                if until is not None:
                    locks[username] = until
            for refusal in refusals:
                details: dict[str, object] = {
                    "username": refusal.username,
                    "reason": refusal.reason,
                }
                if refusal.username in locks:
                    details["locked_until"] = locks.pop(refusal.username).isoformat()
                await audit.record(
                    session,
                    ANONYMOUS,
                    "login",
                    refusal.outcome,
                    details=details,
                    request_id=request_id,
                )


async def _lock_if_due(
    session: AsyncSession,
    username: str,
    settings: Settings,
    now: dt.datetime,
    window_start: dt.datetime,
) -> dt.datetime | None:
    """Lock the account when its failures in the window exceed the limit; the lock's end."""
    failures = await session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == username, LoginFailure.at >= window_start)
    )
    if (failures or 0) <= settings.lockout_failures:
        return None
    until = now + dt.timedelta(minutes=settings.lockout_minutes)
    # A lock running already is not extended: it ends when the policy says.
    result = await session.execute(
        update(User)
        .where(
            User.username == username,
            or_(User.locked_until.is_(None), User.locked_until <= now),
        )
        .values(locked_until=until)
    )
    return until if result.rowcount else None  # type: ignore[attr-defined]


async def logout(session: AsyncSession, token: str) -> bool:
    result = await session.execute(
        update(AccessToken)
        .where(AccessToken.digest == token_digest(token), AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def actor_for_token(session: AsyncSession, token: str, settings: Settings) -> Actor | None:
    """The actor a token stands for, or None when it is unknown, expired, idle or revoked.

    ``bfc_`` tokens are partner API clients' (:mod:`core.security.clients`); any other
    token is looked up among users' tokens.
    """
    if is_client_token(token):
        return await clients.actor_for_client_token(session, token)
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
        or aware(record.expires_at) <= now
        or aware(record.last_used_at) + idle_limit <= now
    ):
        return None
    if aware(record.last_used_at) + _TOUCH_EVERY <= now:
        record.last_used_at = now
        await session.commit()
    return actor_for_user(user, area_path, department)


def actor_for_user(user: User, area_path: str | None, department: str | None) -> Actor:
    return Actor(
        kind=ActorKind.USER,
        name=user.username,
        id=user.id,
        organisation_id=user.organisation_id,
        department=department,
        area_path=area_path,
        roles=frozenset(Role(r) for r in user.roles),
    )
