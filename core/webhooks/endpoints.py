"""Registering, listing and removing webhook endpoints (``bangfu webhook``)."""

import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.config import Profile, Settings
from bangfu.core.errors import DomainError, ErrorCode, FieldError, text_problems
from bangfu.core.i18n import _
from bangfu.core.registry.models import Region
from bangfu.core.registry.reference import CITY_CODE
from bangfu.core.security.crypto import FieldCipher
from bangfu.core.webhooks.events import WebhookEvent
from bangfu.core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from bangfu.core.webhooks.signing import new_secret
from bangfu.core.webhooks.targets import Network, Resolver, Target, check_target, system_resolver

#: The encryption context of an endpoint's secret (table.column).
SECRET_CONTEXT = "core_webhook_endpoint.secret"


@dataclasses.dataclass(frozen=True)
class NewEndpoint:
    """An endpoint just added, with its secret: shown once, then never again."""

    id: int
    name: str
    url: str
    events: tuple[WebhookEvent, ...]
    secret: str


@dataclasses.dataclass(frozen=True)
class EndpointSummary:
    """What ``bangfu webhook list`` shows of an endpoint (never its secret)."""

    id: int
    name: str
    url: str
    events: tuple[WebhookEvent, ...]
    created_at: dt.datetime


def allowed_networks(settings: Settings) -> list[Network]:
    """``BANGFU_WEBHOOK_ALLOWED_NETWORKS`` as networks (validated by the settings)."""
    return [ipaddress.ip_network(text, strict=False) for text in settings.webhook_allowed_networks]


def target_of(
    settings: Settings, url: str, *, resolve: Resolver = system_resolver, field: str = "url"
) -> Target:
    """``url`` checked for ``settings``' profile (:func:`check_target`)."""
    return check_target(
        url,
        production=settings.profile is Profile.PRODUCTION,
        allowed_networks=allowed_networks(settings),
        resolve=resolve,
        field=field,
    )


def parse_events(texts: Sequence[str], field: str = "events") -> tuple[WebhookEvent, ...]:
    """Event kinds from ``care_event.raised``-style names (comma- or space-separated), or
    ``*`` for all; sorted, without repeats. Unknown names are refused naming the known."""
    names = {part for text in texts for part in text.replace(",", " ").split()}
    if names == {"*"}:
        return tuple(sorted(WebhookEvent))
    known = {event.value: event for event in WebhookEvent}
    unknown = sorted(names - known.keys())
    if unknown or not names:
        raise DomainError.of(
            field,
            _(
                "unknown event kinds {unknown}; the kinds are {known}, or * for all",
                unknown=", ".join(unknown) or "-",
                known=", ".join(sorted(known)),
            ),
            ErrorCode.INVALID_INPUT,
        )
    return tuple(sorted(known[name] for name in names))


async def add_endpoint(
    session: AsyncSession,
    cipher: FieldCipher,
    settings: Settings,
    *,
    name: str,
    url: str,
    events: Sequence[WebhookEvent],
    region_code: str = CITY_CODE,
    resolve: Resolver = system_resolver,
) -> NewEndpoint:
    """Register an endpoint with a new secret, told of ``region_code``'s events (the
    city's by default); flushes. Refused (nothing written) for a bad or taken name, an
    unknown region or a URL :func:`target_of` refuses."""
    errors: list[FieldError] = text_problems("name", name, 100)
    region = await session.get(Region, region_code)
    if region is None:
        errors.append(
            FieldError(
                "region",
                _("unknown region code {code}", code=region_code),
                ErrorCode.UNKNOWN_REGION,
            )
        )
    if not errors and await session.scalar(
        select(WebhookEndpoint.id).where(WebhookEndpoint.name == name)
    ):
        errors.append(
            FieldError(
                "name", _("an endpoint named {name} exists", name=name), ErrorCode.INVALID_INPUT
            )
        )
    try:
        target_of(settings, url, resolve=resolve)
    except DomainError as exc:
        errors += exc.errors
    if errors:
        raise DomainError(*errors)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        name=name,
        url=url,
        events=" ".join(sorted(events)),
        secret_cipher=cipher.encrypt(secret, context=SECRET_CONTEXT),
        area_path=region.path if region is not None else "",
    )
    session.add(endpoint)
    await session.flush()
    return NewEndpoint(endpoint.id, name, url, tuple(sorted(events)), secret)


def _events(endpoint: WebhookEndpoint) -> tuple[WebhookEvent, ...]:
    return tuple(WebhookEvent(text) for text in endpoint.events.split())


async def list_endpoints(session: AsyncSession) -> list[EndpointSummary]:
    """Every endpoint, in the order they were added."""
    rows = await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
    return [
        EndpointSummary(row.id, row.name, row.url, _events(row), row.created_at) for row in rows
    ]


async def remove_endpoint(session: AsyncSession, name: str) -> EndpointSummary:
    """Remove the endpoint named ``name``; NOT_FOUND when there is none."""
    endpoint = await session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == name))
    if endpoint is None:
        raise DomainError.of("name", _("no endpoint named {name}", name=name), ErrorCode.NOT_FOUND)
    summary = EndpointSummary(
        endpoint.id, endpoint.name, endpoint.url, _events(endpoint), endpoint.created_at
    )
    # Its log stays; what it was still owed is given up (the worker finds no endpoint).
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))
    return summary


@dataclasses.dataclass(frozen=True)
class LoggedAttempt:
    """An attempt as ``bangfu webhook log`` shows it."""

    number: int
    at: dt.datetime
    status_code: int | None
    error: str | None


@dataclasses.dataclass(frozen=True)
class LoggedDelivery:
    """A delivery as ``bangfu webhook log`` shows it, with its attempts."""

    delivery_id: str
    endpoint: str
    event: WebhookEvent
    state: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    attempts: tuple[LoggedAttempt, ...]


async def delivery_log(
    session: AsyncSession, name: str | None = None, limit: int = 50
) -> list[LoggedDelivery]:
    """The latest ``limit`` deliveries (of the endpoint ``name``, or of all), newest
    first, each with every attempt."""
    statement = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if name is not None:
        statement = statement.where(WebhookDelivery.endpoint_name == name)
    deliveries = list(await session.scalars(statement))
    attempts: dict[int, list[LoggedAttempt]] = {}
    if deliveries:
        rows = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_pk.in_([d.id for d in deliveries]))
            .order_by(WebhookAttempt.delivery_pk, WebhookAttempt.number)
        )
        for row in rows:
            attempts.setdefault(row.delivery_pk, []).append(
                LoggedAttempt(row.number, row.at, row.status_code, row.error)
            )
    return [
        LoggedDelivery(
            d.delivery_id,
            d.endpoint_name,
            WebhookEvent(d.event),
            d.state,
            d.created_at,
            d.next_attempt_at if d.state == "PENDING" else None,
            tuple(attempts.get(d.id, ())),
        )
        for d in deliveries
    ]


def endpoint_secret(cipher: FieldCipher, endpoint: WebhookEndpoint) -> str:
    """The secret that signs ``endpoint``'s deliveries."""
    return cipher.decrypt(endpoint.secret_cipher, context=SECRET_CONTEXT)
