"""Webhook deliveries (issue 22): written with the change (a refused write tells no
partner), sent once by the worker to a receiver on 127.0.0.1 with a signature the
Standard Webhooks library accepts, retried on the schedule until given up with every
attempt in the log, never sent twice by two workers at once, and an endpoint told only
of its area's events. On SQLite and, with ``BANGFU_TEST_DATABASE_URL``, PostgreSQL."""

import asyncio
import datetime as dt
import json
import random
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from bangfu.core.calendar import today
from bangfu.core.jobs.retry import MAX_ATTEMPTS
from bangfu.core.webhooks import endpoints
from bangfu.core.webhooks.delivery import deliver_due
from bangfu.core.webhooks.events import WebhookEvent
from bangfu.core.webhooks.models import WebhookDelivery
from bangfu.core.webhooks.targets import Resolver, system_resolver
from bangfu.testing import Harness
from tests.helpers import World
from tests.test_care_events import raise_event, respond
from tests.test_care_helpers import family, official, pair

pytestmark = pytest.mark.anyio


class Receiver:
    """A partner's webhook receiver on 127.0.0.1: keeps what it is sent, and answers 500
    to the next ``fail`` requests (and after ``delay`` seconds, if set). Over HTTPS with
    ``tls``'s certificate when given."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail = 0
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                time.sleep(receiver.delay)
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                failing = receiver.fail > 0
                receiver.fail -= failing
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/bangfu"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


async def endpoint(
    h: Harness,
    url: str,
    region: str = "141000",
    name: str = "partner",
    resolve: Resolver = system_resolver,
) -> str:
    async with h.session() as session, session.begin():
        new = await endpoints.add_endpoint(
            session,
            h.cipher,
            h.settings,
            name=name,
            url=url,
            events=tuple(WebhookEvent),
            region_code=region,
            resolve=resolve,
        )
    return new.secret


async def deliver(h: Harness) -> dict[str, int]:
    return await deliver_due(h.services.sessions, h.settings, h.cipher, jitter=random.Random(1))


async def deliveries(h: Harness) -> list[WebhookDelivery]:
    async with h.session() as session:
        return list(await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def test_a_raised_event_is_delivered_once_signed(world: World, receiver: Receiver) -> None:
    h = world.h
    secret = await endpoint(h, receiver.url)
    f = await family(h)
    _token, gid = await official(h, "official-a")
    await pair(world, f.person_gids[0], gid)
    # A refused raise (an occurrence in the future) writes no delivery.
    refused = await raise_event(world, f.person_gids[0], "DISASTER", today() + dt.timedelta(9))
    assert refused["errors"]
    assert [d.event for d in await deliveries(h)] == ["pairing.started"]
    raised = await raise_event(world, f.person_gids[0], "HOSPITALISATION", today())
    assert [d.event for d in await deliveries(h)] == ["pairing.started", "care_event.raised"]

    assert await deliver(h) == {"SUCCEEDED": 2}
    assert await deliver(h) == {}  # nothing is sent twice
    assert len(receiver.received) == 2
    headers, body = receiver.received[1]
    sent = Webhook(secret).verify(body, headers)
    assert sent["type"] == "care_event.raised"
    assert sent["subject"] == {"type": "CareEvent", "id": raised["careEvent"]["id"]}
    assert sent["countyCode"] == "141023"
    assert sent["data"] == {"kind": "HOSPITALISATION", "deadline": raised["careEvent"]["deadline"]}
    assert headers["webhook-id"] == sent["id"]
    # No person's name, ID number or note is in any body.
    assert all(b"name" not in b and "住院".encode() not in b for _h, b in receiver.received)
    assert {d.state for d in await deliveries(h)} == {"SUCCEEDED"}


async def test_a_failing_receiver_is_retried_then_given_up(
    world: World, receiver: Receiver
) -> None:
    h = world.h
    await endpoint(h, receiver.url)
    f = await family(h)
    raised = await raise_event(world, f.person_gids[0], "DISASTER", today())
    assert raised["errors"] == []
    receiver.fail = 2
    assert await deliver(h) == {"RETRYING": 1}
    (delivery,) = await deliveries(h)
    assert delivery.attempts == 1 and delivery.state == "PENDING"
    assert await deliver(h) == {}  # not due yet: 30 s (and a tenth at most) later
    for _ in range(MAX_ATTEMPTS - 1):
        async with h.session() as session, session.begin():
            await session.execute(
                update(WebhookDelivery).values(next_attempt_at=dt.datetime(2000, 1, 1))
            )
        await deliver(h)
        if (await deliveries(h))[0].state != "PENDING":
            break
    (delivery,) = await deliveries(h)
    assert (delivery.state, delivery.attempts) == ("SUCCEEDED", 3)
    # Always failing: given up after the last attempt, each one in the log.
    await endpoint(h, receiver.url + "/other", name="other")
    g = await family(h)
    second = await raise_event(world, g.person_gids[0], "DISASTER", today())
    assert second["errors"] == []
    receiver.fail = 10**6
    for _ in range(MAX_ATTEMPTS + 2):
        async with h.session() as session, session.begin():
            await session.execute(
                update(WebhookDelivery).values(next_attempt_at=dt.datetime(2000, 1, 1))
            )
        await deliver(h)
    failed = [d for d in await deliveries(h) if d.state == "GAVE_UP"]
    assert len(failed) == 2 and all(d.attempts == MAX_ATTEMPTS for d in failed)
    async with h.session() as session:
        log = await endpoints.delivery_log(session, "other")
    assert len(log) == 1 and [a.status_code for a in log[0].attempts] == [500] * MAX_ATTEMPTS
    ids = {headers["webhook-id"] for headers, _body in receiver.received[3:]}
    assert len(ids) == 2  # every retry of one delivery carries the same id


async def test_two_workers_do_not_deliver_one_delivery_twice(
    world: World, receiver: Receiver
) -> None:
    h = world.h
    await endpoint(h, receiver.url)
    f = await family(h)
    for gid in f.person_gids[:1]:
        assert (await raise_event(world, gid, "DISASTER", today()))["errors"] == []
    receiver.delay = 0.5
    first, second = await asyncio.gather(deliver(h), deliver(h))
    assert sum(first.values()) + sum(second.values()) == 1
    assert len(receiver.received) == 1


async def test_an_endpoint_hears_only_of_its_area_and_an_answer(
    world: World, receiver: Receiver
) -> None:
    h = world.h
    await endpoint(h, receiver.url, region="141024", name="hongtong")
    f = await family(h)  # a 襄汾 household
    raised = await raise_event(world, f.person_gids[0], "DISASTER", today())
    assert raised["errors"] == [] and await deliveries(h) == []
    await endpoint(h, receiver.url, region="141023", name="xiangfen")
    answered = await respond(world, raised["careEvent"]["id"], world.xiangfen)
    assert answered["errors"] == []
    assert [(d.endpoint_name, d.event) for d in await deliveries(h)] == [
        ("xiangfen", "care_event.answered")
    ]
    assert await deliver(h) == {"SUCCEEDED": 1}
    assert json.loads(receiver.received[0][1])["type"] == "care_event.answered"
