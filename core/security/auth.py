"""Logging in and out, throttling of failed logins, and turning a bearer token into an actor.

Throttling (OWASP Authentication Cheat Sheet, "Login Throttling" rather than a lockout that
anyone could set off for any account): every attempt first inserts a :class:`LoginFailure`
row for its user name and client address, in a transaction of its own that commits first.
Then the other rows within ``login_window_minutes`` are counted, twice:

- of the same user name *and* address: beyond ``login_free_failures`` of them (the sixth
  with the defaults), an attempt must come ``login_delay_seconds`` after the latest, a
  delay that doubles with every further row, up to ``login_max_delay_minutes``;
- of the same address, whatever the user name (password spraying): the same rule beyond
  ``login_address_free_failures``.

An attempt that comes too early is refused without its password being checked, with the
same message as a wrong password, and its row is removed: only checked failures lengthen
the wait, each doubling it. A successful login removes the rows of its user name and
address, and a right password that is refused for another reason (a disabled account)
leaves none either. A wait never outlasts the window (its rows are forgotten then).
Failures from one address never delay the owner of the account at another: a stranger
cannot lock anyone out.
Inserting and counting, never read-modify-write, keeps this right under concurrency.

Every attempt leaves one audit row (operation ``login``), with the client address: ``ok``
as the user, ``failed`` (wrong password, unknown user) or ``denied`` (throttled, disabled,
demo account outside demo mode, several logins in one request) as the anonymous actor with
the user name in the details. Refusals are audited in their own committed transaction.
"""

import asyncio
import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import ColumnElement, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.config import Settings
from bangfu.core.db import utcnow
from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.i18n import N_, _
from bangfu.core.registry.models import Organisation, Region
from bangfu.core.security import audit, clients
from bangfu.core.security.actor import ANONYMOUS, Actor, ActorKind, Role
from bangfu.core.security.models import AccessToken, LoginFailure, User
from bangfu.core.security.passwords import DUMMY_HASH, verify_password
from bangfu.core.security.tokens import (
    USER_TOKEN_PREFIX,
    TokenRefusal,
    aware,
    is_client_token,
    new_token,
)
from bangfu.core.security.tokens import token_digest as token_digest

__all__ = [
    "LOGIN_REFUSED",
    "Refusal",
    "TokenRefusal",
    "actor_for_token",
    "actor_for_user",
    "check_token",
    "login",
    "logout",
    "record_refusals",
    "throttle_wait",
    "token_digest",
]

#: The one answer to every refused login, whatever the reason.
LOGIN_REFUSED = N_("wrong user name or password")

# Refresh a token's last use at most this often: not one write per request.
_TOUCH_EVERY = dt.timedelta(minutes=1)
_USERNAME_LENGTH = 64  # LoginFailure.username and User.username are String(64)


@dataclasses.dataclass(frozen=True)
class Refusal:
    """One refused login attempt, as audited.

    ``counts``: whether it is a failed attempt that counts towards the throttling (a wrong
    password, an unknown user name, each login of a request that has several), rather than
    a right password that was refused or an attempt refused unchecked for coming too early.
    ``details`` go into its audit row.
    """

    username: str
    outcome: str
    reason: str
    counts: bool
    details: dict[str, object] = dataclasses.field(default_factory=dict)


def recordable_username(username: str) -> str:
    """A user name as failure rows and audit details can hold it (64 characters, no NUL)."""
    return username.replace("\x00", "\ufffd")[:_USERNAME_LENGTH]


def _refused() -> DomainError:
    return DomainError.of(None, _(LOGIN_REFUSED), ErrorCode.INVALID_CREDENTIALS)


