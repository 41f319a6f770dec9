"""``careEventUpdates`` over graphql-transport-ws, with a real client (``gql``'s websockets
transport) against the real service (uvicorn, demo data) on SQLite and PostgreSQL: an
official is told of an event raised for a person paired with them, of its answer, and of
their notifications (the raise's, the reminder the worker's job records), once each;
nobody else is told; a connection without a token that holds is refused; a token revoked
mid-stream ends the stream."""

import asyncio
import datetime as dt
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from bangfu.core.calendar import today
from tests.served import Served, served

PASSWORD = "Demo-2026!linfen"
UPDATES = gql(
    """subscription { careEventUpdates {
         change responses event { id kind person { id } }
         notification { id reason state subjectId } } }"""
)
POLL = 0.2

#: The worker's daily reminder job, run once against the served instance's database.
REMINDERS = """
import asyncio
from bangfu.cli import load_host
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.jobs import JobContext
from bangfu.core.notify.jobs import care_reminders

async def main() -> None:
    settings = Settings()
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    try:
        print(await care_reminders(JobContext(settings, make_sessionmaker(engine))))
    finally:
        await engine.dispose()

load_host()
asyncio.run(main())
"""

pytestmark = pytest.mark.anyio


@pytest.fixture
def service(tmp_path: Path, database_url: str | None) -> Iterator[Served]:
    with served(
        tmp_path, database_url, settings={"BANGFU_SUBSCRIPTION_POLL_SECONDS": str(POLL)}
    ) as base:
        yield base


