"""API clients of partner organisations: named, scoped, expiring, revocable tokens.

A client's token (``bfc_...``) is shown once when the client is created; only its digest
is stored. The client acts as ``Actor(kind=CLIENT, roles={PARTNER_CLIENT})`` in its
region, with its scopes on ``Actor.scopes``:

* ``read`` — clients are read-only (the GraphQL endpoint refuses their mutations);
* ``plugin:<name>`` — the plugins whose fields the client may read.
"""

import dataclasses
import datetime as dt
import re
from collections.abc import Collection, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.db import utcnow
from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.i18n import _
from bangfu.core.registry.models import Organisation, Region
from bangfu.core.security.actor import Actor, ActorKind, Role
from bangfu.core.security.models import ApiClient
from bangfu.core.security.tokens import (
    CLIENT_TOKEN_PREFIX,
    TokenRefusal,
    aware,
    new_token,
    token_digest,
)
from bangfu.core.security.users import find_organisation, find_region

READ_SCOPE = "read"
PLUGIN_SCOPE_PREFIX = "plugin:"
#: The scopes a client may be given besides its plugins (write scopes do not exist).
KNOWN_SCOPES = (READ_SCOPE,)
DEFAULT_EXPIRY_DAYS = 365
MAX_EXPIRY_DAYS = 5 * 365

_NAME = re.compile(r"^[\w.@-]{2,100}$")


def plugin_scope(plugin: str) -> str:
    return f"{PLUGIN_SCOPE_PREFIX}{plugin}"


def plugins_of(scopes: Collection[str]) -> frozenset[str]:
    """The plugin names that ``plugin:<name>`` scopes grant."""
    return frozenset(
        s.removeprefix(PLUGIN_SCOPE_PREFIX) for s in scopes if s.startswith(PLUGIN_SCOPE_PREFIX)
    )


@dataclasses.dataclass(frozen=True)
class ClientSummary:
    """What ``bangfu client list`` shows: never the token."""

    name: str
    organisation: str
    region: str
    scopes: tuple[str, ...]
    expires_at: dt.datetime
    status: str  # active, expired or revoked


def _invalid(field: str, message: str, code: ErrorCode = ErrorCode.INVALID_INPUT) -> DomainError:
    return DomainError.of(field, message, code)


async def create_client(
    session: AsyncSession,
    name: str,
    *,
    organisation_code: str,
    region_code: str,
    scopes: Sequence[str] = (READ_SCOPE,),
    plugins: Sequence[str] = (),
    known_plugins: Collection[str] = (),
    expires_days: int = DEFAULT_EXPIRY_DAYS,
) -> tuple[str, ApiClient]:
    """A new client and its token (the only time the token exists in clear). Flushes."""
    if not _NAME.match(name):
        raise _invalid("name", _("a client name has 2 to 100 letters, digits or . _ - @"))
    if await session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise _invalid("name", _("a client named {name} exists already", name=repr(name)))
    organisation = await find_organisation(session, organisation_code)
    region = await find_region(session, region_code, organisation)
    granted: list[str] = []
    for scope in scopes or (READ_SCOPE,):
        if scope not in KNOWN_SCOPES:
            raise _invalid(
                "scope",
                _("unknown scope {scope} (clients are read-only: use 'read')", scope=repr(scope)),
            )
        if scope not in granted:
            granted.append(scope)
    for plugin in plugins:
        if plugin not in known_plugins:
            loaded = ", ".join(sorted(known_plugins)) or "none"
            raise _invalid(
                "plugin",
                _("unknown plugin {plugin} (loaded: {loaded})", plugin=repr(plugin), loaded=loaded),
            )
        if plugin_scope(plugin) not in granted:
            granted.append(plugin_scope(plugin))
    if not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise _invalid(
            "expires_days",
            _("give between 1 and {maximum} days", maximum=MAX_EXPIRY_DAYS),
        )
    token = new_token(CLIENT_TOKEN_PREFIX)
    now = utcnow()
    client = ApiClient(
        name=name,
        digest=token_digest(token),
        organisation_id=organisation.id,
        region_code=region.code,
        scopes=granted,
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_days),
    )
    session.add(client)
    await session.flush()
    return token, client


def status_of(client: ApiClient, now: dt.datetime | None = None) -> str:
    if client.revoked_at is not None:
        return "revoked"
    if aware(client.expires_at) <= (now or utcnow()):
        return "expired"
    return "active"


async def list_clients(session: AsyncSession) -> list[ClientSummary]:
    rows = await session.execute(
        select(ApiClient, Organisation.code)
        .join(Organisation, Organisation.id == ApiClient.organisation_id)
        .order_by(ApiClient.name)
    )
    now = utcnow()
    return [
        ClientSummary(
            name=client.name,
            organisation=organisation_code,
            region=client.region_code,
            scopes=tuple(client.scopes),
            expires_at=aware(client.expires_at),
            status=status_of(client, now),
        )
        for client, organisation_code in rows
    ]


async def revoke_client(session: AsyncSession, name: str) -> bool:
    """Revoke a client's token; False when it was revoked already."""
    client = await session.scalar(select(ApiClient).where(ApiClient.name == name))
    if client is None:
        raise _invalid("name", _("no client named {name}", name=repr(name)), ErrorCode.NOT_FOUND)
    result = await session.execute(
        update(ApiClient)
        .where(ApiClient.id == client.id, ApiClient.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def check_client_token(session: AsyncSession, token: str) -> Actor | TokenRefusal:
    """The client a ``bfc_`` token stands for, or why it stands for no one."""
    row = (
        await session.execute(
            select(ApiClient, Region.path)
            .join(Region, Region.code == ApiClient.region_code)
            .where(ApiClient.digest == token_digest(token))
        )
    ).first()
    if row is None:
        return TokenRefusal.INVALID
    client, area_path = row
    if client.revoked_at is not None:
        return TokenRefusal.REVOKED
    if aware(client.expires_at) <= utcnow():
        return TokenRefusal.EXPIRED
    return Actor(
        kind=ActorKind.CLIENT,
        name=client.name,
        id=client.id,
        organisation_id=client.organisation_id,
        # No department: what a client reads of a plugin is decided by its scopes only.
        department=None,
        area_path=area_path,
        roles=frozenset({Role.PARTNER_CLIENT}),
        scopes=frozenset(client.scopes),
    )