async def login(
    sessions: async_sessionmaker[AsyncSession],
    username: str,
    password: str,
    settings: Settings,
    *,
    request_id: str | None = None,
    address: str | None = None,
) -> tuple[str, AccessToken, User]:
    """Check the password and issue a token; the same error whatever was wrong.

    ``address`` is the client's (``bangfu.core.request_scope.client_address``). The attempt is
    recorded first; a refusal (throttled, wrong password, ...) is audited and committed
    before :class:`DomainError` is raised.
    """
    now = utcnow()
    recorded = recordable_username(username)
    attempt = await _record_attempts(sessions, [recorded], address, now, settings, pending=True)
    wait, delay = await throttle_wait(
        sessions, recorded, address, settings, now, exclude=attempt[0]
    )
    if wait > 0:
        throttled = Refusal(
            recorded,
            audit.Outcome.DENIED,
            "throttled",
            counts=False,
            details={"delay_seconds": delay, "wait_seconds": math.ceil(wait)},
        )
        async with sessions() as session, session.begin():
            # Unchecked, it is no failed guess: the wait stays what the failures made it.
            await session.execute(delete(LoginFailure).where(LoginFailure.id == attempt[0]))
        await _audit_refusals(sessions, [throttled], address, request_id)
        raise _refused()
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
                # A successful login starts the count of this address's failures afresh.
                await session.execute(
                    delete(LoginFailure).where(
                        LoginFailure.username == username, _same_address(address)
                    )
                )
                actor = await _actor_of(session, user)
                await audit.record(
                    session,
                    actor,
                    "login",
                    audit.Outcome.OK,
                    details={"username": username, "address": address},
                    request_id=request_id,
                )
                return token, record, user
            if refusal.counts:  # checked and failed
                await session.execute(
                    update(LoginFailure).where(LoginFailure.id == attempt[0]).values(pending=False)
                )
            else:  # a right password is no failed guess
                await session.execute(delete(LoginFailure).where(LoginFailure.id == attempt[0]))
    await _audit_refusals(sessions, [refusal], address, request_id)
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
    address: str | None = None,
) -> None:
    """Record attempts refused before their password was checked (several logins in one
    request): a failure row for each that counts, and one audit row each, all committed."""
    if not refusals:
        return
    refusals = [dataclasses.replace(r, username=recordable_username(r.username)) for r in refusals]
    counted = [r.username for r in refusals if r.counts]
    if counted:
        await _record_attempts(sessions, counted, address, utcnow(), settings)
    await _audit_refusals(sessions, refusals, address, request_id)


async def _record_attempts(
    sessions: async_sessionmaker[AsyncSession],
    usernames: Sequence[str],
    address: str | None,
    now: dt.datetime,
    settings: Settings,
    *,
    pending: bool = False,
) -> list[int]:
    """Insert one row per attempt and commit (concurrent attempts then all see each
    other's); rows of these user names and address older than the window go. Their IDs.

    ``pending``: the attempt's password is still to be checked.
    """
    window_start = now - dt.timedelta(minutes=settings.login_window_minutes)
    async with sessions() as session:
        session.info["actor"] = ANONYMOUS
        async with session.begin():
            for username in sorted(set(usernames)):  # sorted: cleanups lock in one order
                await session.execute(
                    delete(LoginFailure).where(
                        LoginFailure.username == username, LoginFailure.at < window_start
                    )
                )
            if address is not None:
                await session.execute(
                    delete(LoginFailure).where(
                        LoginFailure.address == address, LoginFailure.at < window_start
                    )
                )
            rows = [
                LoginFailure(username=u, address=address, at=now, pending=pending)
                for u in usernames
            ]
            session.add_all(rows)
            await session.flush()
            return [row.id for row in rows]


async def throttle_wait(
    sessions: async_sessionmaker[AsyncSession],
    username: str,
    address: str | None,
    settings: Settings,
    now: dt.datetime,
    *,
    exclude: int | None = None,
) -> tuple[float, float]:
    """How long an attempt for ``username`` from ``address`` must still wait (0: not at
    all), in seconds, and the delay after the latest failure that this wait comes from.

    ``exclude``: the attempt's own row, not counted against it.
    """
    window_start = now - dt.timedelta(minutes=settings.login_window_minutes)
    recent = [LoginFailure.at >= window_start]
    if exclude is not None:
        recent.append(LoginFailure.id != exclude)
    # Attempts of the account still being checked count for it (a burst of them must not
    # get more guesses than one at a time), not for the address: twenty colleagues behind
    # one office address may log in at the same moment.
    rules: list[tuple[list[ColumnElement[bool]], int]] = [
        ([LoginFailure.username == username, _same_address(address)], settings.login_free_failures)
    ]
    if address is not None:
        rules.append(
            (
                [LoginFailure.address == address, LoginFailure.pending.is_(False)],
                settings.login_address_free_failures,
            )
        )
    wait, longest = 0.0, 0.0
    async with sessions() as session:
        session.info["actor"] = ANONYMOUS
        for conditions, free in rules:
            count, latest = (
                await session.execute(
                    select(func.count(), func.max(LoginFailure.at)).where(*conditions, *recent)
                )
            ).one()
            if count > free and latest is not None:
                excess = min(count - free - 1, 30)  # 2 ** 30 s is beyond any maximum
                delay = min(
                    settings.login_delay_seconds * 2**excess,
                    settings.login_max_delay_minutes * 60,
                )
                remaining = (aware(latest) - now).total_seconds() + delay
                if remaining > wait:
                    wait, longest = remaining, delay
    return wait, longest


