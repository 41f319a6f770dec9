"""Notification channels of plugins (issue 22, hook ``bangfu_notification_channels``):
the worker hands each notification to every channel that carries its reason, once; a
failing channel is retried on the schedule and given up, each attempt in the log
(``bangfu notification log``); two workers do not deliver one notification twice; a
rolled-back write notifies no channel. Through GraphQL, with ``bangfu.testing``'s
``RecordingChannel`` (which fails on demand), on SQLite and, with
``BANGFU_TEST_DATABASE_URL``, PostgreSQL."""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import select

from bangfu.cli import main
from bangfu.core.calendar import today
from bangfu.core.care.event_models import CareEvent
from bangfu.core.jobs.retry import MAX_ATTEMPTS
from bangfu.core.notify import channels as channels_module
from bangfu.core.notify import service as notify
from bangfu.core.notify.channels import delivery_log
from bangfu.core.notify.models import NotificationAttempt, NotificationDelivery
from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.plugin import ChannelError, OutgoingNotification
from bangfu.testing import Harness, RecordingChannel
from tests.helpers import World, make_world
from tests.test_care_events import raise_event, respond
from tests.test_care_helpers import family, official, pair

pytestmark = pytest.mark.anyio


class ChannelPlugin:
    """A department's package with notification channels."""

    def __init__(self, *channels: Any) -> None:
        self.channels = list(channels)

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="sms", title="SMS gateway", version="1.0")

    @hookimpl
    def bangfu_notification_channels(self) -> list[Any]:
        return self.channels


@pytest.fixture
def sms() -> RecordingChannel:
    return RecordingChannel("sms-gateway")


@pytest.fixture
def escalations() -> RecordingChannel:
    return RecordingChannel("escalation-line", reasons={"ESCALATION"})


@pytest.fixture
async def world(
    tmp_path: Path,
    database_url: str | None,
    sms: RecordingChannel,
    escalations: RecordingChannel,
) -> AsyncIterator[World]:
    plugin = ChannelPlugin(sms, escalations)
    async with Harness.start(tmp_path, database_url=database_url, extra_plugins=[plugin]) as h:
        yield await make_world(h)


async def deliveries(h: Harness) -> list[NotificationDelivery]:
    async with h.session() as session:
        rows = await session.scalars(
            select(NotificationDelivery).order_by(
                NotificationDelivery.notification_id, NotificationDelivery.channel
            )
        )
        return list(rows)


async def paired_event(world: World) -> tuple[str, str]:
    """A person paired with ``official-a`` and a hospitalisation raised for them; the
    official's token and the event's global ID."""
    f = await family(world.h)
    token, gid = await official(world.h, "official-a")
    await pair(world, f.person_gids[0], gid)
    raised = await raise_event(world, f.person_gids[0], "HOSPITALISATION", today())
    assert raised["errors"] == []
    return token, raised["careEvent"]["id"]


async def test_each_notification_reaches_the_channels_that_carry_it_once(
    world: World, sms: RecordingChannel, escalations: RecordingChannel
) -> None:
    h = world.h
    token, event = await paired_event(world)
    assert sms.attempts == []  # never inside the request
    assert await h.deliver_notifications() == "delivered 2; channels: 2 succeeded"
    assert [(n.reason, n.recipient_username) for n in sms.delivered] == [
        ("PAIRING_STARTED", "official-a"),
        ("RAISED", "official-a"),
    ]
    raised = sms.delivered[1]
    assert raised.subject_type == "CareEvent" and raised.subject_id == event
    assert raised.attempt == 1 and len(raised.delivery_id) == 36
    listed = await h.ok(
        "{ myNotifications(first: 5) { nodes { id reason message state } } }", token=token
    )
    newest = listed["myNotifications"]["nodes"][0]
    assert (newest["id"], newest["reason"], newest["state"]) == (
        raised.notification_id,
        "RAISED",
        "DELIVERED",
    )
    # The message is the service's language (the tests' is English), naming no person.
    assert raised.message == newest["message"]
    assert raised.message.startswith("A care event (hospitalisation) was raised")
    assert escalations.attempts == []  # carries escalations only
    assert await h.deliver_notifications() == "delivered 0"  # once
    assert await h.deliver_notifications(retry_now=True) == "delivered 0"
    assert len(sms.attempts) == 2
    rows = await deliveries(h)
    assert [(d.channel, d.state, d.attempts) for d in rows] == [
        ("in-app", "SUCCEEDED", 1),
        ("sms-gateway", "SUCCEEDED", 1),
    ] * 2


