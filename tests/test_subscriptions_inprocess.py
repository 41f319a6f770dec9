"""Subscriptions spoken to in-process over graphql-transport-ws. In the production profile:
on only where ``BANGFU_SUBSCRIPTIONS`` turns them on, then only for registered documents
where trusted documents are on, and never a query or mutation over the socket. In
development: a user's notifications come to them alone, each once (also one committed
after a later one), ``since`` replays them but not one cancelled meanwhile."""

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.calendar import today
from bangfu.core.db import utcnow
from bangfu.core.jobs import JobContext
from bangfu.core.notify import jobs as notify_jobs
from bangfu.core.notify.models import Notification
from bangfu.core.registry.models import Category
from bangfu.core.security import documents
from bangfu.core.security.actor import Role
from bangfu.core.security.documents import NewDocument
from bangfu.core.security.models import User
from bangfu.schema.care import subscriptions
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import World, make_world, websocket_scope
from tests.test_care_events import raise_event, respond
from tests.test_care_helpers import family, official, pair

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


# -- notifications (development profile) -------------------------------------------------

FULL = """subscription($since: DateTime) { careEventUpdates(since: $since) {
  change responses event { id } notification { id reason state subjectId } } }"""
POLL = 0.05


@pytest.fixture
async def dev(tmp_path: Path, database_url: str | None) -> AsyncIterator[World]:
    settings = {"subscription_poll_seconds": POLL}
    async with Harness.start(tmp_path, database_url=database_url, settings=settings) as h:
        yield await make_world(h)


async def user_id(h: Harness, username: str) -> int:
    async with h.session() as session:
        found = await session.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return int(found)


class Listener:
    """A subscriber to ``careEventUpdates``: every update it is sent, in order."""

    def __init__(self, world: World, token: str, since: dt.datetime | None = None) -> None:
        self.socket = Socket(world.h.app, token)
        self.updates: list[dict[str, Any]] = []
        self.since = since

    async def start(self) -> "Listener":
        await self.socket.open()
        variables = {"since": None if self.since is None else self.since.isoformat()}
        await self.socket.send(
            {"id": "1", "type": "subscribe", "payload": {"query": FULL, "variables": variables}}
        )
        self.task = asyncio.ensure_future(self._listen())
        await asyncio.sleep(10 * POLL)  # it has polled: what was there is not new
        return self

    async def _listen(self) -> None:
        while True:
            message = await self.socket.message(seconds=3600)
            assert message["type"] == "next", message
            self.updates.append(message["payload"]["data"]["careEventUpdates"])

    async def wait_for(self, count: int) -> list[dict[str, Any]]:
        """The updates once there are ``count``, and no more come for a while."""
        for _ in range(int(10 / POLL)):
            if len(self.updates) >= count:
                break
            await asyncio.sleep(POLL)
        await asyncio.sleep(10 * POLL)
        return self.updates

    def notified(self) -> list[tuple[str, str]]:
        return [
            (u["notification"]["reason"], u["notification"]["subjectId"])
            for u in self.updates
            if u["change"] == "NOTIFIED"
        ]

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.socket.close()


async def test_notifications_come_once_to_their_recipient_and_since_replays_them(
    dev: World,
) -> None:
    world = dev
    f = await family(world.h, categories=(Category.SPECIAL_HARDSHIP,))
    token, gid = await official(world.h, "official-a")
    other, _ = await official(world.h, "official-b")
    began = utcnow()
    mine = await Listener(world, token).start()
    others = [await Listener(world, t).start() for t in (other, world.xiangfen, world.hongtong)]

    pairing = await pair(world, f.person_gids[0], gid)
    assert await mine.wait_for(1) == [
        {
            "change": "NOTIFIED",
            "responses": None,
            "event": None,  # a pairing is no care event
            "notification": {
                "id": mine.updates[0]["notification"]["id"],
                "reason": "PAIRING_STARTED",
                "state": "CREATED",
                "subjectId": pairing,
            },
        }
    ]
    event = (await raise_event(world, f.person_gids[0], "HOSPITALISATION", today()))["careEvent"]
    await mine.wait_for(3)
    assert [(u["change"], u["event"], u["responses"]) for u in mine.updates[1:]] == [
        ("RAISED", {"id": event["id"]}, 0),
        ("NOTIFIED", {"id": event["id"]}, 0),
    ]
    # The worker's reminder job (due within 5 working days): the reminder comes once,
    # however often the job runs.
    settings = world.h.settings.model_copy(update={"care_reminder_working_days": 5})
    context = JobContext(settings, world.h.services.sessions)
    assert await notify_jobs.care_reminders(context) == "1 reminders, 0 escalations"
    await mine.wait_for(4)
    assert await notify_jobs.care_reminders(context) == "0 reminders, 0 escalations"
    assert (await respond(world, event["id"], token))["errors"] == []
    await mine.wait_for(5)
    assert [u["change"] for u in mine.updates] == [
        "NOTIFIED",
        "RAISED",
        "NOTIFIED",
        "NOTIFIED",
        "ANSWERED",
    ]
    assert mine.notified() == [
        ("PAIRING_STARTED", pairing),
        ("RAISED", event["id"]),
        ("REMINDER", event["id"]),
    ]
    # No one else hears of the official's notifications: not another official of the
    # county, not the county's officer who paired and raised (and may read the event),
    # not another county's.
    for listener in others:
        assert listener.updates == []

    # A client that reconnects asks for what happened since: the same notifications,
    # but not the reminder, CANCELLED by the answer before this stream sent it.
    again = await Listener(world, token, since=began).start()
    await again.wait_for(3)
    assert again.notified() == [("PAIRING_STARTED", pairing), ("RAISED", event["id"])]
    assert [u["change"] for u in again.updates] == ["RAISED", "NOTIFIED", "NOTIFIED"]
    assert again.updates[0]["responses"] == 1
    for listener in (mine, again, *others):
        await listener.stop()