def _same_address(address: str | None) -> ColumnElement[bool]:
    return LoginFailure.address.is_(None) if address is None else LoginFailure.address == address


async def _audit_refusals(
    sessions: async_sessionmaker[AsyncSession],
    refusals: Sequence[Refusal],
    address: str | None,
    request_id: str | None,
) -> None:
    async with sessions() as session:
        session.info["actor"] = ANONYMOUS
        async with session.begin():
            for refusal in refusals:
                details: dict[str, object] = {
                    "username": refusal.username,
                    "reason": refusal.reason,
                    "address": address,
                    **refusal.details,
                }
                await audit.record(
                    session,
                    ANONYMOUS,
                    "login",
                    refusal.outcome,
                    details=details,
                    request_id=request_id,
                )


async def logout(session: AsyncSession, token: str) -> bool:
    result = await session.execute(
        update(AccessToken)
        .where(AccessToken.digest == token_digest(token), AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def actor_for_token(session: AsyncSession, token: str, settings: Settings) -> Actor | None:
    """The actor a token stands for, or None when it is unknown, expired, idle or revoked."""
    found = await check_token(session, token, settings)
    return None if isinstance(found, TokenRefusal) else found


async def check_token(
    session: AsyncSession, token: str, settings: Settings
) -> Actor | TokenRefusal:
    """The actor a token stands for, or why it stands for no one.

    ``bfc_`` tokens are partner API clients' (:mod:`bangfu.core.security.clients`); any other
    token is looked up among users' tokens.
    """
    if is_client_token(token):
        return await clients.check_client_token(session, token)
    connection = await session.connection()
    row = (await connection.execute(_TOKEN_LOOKUP, {"digest": token_digest(token)})).first()
    if row is None:
        return TokenRefusal.INVALID
    now = utcnow()
    idle_limit = dt.timedelta(minutes=settings.token_idle_minutes)
    if row.revoked_at is not None or not row.is_active or (row.is_demo and not settings.demo):
        return TokenRefusal.REVOKED
    if aware(row.expires_at) <= now or aware(row.last_used_at) + idle_limit <= now:
        return TokenRefusal.EXPIRED
    if aware(row.last_used_at) + _TOUCH_EVERY <= now:
        await session.execute(
            update(AccessToken).where(AccessToken.id == row.token_id).values(last_used_at=now)
        )
        await session.commit()
    return actor_for_user(row, row.path, row.department)


#: A token's user, area and department, and whether it holds: one statement, built once,
#: of the tables' columns (a request pays this lookup before anything else; run on the
#: session's connection, it skips the ORM's work per statement). It reads global tables
#: only, which no area criteria concern.
_token, _user = AccessToken.__table__.c, User.__table__.c
_TOKEN_LOOKUP = (
    select(
        _token.id.label("token_id"),
        _token.expires_at,
        _token.last_used_at,
        _token.revoked_at,
        _user.id,
        _user.username,
        _user.organisation_id,
        _user.roles,
        _user.is_active,
        _user.is_demo,
        Region.__table__.c.path,
        Organisation.__table__.c.department,
    )
    .join(User.__table__, _user.id == _token.user_id)
    .join(Region.__table__, Region.__table__.c.code == _user.region_code)
    .join(Organisation.__table__, Organisation.__table__.c.id == _user.organisation_id)
    .where(_token.digest == bindparam("digest"))
)


class UserLike(Protocol):
    """What an actor is made of: a :class:`User`, or a row of its columns."""

    id: int
    username: str
    organisation_id: int
    roles: list[str]


def actor_for_user(user: UserLike, area_path: str | None, department: str | None) -> Actor:
    return Actor(
        kind=ActorKind.USER,
        name=user.username,
        id=user.id,
        organisation_id=user.organisation_id,
        department=department,
        area_path=area_path,
        roles=frozenset(Role(r) for r in user.roles),
    )