async def test_a_failing_channel_is_retried_then_given_up_with_each_attempt_logged(
    world: World, sms: RecordingChannel
) -> None:
    h = world.h
    await paired_event(world)
    sms.fail = 2 * 2  # both notifications fail twice
    assert await h.deliver_notifications() == "delivered 2; channels: 2 retrying"
    assert await h.deliver_notifications() == "delivered 0"  # not due: 30 s later
    pending = [d for d in await deliveries(h) if d.channel == "sms-gateway"]
    assert all(d.state == "PENDING" and d.attempts == 1 for d in pending)
    assert all(
        d.next_attempt_at is not None and d.next_attempt_at > d.at + dt.timedelta(seconds=29)
        for d in pending
    )
    await h.deliver_notifications(retry_now=True)
    assert sms.delivered == []
    assert await h.deliver_notifications(retry_now=True) == ("delivered 0; channels: 2 succeeded")
    assert len(sms.delivered) == 2
    # Every attempt of one delivery carries its delivery id, and the attempt's number.
    first = [a for a in sms.attempts if a.notification_id == sms.delivered[0].notification_id]
    assert len({a.delivery_id for a in first}) == 1 and [a.attempt for a in first] == [1, 2, 3]
    # A channel that always fails: given up after the last attempt.
    sms.fail = True
    g = await family(h)
    _token, gid = await official(h, "official-b")
    await pair(world, g.person_gids[0], gid)
    for _ in range(MAX_ATTEMPTS + 2):
        await h.deliver_notifications(retry_now=True)
    (gave_up,) = [d for d in await deliveries(h) if d.state == "GAVE_UP"]
    assert gave_up.attempts == MAX_ATTEMPTS and gave_up.error == "sms-gateway failed on demand"
    async with h.session() as session:
        log = await delivery_log(session, "sms-gateway")
        numbers = await session.scalars(
            select(NotificationAttempt.number).where(NotificationAttempt.delivery_pk == gave_up.id)
        )
        assert sorted(numbers) == list(range(1, MAX_ATTEMPTS + 1))
    assert [d.state for d in log] == ["GAVE_UP", "SUCCEEDED", "SUCCEEDED"]  # newest first
    assert (log[0].recipient, log[0].reason) == ("official-b", "PAIRING_STARTED")
    assert [a.error for a in log[0].attempts] == ["sms-gateway failed on demand"] * MAX_ATTEMPTS
    assert [a.error for a in log[1].attempts] == [
        "sms-gateway failed on demand",
        "sms-gateway failed on demand",
        None,
    ]


async def test_a_refusal_that_no_retry_mends_gives_up_at_once(
    world: World, sms: RecordingChannel
) -> None:
    await paired_event(world)
    sms.fail, sms.retry = True, False
    assert await world.h.deliver_notifications() == "delivered 2; channels: 2 gave_up"
    assert [(d.state, d.attempts) for d in await deliveries(world.h) if d.channel != "in-app"] == [
        ("GAVE_UP", 1),
        ("GAVE_UP", 1),
    ]


