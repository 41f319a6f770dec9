"""Pooled PostgreSQL connections: pinged when they were idle, not before every request.

SQLAlchemy's ``pool_pre_ping`` cost three round trips per request (asyncpg's adapter pings
in a transaction of its own); ``bangfu.core.db`` pings a connection only when it waited in
the pool ``PING_AFTER_IDLE_SECONDS`` or longer. These tests close the server side of the
pooled connections, as a restart of PostgreSQL does, and look at what clients get.
"""

from typing import Any

import pytest
from sqlalchemy import event, text

from bangfu.core import db
from bangfu.core.security import Role
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

ME = "{ me { username } }"


async def _postgresql(harness: Harness) -> Harness:
    if harness.engine.dialect.name != "postgresql":
        pytest.skip("closing pooled connections from the server is a PostgreSQL test")
    return harness


async def _close_pooled_connections(h: Harness, token: str) -> int:
    """Make a request, then terminate the server side of the connections it used, as a
    restart of PostgreSQL would (only those: other tests share the database)."""
    pids: set[int] = set()

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        pids.add(dbapi_connection.driver_connection.get_server_pid())

    pool = h.engine.sync_engine.pool
    event.listen(pool, "checkout", checkout)
    try:
        await h.ok(ME, token=token)
    finally:
        event.remove(pool, "checkout", checkout)
    admin = db.make_engine(h.engine.url.render_as_string(hide_password=False), pooled=False)
    try:
        async with admin.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM unnest(CAST(:pids AS integer[])) AS pid"
                ),
                {"pids": sorted(pids)},
            )
            return int(result.scalar_one())
    finally:
        await admin.dispose()


async def test_a_connection_used_moments_ago_is_not_pinged(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = await _postgresql(harness)
    token = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
    pings: list[object] = []
    original = h.engine.dialect.do_ping
    monkeypatch.setattr(h.engine.dialect, "do_ping", lambda c: pings.append(c) or original(c))
    await h.ok(ME, token=token)
    await h.ok(ME, token=token)
    assert pings == []
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    await h.ok(ME, token=token)
    assert len(pings) >= 1  # idle "long enough": pinged before use


async def test_idle_connections_closed_by_the_server_are_replaced(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection that the server closed while it was idle is found by the ping
    and replaced: the client never notices."""
    h = await _postgresql(harness)
    token = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
    await h.ok(ME, token=token)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert await _close_pooled_connections(h, token) >= 1
    for _ in range(3):
        assert (await h.ok(ME, token=token))["me"]["username"] == "admin"


async def test_a_connection_closed_moments_after_use_costs_one_retryable_answer(
    harness: Harness,
) -> None:
    """A connection the server closed moments after its last use is not pinged: the request
    that finds it gets 503 ``SERVICE_UNAVAILABLE`` with ``Retry-After`` (nothing was done),
    the pool is renewed, and the retry succeeds."""
    h = await _postgresql(harness)
    token = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
    await h.ok(ME, token=token)
    assert await _close_pooled_connections(h, token) >= 1
    answers = [await h.post(ME, token=token) for _ in range(3)]
    statuses = [a.status_code for a in answers]
    assert statuses[-1] == 200 and answers[-1].json()["data"]["me"]["username"] == "admin"
    for answer in answers:
        if answer.status_code != 200:
            assert answer.status_code == 503 and answer.headers["Retry-After"]
            assert answer.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert statuses.count(503) == 1, statuses  # the one that found the closed connection