async def test_a_notification_committed_after_a_later_one_still_comes_once(
    dev: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids are taken at insert and seen at commit: on PostgreSQL a smaller id can appear
    after a larger one was sent. The stream reads ids above a floor that trails what it
    found by LOOKBACK (here four seconds), so the late one comes, and nothing comes twice
    once the floor has passed what was sent."""
    monkeypatch.setattr(subscriptions, "LOOKBACK", dt.timedelta(seconds=4))
    world = dev
    f = await family(world.h, categories=(Category.SPECIAL_HARDSHIP,) * 2)
    token, gid = await official(world.h, "official-a")
    me, admin = await user_id(world.h, "official-a"), await user_id(world.h, "admin")
    mine = await Listener(world, token).start()
    # An id taken now (another's notification, for the moment) ...
    async with world.h.session() as session, session.begin():
        held = Notification(
            recipient_id=admin,
            reason="FLAG_RAISED",
            subject_kind="Pairing",
            subject_id=0,
            message="-",
        )
        session.add(held)
        await session.flush()
        late = held.id
    first = await pair(world, f.person_gids[0], gid)  # ... a larger one, sent
    await mine.wait_for(1)
    # ... then the smaller id becomes one of the official's, as a late commit would.
    async with world.h.session() as session, session.begin():
        await session.delete(await session.get(Notification, late))
        await session.flush()
        session.add(
            Notification(
                id=late,
                recipient_id=me,
                reason="FLAG_RAISED",
                subject_kind="Pairing",
                subject_id=0,
                message="-",
            )
        )
    await mine.wait_for(2)
    await asyncio.sleep(5)  # the floor passes both: neither is read, nor sent, again
    second = await pair(world, f.person_gids[1], gid)
    await mine.wait_for(3)
    assert mine.notified() == [
        ("PAIRING_STARTED", first),
        ("FLAG_RAISED", to_global_id("Pairing", 0)),
        ("PAIRING_STARTED", second),
    ]
    assert mine.updates[1]["notification"]["id"] == to_global_id("Notification", late)
    await mine.stop()


async def test_one_actor_has_a_bounded_number_of_subscriptions_open(
    tmp_path: Path, database_url: str | None
) -> None:
    """Each open subscription reads the database every interval: one actor's are bounded
    over all their connections (BANGFU_MAX_SUBSCRIPTIONS_PER_ACTOR), another's are not
    touched, and a place comes free when a subscription ends."""
    settings = PRODUCTION | {"trusted_documents": False, "max_subscriptions_per_actor": 2}
    async with Harness.start(tmp_path, database_url=database_url, settings=settings) as h:
        token = await h.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023")
        other = await h.actor("other", roles=[Role.PAIRED_OFFICIAL], region="141023")
        sockets = [Socket(h.app, token), Socket(h.app, token), Socket(h.app, other)]
        for socket in sockets:
            await socket.open()
        subscribe = {"type": "subscribe", "payload": {"query": UPDATES}}
        await sockets[0].send({"id": "1", **subscribe})
        await sockets[1].send({"id": "1", **subscribe})
        await asyncio.sleep(0.3)  # both running
        await sockets[1].send({"id": "2", **subscribe})  # a third of the same actor
        refused = await sockets[1].message()
        assert refused["id"] == "2" and refused["type"] in ("next", "error"), refused
        errors = refused["payload"]["errors"] if refused["type"] == "next" else refused["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["TOO_MANY_REQUESTS"]
        assert errors[0]["message"] == "you have 2 subscriptions open already: close one first"
        if refused["type"] == "next":
            assert await sockets[1].message() == {"id": "2", "type": "complete"}
        await sockets[2].send({"id": "1", **subscribe})  # another actor: untouched
        with pytest.raises(TimeoutError):
            await sockets[2].message(seconds=0.5)
        await sockets[0].send({"id": "1", "type": "complete"})  # frees a place
        await asyncio.sleep(0.3)
        await sockets[1].send({"id": "3", **subscribe})
        try:
            told = await sockets[1].message(seconds=0.5)
        except TimeoutError:
            told = None
        assert told is None, told
        for socket in sockets:
            await socket.close()
