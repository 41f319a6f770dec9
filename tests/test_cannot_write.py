"""A database that answers but cannot write (SECURITY.md, "Reliability"): a full disk, a
read-only database. Every request that needs a write gets the same answer — HTTP 503
``SERVICE_UNAVAILABLE`` with ``Retry-After``, masked — with or without an
``Idempotency-Key`` and for ``login``; ``/readyz`` says so; nothing is half-written; and
all is well again once the database can write.
"""

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select, text

from bangfu.core.db import Base
from bangfu.core.db_health import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE
from bangfu.core.registry.models import Household, Person
from bangfu.testing import Harness
from tests.helpers import CREATE_HOUSEHOLD, XIANGFEN_VILLAGE, World, id_number

pytestmark = pytest.mark.anyio

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE")


def _on_connect(statement: str) -> Callable[..., None]:
    def run(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    return run


@asynccontextmanager
async def cannot_write(h: Harness, kind: str, spare: str | None = None) -> AsyncIterator[None]:
    """The test database unable to write, as ``kind`` says, until the block ends; a
    full disk may ``spare`` one table (a small write that still fits)."""
    engine = h.engine.sync_engine
    listeners: list[tuple[str, Callable[..., Any]]] = []
    if h.engine.dialect.name == "sqlite" and kind == "full":
        # A full disk, injected at the driver: every write fails as SQLite's would.
        def full(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith(WRITES) and (
                spare is None or spare not in statement
            ):
                error = sqlite3.OperationalError("database or disk is full")
                error.sqlite_errorcode = 13  # type: ignore[attr-defined]
                error.sqlite_errorname = "SQLITE_FULL"  # type: ignore[attr-defined]
                raise error

        listeners.append(("before_cursor_execute", full))
    elif h.engine.dialect.name == "sqlite":
        listeners.append(("connect", _on_connect("PRAGMA query_only = ON")))
    elif kind == "full":
        # Every table refuses its writes as PostgreSQL does when the disk is full.
        async with h.engine.begin() as connection:
            await connection.execute(
                text(
                    "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "RAISE EXCEPTION 'could not extend file: No space left on device' "
                    "USING ERRCODE = 'disk_full'; END $$"
                )
            )
            for table in set(Base.metadata.tables) - {spare}:
                await connection.execute(
                    text(
                        f'CREATE TRIGGER disk_full BEFORE INSERT OR UPDATE OR DELETE ON "{table}" '
                        "FOR EACH ROW EXECUTE FUNCTION disk_full()"
                    )
                )
    else:
        # A read-only database (a standby, or read-only mode): on each new connection,
        # straight on the driver's connection (a SET in the pool's transaction is undone).
        def read_only(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.run_async(
                lambda driver: driver.execute("SET default_transaction_read_only = on")
            )

        listeners.append(("connect", read_only))
    for name, listener in listeners:
        event.listen(engine, name, listener)
    await h.engine.dispose()  # pooled connections are made again, with the listeners
    try:
        yield
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
        await h.engine.dispose()
        if h.engine.dialect.name == "postgresql" and kind == "full":
            async with h.engine.begin() as connection:
                await connection.execute(text("DROP FUNCTION disk_full() CASCADE"))


def members(count: int) -> list[dict[str, Any]]:
    head = {"relation": "HEAD", "person": {"name": "王建国", "idNumber": id_number()}}
    others = [
        {"relation": "OTHER", "person": {"name": f"王{i}", "idNumber": id_number()}}
        for i in range(count - 1)
    ]
    return [head, *others]


async def create(
    h: Harness,
    token: str,
    count: int = 3,
    key: str | None = None,
    people: list[dict[str, Any]] | None = None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    people = people or members(count)
    variables = {"input": {"regionCode": XIANGFEN_VILLAGE, "members": people}}
    return await h.client.post(
        "/graphql", json={"query": CREATE_HOUSEHOLD, "variables": variables}, headers=headers
    )


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {
        "errors": [
            {
                "message": UNAVAILABLE_MESSAGE,
                "extensions": {
                    "code": "SERVICE_UNAVAILABLE",
                    "requestId": response.headers["x-request-id"],
                },
            }
        ]
    }


async def counts(h: Harness) -> tuple[int, int]:
    async with h.session() as session:
        households = await session.scalar(select(func.count()).select_from(Household))
        persons = await session.scalar(select(func.count()).select_from(Person))
    return households or 0, persons or 0


@pytest.mark.parametrize("kind", ["full", "read-only"])
async def test_a_database_that_cannot_write_is_one_retryable_503(world: World, kind: str) -> None:
    h = world.h
    assert (await h.client.get("/readyz")).json() == {"status": "ready"}
    people = members(3)
    async with cannot_write(h, kind):
        assert_unavailable(await create(h, world.xiangfen))
        assert_unavailable(await create(h, world.xiangfen, key="retry-me-1", people=people))
        login = await h.client.post(
            "/graphql",
            json={"query": 'mutation { login(username: "xiangfen", password: "x") { token } }'},
        )
        assert_unavailable(login)
        ready = await h.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["reason"] == "the database cannot write"
        assert (await h.client.get("/healthz")).status_code == 200
        # Reads still work.
        read = await h.ok("{ persons(first: 1) { totalCount } }", token=world.xiangfen)
        assert read == {"persons": {"totalCount": 0}}
        assert await counts(h) == (0, 0)
    # The database writes again: ready, and the same request (and key) succeeds.
    assert (await h.client.get("/readyz")).json() == {"status": "ready"}
    again = await create(h, world.xiangfen, key="retry-me-1", people=people)
    assert again.status_code == 200 and again.json()["data"]["householdCreate"]["errors"] == []
    assert await counts(h) == (1, 3)


async def test_a_key_claimed_before_the_disk_filled_is_released_not_kept(world: World) -> None:
    """The key's claim still fits, the mutation does not: the 503 is not remembered as
    the key's answer, so the retry with the same key runs once the disk has room."""
    h = world.h
    people = members(3)
    async with cannot_write(h, "full", spare="core_idempotency_record"):
        assert_unavailable(await create(h, world.xiangfen, key="claimed", people=people))
        assert await counts(h) == (0, 0)
    again = await create(h, world.xiangfen, key="claimed", people=people)
    assert again.status_code == 200 and again.json()["data"]["householdCreate"]["errors"] == []
    assert await counts(h) == (1, 3)


async def test_sqlite_out_of_pages_is_503_and_not_ready(world: World) -> None:
    """The real thing on SQLite: the file may not grow (``max_page_count``)."""
    h = world.h
    if h.engine.dialect.name != "sqlite":
        pytest.skip("max_page_count is SQLite's")

    def no_growth(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    event.listen(h.engine.sync_engine, "connect", no_growth)
    await h.engine.dispose()
    try:
        ready = await h.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["reason"] == "the database cannot write"
        assert_unavailable(await create(h, world.xiangfen, count=50))
        assert await counts(h) == (0, 0)
    finally:
        event.remove(h.engine.sync_engine, "connect", no_growth)
        await h.engine.dispose()
    assert (await h.client.get("/readyz")).json() == {"status": "ready"}
