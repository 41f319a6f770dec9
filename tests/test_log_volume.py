"""Log volume during an outage: a failing dependency is logged once per interval, with a
count of the repeats, not once per request (a 15-second outage wrote 23,843 lines)."""

import logging
from pathlib import Path

import httpx
import pytest

from bangfu.app import create_app
from bangfu.core.config import Settings
from bangfu.core.log_throttle import FailureLog
from tests.helpers import World
from tests.test_cannot_write import cannot_write, create

pytestmark = pytest.mark.anyio

REQUESTS = 60


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The service's records (not the test client's own request lines)."""
    return [r for r in caplog.records if r.name.startswith("bangfu")]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in ours(caplog) if r.exc_info is not None]


async def test_many_failing_writes_log_each_failure_once_per_interval(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    h = world.h
    clock = Clock()
    h.services.failures.clock = clock
    async with cannot_write(h, "full"):
        with caplog.at_level(logging.INFO):
            for _ in range(REQUESTS):
                assert (await create(h, world.xiangfen)).status_code == 503
                assert (await h.client.get("/readyz")).status_code == 503
        first = tracebacks(caplog)
        # One traceback per place the failure surfaced (the mutation, its audit row,
        # readiness), not one per request; nothing else logged at all.
        assert 1 <= len(first) <= 3, [r.getMessage() for r in first]
        assert len(ours(caplog)) == len(first)
        caplog.clear()

        clock.now += h.settings.log_repeat_interval_seconds
        with caplog.at_level(logging.INFO):
            assert (await create(h, world.xiangfen)).status_code == 503
            assert (await h.client.get("/readyz")).status_code == 503
    again = tracebacks(caplog)
    assert len(again) == len(first)
    # The count of what was not logged comes with the next one logged.
    suppressed = [r.getMessage() for r in again if "more like it" in r.getMessage()]
    assert any(f"and {REQUESTS - 1} more like it in the 10 s before" in m for m in suppressed)


async def test_an_unreachable_database_is_logged_once_per_interval(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # PostgreSQL on a port where nothing listens (SQLite's failed opens leave aiosqlite
    # threads behind, a hundred of them here; the failing writes above cover SQLite).
    url = "postgresql+asyncpg://bangfu:secret@127.0.0.1:1/bangfu"
    app = create_app(Settings(database_url=url, secret_key_file=tmp_path / "k.key"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with caplog.at_level(logging.INFO):
            for _ in range(REQUESTS):
                answer = await client.post(
                    "/graphql",
                    json={"query": "{ persons(first: 1) { totalCount } }"},
                    headers={"Authorization": "Bearer some-token"},
                )
                assert answer.status_code == 503
                assert (await client.get("/readyz")).status_code == 503
        await app.state.services.sessions.kw["bind"].dispose()
    # One for the requests, one for readiness: the first of each, with its request ID.
    assert len(tracebacks(caplog)) == 2
    assert len(ours(caplog)) == 2


def test_distinct_failures_are_logged_apart_and_repeats_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    failures = FailureLog(interval=10, clock=clock)
    log = logging.getLogger("bangfu.test")

    def fail(error: Exception) -> Exception:
        try:
            raise error
        except Exception as caught:
            return caught

    with caplog.at_level(logging.INFO, logger="bangfu.test"):
        for number in range(5):
            assert failures.error(log, "request %s", number, error=fail(KeyError("a"))) is (
                number == 0
            )
            assert failures.error(log, "other %s", number, error=fail(ValueError("b"))) is (
                number == 0
            )
        clock.now += 9.9
        assert not failures.error(log, "request late", error=fail(KeyError("a")))
        clock.now += 0.1
        assert failures.error(log, "request %s", 99, error=fail(KeyError("a")))
    assert [r.getMessage() for r in caplog.records] == [
        "request 0",
        "other 0",
        "request 99 (and 5 more like it in the 10 s before, not logged)",
    ]
    assert FailureLog(interval=0).error(log, "always", error=None)
