"""Webhook deliveries over HTTPS (issue 22): the certificate is checked against the
endpoint's host name, not the address the delivery connects to, and a partner whose
certificate a government-internal CA signed is trusted when ``BANGFU_WEBHOOK_CA_FILE``
names that CA, beside the usual ones. The receiver runs on 127.0.0.1 with a certificate
for ``partner.example``, which the endpoint's resolver maps there. On SQLite and, with
``BANGFU_TEST_DATABASE_URL``, PostgreSQL."""

import datetime as dt
import random
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from pydantic import ValidationError
from sqlalchemy import update
from standardwebhooks.webhooks import Webhook

from bangfu.core.calendar import today
from bangfu.core.config import Settings
from bangfu.core.webhooks import endpoints
from bangfu.core.webhooks.delivery import deliver_due, tls_context
from bangfu.core.webhooks.models import WebhookDelivery
from bangfu.testing import Harness
from tests.helpers import World
from tests.test_care_events import raise_event
from tests.test_care_helpers import family
from tests.test_webhook_delivery import Receiver, deliveries, endpoint

pytestmark = pytest.mark.anyio

HOST = "partner.example"


def to_loopback(host: str, port: int) -> list[str]:
    """A resolver that finds ``partner.example`` (alone) at 127.0.0.1."""
    return ["127.0.0.1"] if host == HOST else []


@pytest.fixture
def ca() -> trustme.CA:
    """The partners' CA, one no system trusts (a government-internal CA)."""
    return trustme.CA(organization_name="Linfen e-Government CA")


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "intranet-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def https_receiver(ca: trustme.CA, *names: str) -> Receiver:
    """A receiver on 127.0.0.1 whose certificate, signed by ``ca``, is for ``names``."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*names).configure_cert(tls)
    return Receiver(tls)


@pytest.fixture
def partner(ca: trustme.CA) -> Iterator[Receiver]:
    found = https_receiver(ca, HOST)
    yield found
    found.server.shutdown()


async def deliver(h: Harness, settings: Settings) -> dict[str, int]:
    return await deliver_due(
        h.services.sessions, settings, h.cipher, resolve=to_loopback, jitter=random.Random(1)
    )


async def make_due(h: Harness) -> None:
    async with h.session() as session, session.begin():
        await session.execute(
            update(WebhookDelivery).values(next_attempt_at=dt.datetime(2000, 1, 1))
        )


async def attempt_errors(h: Harness) -> list[str | None]:
    async with h.session() as session:
        (delivery,) = await endpoints.delivery_log(session, "partner")
    return [attempt.error for attempt in delivery.attempts]


async def a_delivery(world: World, url: str) -> str:
    """An endpoint at ``url`` and one care event for it; the endpoint's secret."""
    secret = await endpoint(world.h, url, resolve=to_loopback)
    f = await family(world.h)
    raised = await raise_event(world, f.person_gids[0], "DISASTER", today())
    assert raised["errors"] == []
    return secret


async def test_a_partner_signed_by_the_ca_file_gets_the_delivery(
    world: World, partner: Receiver, ca_file: Path
) -> None:
    h = world.h
    url = f"https://{HOST}:{partner.port}/hook"
    secret = await a_delivery(world, url)

    # Without BANGFU_WEBHOOK_CA_FILE the partner's CA is unknown: the TLS handshake fails,
    # the attempt says why, and the delivery waits for its retry.
    assert h.settings.webhook_ca_file is None
    assert await deliver(h, h.settings) == {"RETRYING": 1}
    (waiting,) = await deliveries(h)
    assert (waiting.state, waiting.attempts) == ("PENDING", 1)
    (error,) = await attempt_errors(h)
    assert error is not None and "CERTIFICATE_VERIFY_FAILED" in error
    assert partner.received == []

    # With it, the retry reaches the partner, signed, over TLS by the host's name.
    trusting = h.settings.model_copy(update={"webhook_ca_file": ca_file})
    await make_due(h)
    assert await deliver(h, trusting) == {"SUCCEEDED": 1}
    (done,) = await deliveries(h)
    assert (done.state, done.attempts) == ("SUCCEEDED", 2)
    assert await attempt_errors(h) == [error, None]
    ((headers, body),) = partner.received
    sent = Webhook(secret).verify(body, headers)
    assert sent["type"] == "care_event.raised" and headers["webhook-id"] == sent["id"]
    assert headers["host"] == f"{HOST}:{partner.port}"


async def test_a_certificate_for_another_name_is_refused(
    world: World, ca: trustme.CA, ca_file: Path
) -> None:
    """Signed by the trusted CA, but for another name and for the very address the
    delivery connects to: the check is by the endpoint's host name, so it fails."""
    h = world.h
    impostor = https_receiver(ca, "other.example", "127.0.0.1")
    try:
        await a_delivery(world, f"https://{HOST}:{impostor.port}/hook")
        trusting = h.settings.model_copy(update={"webhook_ca_file": ca_file})
        assert await deliver(h, trusting) == {"RETRYING": 1}
    finally:
        impostor.server.shutdown()
    (error,) = await attempt_errors(h)
    assert error is not None and "CERTIFICATE_VERIFY_FAILED" in error
    assert HOST in error  # "Hostname mismatch, certificate is not valid for 'partner.example'"
    assert impostor.received == []
    (waiting,) = await deliveries(h)
    assert waiting.state == "PENDING"


def test_the_ca_file_adds_to_the_usual_authorities(ca_file: Path) -> None:
    usual = tls_context().get_ca_certs()
    assert usual  # certifi's
    with_file = tls_context(ca_file).get_ca_certs()
    assert len(with_file) == len(usual) + 1
    assert tls_context(ca_file) is tls_context(ca_file)  # built once, not per delivery


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        (b"", "not a PEM file of CA certificates"),
        (
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
            "not a PEM file of CA certificates",
        ),
    ],
)
def test_a_bad_ca_file_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None, problem: str
) -> None:
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv("BANGFU_LANGUAGE", "en")
    monkeypatch.setenv("BANGFU_WEBHOOK_CA_FILE", str(path))
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert f"BANGFU_WEBHOOK_CA_FILE {path}: {problem}" in str(refused.value)
    monkeypatch.setenv("BANGFU_WEBHOOK_CA_FILE", str(tmp_path))
    with pytest.raises(ValidationError, match="BANGFU_WEBHOOK_CA_FILE"):
        Settings()
