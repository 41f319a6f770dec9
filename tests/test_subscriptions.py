"""``careEventUpdates`` over graphql-transport-ws, with a real client (``gql``'s websockets
transport) against the real service (uvicorn, demo data) on SQLite and PostgreSQL: an
official is told of an event raised for a person paired with them and of its answer, once
each; nobody else is told; a connection without a token that holds is refused; a token
revoked mid-stream ends the stream."""

import asyncio
import datetime as dt
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from tests.served import served

PASSWORD = "Demo-2026!linfen"
UPDATES = gql(
    "subscription { careEventUpdates { change responses event { id kind person { id } } } }"
)
POLL = 0.2

pytestmark = pytest.mark.anyio


@pytest.fixture
def service(tmp_path: Path, database_url: str | None) -> Iterator[str]:
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


async def test_the_official_is_told_of_a_raise_and_its_answer_once(service: str) -> None:
    paired, xiangfen, hongtong = (login(service, u) for u in ("paired", "xiangfen", "hongtong"))
    person = a_paired_person(service, paired)
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
        raised = post(
            service,
            """mutation($p: ID!, $on: Date!) { careEventRaise(input: {
                 personId: $p, kind: HOSPITALISATION, occurredOn: $on, summary: "住院" }) {
                 careEvent { id } errors { code } } }""",
            xiangfen,
            p=person,
            on=dt.date.today().isoformat(),
        )["careEventRaise"]
        assert raised["errors"] == []
        event = raised["careEvent"]["id"]
        await wait_for(mine, 1)
        post(
            service,
            """mutation($e: ID!) { careEventRespond(input: {
                 eventId: $e, kind: VISIT, notes: "到医院看望" }) { errors { code } } }""",
            paired,
            e=event,
        )
        await wait_for(mine, 2)
        await asyncio.sleep(5 * POLL)  # nothing more comes
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert mine == [
        {
            "change": "RAISED",
            "responses": 0,
            "event": {"id": event, "kind": "HOSPITALISATION", "person": {"id": person}},
        },
        {
            "change": "ANSWERED",
            "responses": 1,
            "event": {"id": event, "kind": "HOSPITALISATION", "person": {"id": person}},
        },
    ]
    # The county officer raised it but is paired with nobody; the other county's officer
    # cannot see the person at all.
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
