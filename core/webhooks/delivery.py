"""Sending the outbox (``webhooks.deliver``, run by ``bangfu worker`` every 30 seconds).

Each due delivery is claimed by one worker (a conditional UPDATE that moves its next
attempt a lease ahead; ``SKIP LOCKED`` on PostgreSQL), so two workers on two machines
never send one delivery at once. The POST goes to the address the endpoint's host resolved
to when it was checked again, just before (``targets.check_target``): a name that now
resolves to a private address is refused in production. A 2xx answer ends the delivery
(``SUCCEEDED``); anything else is an attempt in the log and a retry on the schedule of
``bangfu.core.jobs.retry``, until it is given up (``GAVE_UP``). A worker that stops after
the receiver answered and before the answer was written sends the delivery again after the
lease (``bangfu.core.jobs.outbox``): at least once, with the same ``webhook-id`` for the
receiver to drop the duplicate.
"""

import functools
import random
import ssl
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.config import Settings
from bangfu.core.db import utcnow
from bangfu.core.errors import DomainError
from bangfu.core.jobs import Every, Job, JobContext
from bangfu.core.jobs.outbox import send_due, settle, summary
from bangfu.core.jobs.retry import DELIVERY_TIMEOUT
from bangfu.core.security import SYSTEM
from bangfu.core.security.crypto import FieldCipher, load_master_key
from bangfu.core.webhooks.endpoints import endpoint_secret, target_of
from bangfu.core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from bangfu.core.webhooks.signing import signed_headers
from bangfu.core.webhooks.targets import Resolver, Target, system_resolver

BATCH = 50

#: ``(target, headers, body) -> (status, error)``: sends one attempt (tests replace it).
Send = Callable[[Target, dict[str, str], bytes], Awaitable[tuple[int | None, str | None]]]


@functools.cache
def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """The TLS settings of every delivery, built once per process for each CA file: the
    certificate authorities httpx trusts by default (certifi's, or ``SSL_CERT_FILE``) and
    those of ``ca_file`` (``BANGFU_WEBHOOK_CA_FILE``, for a partner whose certificate a
    government-internal CA signed). Loading them anew for every delivery would cost more
    than many a delivery."""
    context = httpx.create_ssl_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def sender(settings: Settings) -> Send:
    """:func:`post` with the TLS settings of ``settings``."""
    return functools.partial(post, tls=tls_context(settings.webhook_ca_file))


async def post(
    target: Target, headers: dict[str, str], body: bytes, *, tls: ssl.SSLContext | None = None
) -> tuple[int | None, str | None]:
    """POST ``body`` to the first checked address of ``target``, naming the host in the
    ``Host`` header and in TLS (SNI and the certificate check, against the host name, never
    the address), without following redirects, trusting what ``tls`` trusts (default:
    :func:`tls_context` without a CA file). Returns the status, or None and the error: its
    class name and what it says (``ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] ...``)."""
    address = target.addresses[0]
    host = f"[{address}]" if ":" in address else address
    parts = urllib.parse.urlsplit(target.url)
    pinned = parts._replace(netloc=f"{host}:{target.port}").geturl()
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = DELIVERY_TIMEOUT.total_seconds()
    verify = tls or tls_context()
    try:
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, verify=verify
        ) as client:
            answer = await client.post(
                pinned,
                content=body,
                headers={**headers, "host": parts.netloc, "user-agent": "Bangfu-Webhooks/1"},
                extensions=extensions,
            )
        return answer.status_code, None
    except httpx.HTTPError as error:
        said = " ".join(str(error).split())
        return None, f"{type(error).__name__}: {said}"[:300] if said else type(error).__name__


async def _attempt(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    cipher: FieldCipher,
    key: int,
    send: Send,
    resolve: Resolver,
    jitter: random.Random,
) -> str:
    async with sessions() as session:
        session.info["actor"] = SYSTEM
        delivery = await session.get(WebhookDelivery, key)
        assert delivery is not None
        endpoint = (
            await session.get(WebhookEndpoint, delivery.endpoint_id)
            if delivery.endpoint_id is not None
            else None
        )
        body = delivery.body.encode()
        secret = endpoint_secret(cipher, endpoint) if endpoint is not None else None
        url = endpoint.url if endpoint is not None else None
        delivery_id = delivery.delivery_id
    status: int | None = None
    error: str | None = None
    started = time.monotonic()
    if url is None or secret is None:
        error = "endpoint removed"
    else:
        try:
            target = target_of(settings, url, resolve=resolve)
        except DomainError as refused:
            error = refused.errors[0].message[:300]
        else:
            headers = signed_headers(secret, delivery_id, body, utcnow())
            status, error = await send(target, headers, body)
    seconds = time.monotonic() - started
    succeeded = status is not None and 200 <= status < 300
    async with sessions() as session, session.begin():
        session.info["actor"] = SYSTEM
        delivery = await session.get(WebhookDelivery, key, with_for_update=True)
        assert delivery is not None
        outcome = settle(
            delivery, utcnow(), succeeded=succeeded, retry=url is not None, jitter=jitter
        )
        session.add(
            WebhookAttempt(
                delivery_pk=key,
                number=delivery.attempts,
                status_code=status,
                error=error if not succeeded else None,
                seconds=round(seconds, 3),
            )
        )
        return outcome


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    cipher: FieldCipher,
    *,
    send: Send | None = None,
    resolve: Resolver = system_resolver,
    jitter: random.Random | None = None,
) -> dict[str, int]:
    """Send every delivery due now, a claimed batch at a time (by :func:`sender` unless
    ``send`` is given); how many ended how."""
    chosen = send or sender(settings)
    jitter = jitter or random.Random()

    async def attempt(key: int) -> str:
        return await _attempt(sessions, settings, cipher, key, chosen, resolve, jitter)

    return await send_due(sessions, WebhookDelivery, attempt, batch=BATCH)


async def deliver(context: JobContext) -> str:
    cipher = FieldCipher(load_master_key(context.settings))
    return summary(await deliver_due(context.sessions, context.settings, cipher))


DELIVER = Job(
    name="webhooks.deliver",
    run=deliver,
    schedule=Every(30),
    retries=3,
    retry_delay=30,
    description="send the webhook deliveries that are due, retrying failed ones",
)