def post(base: str, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json"}
        | ({"authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        body: dict[str, Any] = json.loads(answer.read())
    assert "errors" not in body, body
    return body["data"]


def login(base: str, username: str) -> str:
    data = post(
        base,
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
        u=username,
        p=PASSWORD,
    )
    token: str = data["login"]["token"]
    return token


def transport(base: str, payload: dict[str, Any] | None) -> WebsocketsTransport:
    return WebsocketsTransport(
        url=base.replace("http://", "ws://") + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload=payload or {},
        connect_timeout=30,
        ack_timeout=30,
    )


async def collect(base: str, token: str, into: list[dict[str, Any]], ready: asyncio.Event) -> None:
    """Subscribe as ``token``'s user and append every update to ``into``."""
    async with Client(
        transport=transport(base, {"Authorization": f"Bearer {token}"}),
        fetch_schema_from_transport=False,
    ) as session:
        stream = session.subscribe(UPDATES)
        first = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(3 * POLL)  # the stream has begun and polled
        ready.set()
        into.append((await first)["careEventUpdates"])
        async for update in stream:
            into.append(update["careEventUpdates"])


async def wait_for(updates: list[dict[str, Any]], count: int, seconds: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while len(updates) < count:
        assert asyncio.get_running_loop().time() < deadline, updates
        await asyncio.sleep(POLL)


def a_paired_person(base: str, paired: str) -> str:
    data = post(base, "{ pairings(first: 1) { nodes { person { id } } } }", paired)
    return str(data["pairings"]["nodes"][0]["person"]["id"])


def run_reminders(service: Served) -> str:
    """``notify.care-reminders`` as the worker runs it, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", REMINDERS],
        env=service.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def my_notifications(base: str, token: str) -> set[str]:
    data = post(base, "{ myNotifications(first: 100) { nodes { id } } }", token)
    return {node["id"] for node in data["myNotifications"]["nodes"]}


async def test_the_official_is_told_of_a_raise_its_answer_and_their_notifications_once(
    service: Served,
) -> None:
    paired, xiangfen, hongtong = (login(service, u) for u in ("paired", "xiangfen", "hongtong"))
    person = a_paired_person(service, paired)
    before = my_notifications(service, paired)  # the demo's: not pushed, they were there
    mine: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    ready, ready_too, ready_three = asyncio.Event(), asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.ensure_future(collect(service, paired, mine, ready)),
        asyncio.ensure_future(collect(service, xiangfen, others, ready_too)),
        asyncio.ensure_future(collect(service, hongtong, others, ready_three)),
    ]
    try:
        await asyncio.wait_for(
            asyncio.gather(ready.wait(), ready_too.wait(), ready_three.wait()), 60
        )
        # Happened three days ago: due today (HOSPITALISATION: 3 days), so the reminder
        # job reminds of it today.
        raised = post(
            service,
            """mutation($p: ID!, $on: Date!) { careEventRaise(input: {
                 personId: $p, kind: HOSPITALISATION, occurredOn: $on, summary: "住院" }) {
                 careEvent { id deadline } errors { code } } }""",
            xiangfen,
            p=person,
            on=(today() - dt.timedelta(days=3)).isoformat(),
        )["careEventRaise"]
        assert raised["errors"] == []
        event = raised["careEvent"]["id"]
        assert raised["careEvent"]["deadline"] == today().isoformat()
        await wait_for(mine, 2)  # the event raised, and the notification of it
        assert run_reminders(service).startswith("1 reminders"), "the job reminded of it"
        await wait_for(mine, 3)
        post(
            service,
            """mutation($e: ID!) { careEventRespond(input: {
                 eventId: $e, kind: VISIT, notes: "到医院看望" }) { errors { code } } }""",
            paired,
            e=event,
        )
        await wait_for(mine, 4)
        assert run_reminders(service).startswith("0 reminders")  # answered: none again
        await asyncio.sleep(5 * POLL)  # nothing more comes
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    told = {"id": event, "kind": "HOSPITALISATION", "person": {"id": person}}
    notified = [m["notification"] for m in mine if m["change"] == "NOTIFIED"]
    assert [(n["reason"], n["subjectId"], n["state"]) for n in notified] == [
        ("RAISED", event, "CREATED"),
        ("REMINDER", event, "CREATED"),
    ]
    assert mine == [
        {"change": "RAISED", "responses": 0, "event": told, "notification": None},
        {"change": "NOTIFIED", "responses": 0, "event": told, "notification": notified[0]},
        {"change": "NOTIFIED", "responses": 0, "event": told, "notification": notified[1]},
        {"change": "ANSWERED", "responses": 1, "event": told, "notification": None},
    ]
    # Exactly the official's new notifications, as myNotifications lists them (the
    # reminder is CANCELLED by the answer now, so no longer listed there).
    after = my_notifications(service, paired)
    assert after - before == {notified[0]["id"]}
    # The county officer raised it but is paired with nobody and is not told of their own
    # raise; the other county's officer cannot see the person at all. Neither hears of the
    # official's notifications.
    assert others == []


@pytest.mark.parametrize(
    "payload",
    [None, {"Authorization": "Token abc"}, {"Authorization": "Bearer bfu_not-a-token"}],
)
async def test_a_connection_without_a_valid_token_is_refused(
    service: str, payload: dict[str, Any] | None
) -> None:
    """graphql-transport-ws closes an unauthorised connection with 4403 Forbidden."""
    with pytest.raises(TransportConnectionFailed) as refused:
        async with Client(
            transport=transport(service, payload), fetch_schema_from_transport=False
        ) as session:
            async for _update in session.subscribe(UPDATES):
                break
    closed = refused.value.__cause__
    assert isinstance(closed, ConnectionClosed), refused.value
    assert closed.rcvd is not None and (closed.rcvd.code, closed.rcvd.reason) == (4403, "Forbidden")


async def test_logging_out_ends_the_stream(service: str) -> None:
    token = login(service, "paired")

    async def listen() -> list[Any]:
        got: list[Any] = []
        async with Client(
            transport=transport(service, {"Authorization": f"Bearer {token}"}),
            fetch_schema_from_transport=False,
        ) as session:
            async for update in session.subscribe(UPDATES):
                got.append(update)
        return got

    task = asyncio.ensure_future(listen())
    await asyncio.sleep(5 * POLL)
    assert post(service, "mutation { logout }", token)["logout"] is True
    with pytest.raises(TransportQueryError) as ended:
        await asyncio.wait_for(task, 30)
    assert ended.value.errors is not None
    assert ended.value.errors[0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "REVOKED"}