async def test_an_error_is_logged_by_its_class_and_a_slow_channel_times_out(
    world: World, sms: RecordingChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a ChannelError's message is kept: any other exception's text may hold data."""
    calls: list[str] = []

    async def leaky(notification: OutgoingNotification) -> None:
        calls.append(notification.reason)
        if notification.reason == "RAISED":
            raise ValueError("phone 13912345678 of 张三 is unreachable")
        await asyncio.sleep(5)

    monkeypatch.setattr(sms, "deliver", leaky)
    monkeypatch.setattr(channels_module, "DELIVERY_TIMEOUT", dt.timedelta(seconds=0.2))
    await paired_event(world)
    assert await world.h.deliver_notifications() == "delivered 2; channels: 2 retrying"
    errors = sorted(d.error or "" for d in await deliveries(world.h) if d.channel != "in-app")
    assert errors == ["ValueError", "no answer within 0.2 seconds"]
    assert sorted(calls) == ["PAIRING_STARTED", "RAISED"]


async def test_two_workers_do_not_deliver_one_notification_twice(
    world: World, sms: RecordingChannel
) -> None:
    h = world.h
    for number in range(6):
        f = await family(h)
        _token, gid = await official(h, f"official-{number}")
        await pair(world, f.person_gids[0], gid)
    slow = sms.deliver

    async def deliver(notification: OutgoingNotification) -> None:
        await asyncio.sleep(0.2)
        await slow(notification)

    sms.deliver = deliver  # type: ignore[method-assign]
    first, second = await asyncio.gather(h.deliver_notifications(), h.deliver_notifications())
    handed = [int(s.split(";")[0].split()[1]) for s in (first, second)]
    assert sum(handed) == len(sms.delivered) == 6
    assert len({n.notification_id for n in sms.delivered}) == len(sms.delivered)
    assert len(sms.attempts) == len(sms.delivered)


async def test_a_rolled_back_write_reaches_no_channel(world: World, sms: RecordingChannel) -> None:
    f = await family(world.h)
    _token, gid = await official(world.h, "official-a")
    await pair(world, f.person_gids[0], gid)
    refused = await raise_event(
        world, f.person_gids[0], "HOSPITALISATION", today() + dt.timedelta(3)
    )
    assert [e["code"] for e in refused["errors"]] == ["FUTURE_DATE"]
    await world.h.deliver_notifications()
    assert [n.reason for n in sms.delivered] == ["PAIRING_STARTED"]


async def test_a_channel_whose_plugin_is_not_enabled_is_tried_again_later(
    world: World, sms: RecordingChannel
) -> None:
    """A worker without the plugin (BANGFU_PLUGINS differs between machines) loses nothing:
    the delivery stays pending for a worker that has it."""
    await paired_event(world)
    sms.fail = 1
    assert await world.h.deliver_notifications() == "delivered 2; channels: 1 retrying, 1 succeeded"
    world.h.host.notification_channels.pop("sms-gateway")
    assert (
        await world.h.deliver_notifications(retry_now=True) == "delivered 0; channels: 1 retrying"
    )
    rows = [d for d in await deliveries(world.h) if d.channel == "sms-gateway"]
    assert [(d.state, d.attempts, d.error) for d in rows] == [
        ("PENDING", 2, "channel sms-gateway is not enabled"),
        ("SUCCEEDED", 1, None),
    ]


async def test_the_log_command_shows_each_attempt(
    world: World, sms: RecordingChannel, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    h = world.h
    await paired_event(world)
    sms.fail = 1
    await h.deliver_notifications()
    await h.deliver_notifications(retry_now=True)
    monkeypatch.setenv("BANGFU_DATABASE_URL", h.settings.database_url)
    if h.settings.database_schema:
        monkeypatch.setenv("BANGFU_DATABASE_SCHEMA", h.settings.database_schema)
    assert await anyio.to_thread.run_sync(main, ["notification", "log", "sms-gateway"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 3  # newest first: one succeeded; one failed, then succeeded
    assert lines[0].split()[1:4] == ["sms-gateway", "official-a", "RAISED"]
    assert lines[0].endswith("SUCCEEDED") and lines[1].endswith("OK")
    assert lines[2].split()[1:4] == ["sms-gateway", "official-a", "PAIRING_STARTED"]
    assert "#1" in lines[3] and lines[3].endswith("sms-gateway failed on demand")
    assert "#2" in lines[4] and lines[4].endswith("OK")
    assert await anyio.to_thread.run_sync(main, ["notification", "log", "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err
    assert await anyio.to_thread.run_sync(main, ["notification", "log", "in-app"]) == 0
    assert capsys.readouterr().out == ""  # the in-app channel has no attempts to log


def test_channel_error_keeps_whether_to_retry() -> None:
    assert ChannelError("x").retry is True
    assert ChannelError("x", retry=False).retry is False


async def test_an_answer_stops_a_reminder_still_pending_in_a_channel(
    world: World, sms: RecordingChannel
) -> None:
    h = world.h
    token, event = await paired_event(world)
    assert await h.deliver_notifications() == "delivered 2; channels: 2 succeeded"
    async with h.session() as session:
        deadline = await session.scalar(select(CareEvent.deadline))
    assert deadline is not None
    async with h.session() as session, session.begin():
        assert await notify.remind_and_escalate(session, deadline, 1) == (1, 0)
    sms.fail = True
    assert await h.deliver_notifications() == "delivered 1; channels: 1 retrying"
    assert (await respond(world, event, token))["errors"] == []
    sms.fail = 0
    assert await h.deliver_notifications(retry_now=True) == "delivered 0"
    assert [n.reason for n in sms.delivered] == ["PAIRING_STARTED", "RAISED"]
    reminder = (await deliveries(h))[-1]
    assert (reminder.channel, reminder.state, reminder.attempts) == ("sms-gateway", "CANCELLED", 1)
