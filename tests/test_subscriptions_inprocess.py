"""Subscriptions in the production profile, spoken to in-process over graphql-transport-ws:
on only where ``BANGFU_SUBSCRIPTIONS`` turns them on, then only for registered documents
where trusted documents are on, and never a query or mutation over the socket."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bangfu.core.security import documents
from bangfu.core.security.actor import Role
from bangfu.core.security.documents import NewDocument
from bangfu.testing import Harness
from tests.helpers import websocket_scope

pytestmark = pytest.mark.anyio

UPDATES = "subscription Updates { careEventUpdates { change event { id } } }"


class Socket:
    """A WebSocket client talking to the ASGI app in this process."""

    def __init__(self, app: Any, token: str | None = None) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.inbox.put_nowait({"type": "websocket.connect"})
        scope = websocket_scope(["graphql-transport-ws"])
        self.task = asyncio.ensure_future(app(scope, self.inbox.get, self.outbox.put))
        self.token = token

    async def event(self, seconds: float = 10) -> dict[str, Any]:
        return await asyncio.wait_for(self.outbox.get(), seconds)

    async def send(self, message: dict[str, Any]) -> None:
        await self.inbox.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def message(self, seconds: float = 10) -> dict[str, Any]:
        event = await self.event(seconds)
        assert event["type"] == "websocket.send", event
        found: dict[str, Any] = json.loads(event["text"])
        return found

    async def open(self) -> None:
        assert (await self.event())["type"] == "websocket.accept"
        await self.send(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}}
        )
        assert (await self.message())["type"] == "connection_ack"

    async def close(self) -> None:
        await self.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 10)


PRODUCTION = {"profile": "production", "subscriptions": True, "subscription_poll_seconds": 0.1}


@pytest.fixture
async def prod(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    async with Harness.start(tmp_path, database_url=database_url, settings=PRODUCTION) as h:
        yield h


@pytest.fixture
async def untrusted(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    """Production with trusted documents off: any document reaches the operation check."""
    settings = PRODUCTION | {"trusted_documents": False}
    async with Harness.start(tmp_path, database_url=database_url, settings=settings) as h:
        yield h


async def test_only_a_registered_subscription_runs_where_documents_are_trusted(
    prod: Harness,
) -> None:
    token = await prod.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023")
    socket = Socket(prod.app, token)
    await socket.open()
    await socket.send({"id": "1", "type": "subscribe", "payload": {"query": UPDATES}})
    refused = await socket.message()
    assert refused["type"] == "error" and refused["id"] == "1"
    assert refused["payload"][0]["extensions"] == {"code": "TRUSTED_DOCUMENT_REQUIRED"}

    async with prod.session() as session, session.begin():
        await documents.add_documents(session, None, [NewDocument(UPDATES, ("Updates",))])
    await socket.send({"id": "2", "type": "subscribe", "payload": {"query": UPDATES}})
    with pytest.raises(TimeoutError):  # running: nothing to tell, and no error
        await socket.message(seconds=1)
    await socket.send({"id": "2", "type": "complete"})
    await socket.close()


@pytest.mark.parametrize(
    "document", ["mutation { logout }", "{ me { username } }", "subscription { nothing }"]
)
async def test_no_query_or_mutation_runs_over_the_socket(untrusted: Harness, document: str) -> None:
    prod = untrusted
    token = await prod.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023")
    socket = Socket(prod.app, token)
    await socket.open()
    await socket.send({"id": "1", "type": "subscribe", "payload": {"query": document}})
    answer = await socket.message()
    assert answer["type"] == "error", answer
    (error,) = answer["payload"]
    if document.startswith("subscription"):
        assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    else:
        assert error["extensions"] == {"code": "SUBSCRIPTIONS_ONLY"}
        assert error["message"] == (
            "only subscriptions run over the WebSocket: send queries and mutations over HTTP (POST)"
        )
    await socket.close()
    # The logout did not run: the token still works over HTTP.
    me = await prod.client.post(
        "/graphql",
        json={"query": "{ me { username } }"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert me.json() == {"data": {"me": {"username": "paired"}}}
