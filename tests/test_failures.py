"""Unexpected errors, slow requests and a stopped database (SECURITY.md, "Leaks",
"Query cost" and "Reliability"): masked answers with a request ID, details in the log,
a cancelled statement and a healthy pool."""

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bangfu.app import create_app
from bangfu.core.config import Settings
from bangfu.schema.failures import MASKED_MESSAGE
from bangfu.testing import Harness
from tests.helpers import World, create_household, make_world
from tests.probes import SECRET_HOST, SECRET_PASSWORD, ProbePlugin

pytestmark = pytest.mark.anyio


@pytest.fixture
async def probed(tmp_path: Path, database_url: str | None) -> AsyncIterator[World]:
    """A world with the probe plugin and a 1-second time limit, on SQLite and PostgreSQL."""
    async with Harness.start(
        tmp_path,
        database_url=database_url,
        extra_plugins=[ProbePlugin()],
        settings={"request_timeout_seconds": 1},
    ) as h:
        yield await make_world(h)


async def test_a_database_error_is_masked_and_logged_with_the_request_id(
    probed: World, caplog: pytest.LogCaptureFixture
) -> None:
    h = probed.h
    with caplog.at_level(logging.ERROR, logger="bangfu.errors"):
        response = await h.post("{ probeFail plugins { name } }", token=probed.admin)
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    answer = response.json()
    assert answer["data"]["probeFail"] is None
    assert answer["data"]["plugins"]  # the rest of the answer is intact
    assert answer["errors"] == [
        {
            "message": MASKED_MESSAGE,
            "locations": [{"line": 1, "column": 3}],
            "path": ["probeFail"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
    ]
    for secret in (SECRET_HOST, SECRET_PASSWORD, "core_user", "ProgrammingError", "Traceback"):
        assert secret not in response.text
    # The details are in the server log, under the same request ID.
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert SECRET_HOST in caplog.text and "Traceback" in caplog.text


async def test_expected_errors_stay_readable(probed: World) -> None:
    h = probed.h
    anonymous = await h.client.post(
        "/graphql", json={"query": "{ persons(first: 1) { totalCount } }"}
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["message"].startswith("authentication required")

    page = await h.gql("{ persons(first: 0) { totalCount } }", token=probed.admin)
    assert page["errors"][0]["message"] == "first: must be between 1 and 100"

    cursor = await h.gql('{ persons(first: 1, after: "nope") { totalCount } }', token=probed.admin)
    assert cursor["errors"][0]["message"] == "after: not a valid cursor"

    region = await h.gql(
        '{ persons(first: 1, filter: {regionCode: "999999"}) { totalCount } }',
        token=probed.admin,
    )
    assert region["errors"][0]["message"] == "filter.regionCode: unknown region code '999999'"

    invalid = await h.gql("{ persons(first: 1) { nope } }", token=probed.admin)
    assert invalid["errors"][0]["message"].startswith(
        "Cannot query field 'nope' on type 'PersonConnection'"
    )

    denied = await h.gql(
        "mutation($input: HouseholdCreateInput!) { householdCreate(input: $input) { errors { code } } }",
        {"input": {"regionCode": "141023", "members": []}},
        token=probed.supervisor,
    )
    assert denied["errors"][0]["message"] == "you are not allowed to registry:write"


async def test_a_request_past_the_time_limit_is_cancelled_with_its_statement(
    probed: World,
) -> None:
    h = probed.h
    started = time.monotonic()
    response = await h.post("{ probeSlow }", token=probed.admin)
    elapsed = time.monotonic() - started
    # The statement takes minutes; the answer comes at the limit (1 s), and only after
    # the session has been closed: its connection was free again, the statement stopped.
    assert elapsed < 5, elapsed
    assert response.status_code == 504
    error = response.json()["errors"][0]
    assert error["extensions"] == {
        "code": "TIMEOUT",
        "requestId": response.headers["x-request-id"],
    }
    assert "took longer than 1 seconds and was cancelled" in error["message"]

    if h.engine.dialect.name == "postgresql":
        async with h.engine.connect() as connection:
            running = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' "
                    "AND state = 'active' AND pid <> pg_backend_pid()"
                )
            )
            assert running == 0
            # The backstop: every pooled connection has a statement timeout of its own.
            assert await connection.scalar(text("SHOW statement_timeout")) == "1s"
    assert h.engine.pool.checkedout() == 0

    # The next requests work, on every pooled connection.
    for _ in range(12):
        assert (await h.ok("{ persons(first: 1) { totalCount } }", token=probed.admin)) == {
            "persons": {"totalCount": 0}
        }
    payload = await create_household(h, probed.xiangfen)
    assert payload["errors"] == []


async def test_a_timed_out_request_with_fields_still_cancelling_is_one_clean_504(
    probed: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Two fields at once: when the time limit cancels them, the one that waits without the
    # database ends at once, while the other is still giving up its statement on the
    # request's session. The answer is still the documented 504 TIMEOUT, with one log line.
    h = probed.h
    with caplog.at_level(logging.WARNING):
        response = await h.post("{ a: probeSleep b: probeSlow }", token=probed.admin)
    assert response.status_code == 504, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    request_id = response.headers["x-request-id"]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"request {request_id} cancelled after the 1 s time limit")
    ]
    assert h.engine.pool.checkedout() == 0
    if h.engine.dialect.name == "postgresql":
        async with h.engine.connect() as connection:
            running = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' "
                    "AND state = 'active' AND pid <> pg_backend_pid()"
                )
            )
            assert running == 0
    for _ in range(3):
        assert (await h.ok("{ persons(first: 1) { totalCount } }", token=probed.admin)) == {
            "persons": {"totalCount": 0}
        }


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/no/such/directory/{SECRET_HOST}.db"
    # Nothing listens on port 1: connecting fails at once, whatever this machine runs.
    return f"postgresql+asyncpg://bangfu:{SECRET_PASSWORD}@127.0.0.1:1/{SECRET_HOST}"


async def test_a_stopped_database_is_503_on_readyz_and_masked(
    unreachable: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(database_url=unreachable, secret_key_file=tmp_path / "k.key"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        with caplog.at_level(logging.ERROR):
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "code": "SERVICE_UNAVAILABLE",
            "reason": "the database cannot be reached",
            "requestId": ready.headers["x-request-id"],
        }
        # A request that needs the database (a token to look up) is masked the same way.
        with caplog.at_level(logging.ERROR):
            graphql = await client.post(
                "/graphql",
                json={"query": "{ persons(first: 1) { totalCount } }"},
                headers={"Authorization": "Bearer some-token"},
            )
        assert graphql.status_code == 503
        error = graphql.json()["errors"][0]
        assert error["extensions"] == {
            "code": "SERVICE_UNAVAILABLE",
            "requestId": graphql.headers["x-request-id"],
        }
        for response in (ready, graphql):
            for secret in (SECRET_HOST, SECRET_PASSWORD, "Traceback", "directory", "port"):
                assert secret not in response.text
        assert ready.headers["x-request-id"] in caplog.text
        assert graphql.headers["x-request-id"] in caplog.text
