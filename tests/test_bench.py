"""The benchmark's own parts at a tiny scale: consistent data, a lower bound served over HTTP
that returns the very JSON the service returns for every query of the mix, the loop that
times the bound and two sides of the service interleaved, and a command that starts (the
benchmark itself, its servers and its timings, are not run)."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from bangfu.core.calendar import today
from bangfu.testing import Harness
from bench import bound_server, cli, generate, queries, server
from bench.bound_server import BOUND_PATH
from bench.lower_bound import Connection
from bench.measure import GraphQLClient

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"""


async def value(harness: Harness, sql: str) -> object:
    async with harness.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar_one()


async def scalar(harness: Harness, sql: str) -> int:
    return int(str(await value(harness, sql)))


async def test_generated_data_is_consistent_and_the_http_lower_bound_returns_the_same_json(
    harness: Harness,
) -> None:
    h = harness
    async with h.session() as session, session.begin():
        await generate.populate(session, h.cipher, h.host, households=20, seed=3, today=today())

    assert await scalar(h, "SELECT count(*) FROM core_household") == 20
    # Exactly one current head per household; every person in exactly one household.
    assert (
        await scalar(
            h,
            "SELECT count(*) FROM core_household h WHERE (SELECT count(*) FROM core_membership m"
            " WHERE m.household_id = h.id AND m.end_date IS NULL AND m.relation = 'HEAD') <> 1",
        )
        == 0
    )
    persons = await scalar(h, "SELECT count(*) FROM core_person")
    assert persons >= 20
    assert (
        await scalar(
            h, "SELECT count(DISTINCT person_id) FROM core_membership WHERE end_date IS NULL"
        )
        == persons
    )
    # Rows for the plugins: categories, work status, insurance and a house appraisal.
    for table in (
        "core_category_assignment",
        "employment_work_status",
        "medical_insurance_enrolment",
        "housing_safety_appraisal",
    ):
        assert await scalar(h, f"SELECT count(*) FROM {table}") > 0, table

    login = await h.ok(LOGIN, {"u": generate.BENCH_USER, "p": generate.BENCH_PASSWORD})
    token = login["login"]["token"]
    found = queries.features(_schema(h))
    page = await h.gql(queries.households_page(found), {"first": 100}, token=token)
    assert "errors" not in page
    assert len(page["data"]["households"]["nodes"]) == 20

    # The whole mix through the benchmark's own loop, at tiny counts: the lower bound's
    # app and two apps of the service (fast path on and off), each spoken to over HTTP
    # (in-process), each query's bound answer checked against both sides' answers.
    connection = Connection(h.settings.database_url, h.settings.database_schema)
    await connection.open()
    try:
        mix = cli.the_mix(found, await cli.parameters(connection))
    finally:
        await connection.close()
    bound_app = bound_server.create_app(h.settings, cipher=h.cipher)
    plain = Harness(h.settings.model_copy(update={"fast_path": False}), h.host)
    server.count_statements()
    clients: list[httpx.AsyncClient] = []

    def over_http(app: object) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://bench"))
        return clients[-1]

    try:
        bound_http = over_http(bound_app)
        endpoints = [
            _endpoint(side, over_http(server.counted(app)), token)
            for side, app in zip(cli.sides("fast_path"), (h.app, plain.app), strict=True)
        ]

        def bound(kind: str) -> GraphQLClient:
            return GraphQLClient(bound_http, "http://bench", token, f"{BOUND_PATH}/{kind}")

        said: list[str] = []
        rows = await cli.measure_mix(
            mix, endpoints, bound, warmup=1, requests=2, budget=None, say=said.append
        )
    finally:
        server.count_statements(on=False)
        for client in clients:
            await client.aclose()
        await bound_app.state.bound.close()
        await plain.client.aclose()
        await plain.engine.dispose()

    assert [row["name"] for row in rows] == [query.name for query in mix]
    with_bound = [row for row, query in zip(rows, mix, strict=True) if query.bound]
    assert len(with_bound) == 5  # two pages, the person, two counts
    for row in with_bound:
        assert row["same"] is True, row["name"]
        assert row["bound"]["samples"] == 2, row["name"]
    for row in rows:
        assert "failed" not in row and "failed_b" not in row, row
        assert row["same_sides"] is True, row["name"]
        assert row["server"]["samples"] == row["server_b"]["samples"] == 2, row["name"]
        assert row["statements"] >= 2 and row["statements_b"] >= 2, row["name"]
    assert len(said) == len(rows)

    results = {
        "date": "today",
        "machine": "here",
        "database": "db",
        "data": "20 households",
        "sides": {side.key: {"label": side.label, "env": side.env} for side in cli.sides(None)},
        "rows": rows,
        "throughput": {"1": 2.0},
        "throughput_b": {"1": 1.0},
        "failed": {"1": 0},
        "memory": {"1": 100.0},
        "memory_b": {"1": 120.0},
        "memory_now": {"a": [90.0, 100.0]},
        "concurrency": 4,
        "requests": 2,
        "seconds": 1,
    }
    printed = cli.table(results)
    for row in rows:
        assert row["name"] in printed
    assert "NO" not in printed
    (throughput,) = [line for line in printed.splitlines() if "throughput A / B" in line]
    assert throughput.split() == "throughput A / B, 1 worker(s) 2.00 (target >= 5) MISSED".split()


def _endpoint(side: cli.Side, http: httpx.AsyncClient, token: str) -> cli.Endpoint:
    async def statements() -> int:
        return int((await http.get(server.STATEMENTS_PATH)).json()["statements"])

    return cli.Endpoint(side, GraphQLClient(http, "http://bench", token), statements)


def _schema(h: Harness) -> object:
    from bangfu.schema.build import build_schema

    return build_schema(h.host, h.settings)._schema


def test_the_command_starts() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "lower bound" in " ".join(done.stdout.split())


def _results(data: str, page_ms: float, bound_ms: float) -> dict[str, object]:
    return {
        "date": "2026-11-29 07:00 UTC",
        "database": "sqlite+aiosqlite",
        "data": data,
        "rows": [
            {
                "name": "households page (first 100)",
                "server": {"median_ms": page_ms, "p95_ms": page_ms},
                "bound": {"median_ms": bound_ms, "p95_ms": bound_ms},
            },
            {"name": "bottomLineSummary, county", "na": True},
        ],
    }


def test_compare_reports_how_the_page_grows_with_the_data() -> None:
    from bench.compare import report

    text = report(
        _results("7500 households", 100.0, 10.0), _results("100000 households", 130.0, 20.0)
    )
    assert "households page " in text and "1.30x" in text and "2.00x" in text
    assert text.endswith("households page, large / small: 1.30 (target <= 1.2) MISSED")
    held = report(_results("a", 100.0, 10.0), _results("b", 110.0, 10.0))
    assert held.endswith("(target <= 1.2) holds")


async def test_a_slow_query_stops_at_its_budget() -> None:
    import asyncio

    from bench.measure import timed

    calls = 0

    async def slow() -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)

    latency = await timed(slow, warmup=5, count=30, budget=0.05)
    # Warm-up stops after a quarter of the budget; then at least three timed calls.
    assert 3 <= latency.samples < 30 and calls < 35
    assert latency.median_ms >= 20
    full = await timed(slow, warmup=0, count=4)
    assert full.samples == 4


async def test_the_loop_interleaves_the_sides_and_drops_a_failing_one() -> None:
    from bench.measure import interleaved

    seen: list[str] = []

    def side(name: str, fail_on: int | None = None) -> Any:
        async def call() -> None:
            seen.append(name)
            if seen.count(name) == fail_on:
                raise RuntimeError(f"HTTP 503: {name}")

        return call

    calls = {"bound": side("bound"), "a": side("a"), "b": side("b", fail_on=4)}
    latencies, failed = await interleaved(calls, warmup=1, count=3)
    # One request per side a round, the order turning by one each round; b fails in the
    # third timed round and leaves the loop.
    assert seen == [
        *("bound", "a", "b"),  # the warm-up
        *("bound", "a", "b"),
        *("a", "b", "bound"),
        *("b", "bound", "a"),
    ]
    assert failed == {"b": "HTTP 503: b"}
    assert set(latencies) == {"bound", "a"}
    assert latencies["bound"].samples == latencies["a"].samples == 3


async def test_the_load_tests_of_the_sides_take_turns() -> None:
    import asyncio

    from bench.measure import alternating_load

    seen: list[str] = []

    def call(name: str) -> Any:
        async def post() -> None:
            if not seen or seen[-1] != name:
                seen.append(name)
            await asyncio.sleep(0.002)

        return post

    measured = await alternating_load(
        {"a": [call("a")], "b": [call("b")]}, concurrency=2, seconds=0.08, turn=0.02
    )
    assert seen == ["a", "b", "a", "b", "a"]  # A B, B A, A B, B A
    assert set(measured) == {"a", "b"}
    assert all(rate > 0 and failed == 0 for rate, failed in measured.values())


def test_the_sides_differ_in_one_setting_and_the_variables_given() -> None:
    a, b = cli.sides("fast_path", ["BANGFU_DATABASE_POOL_SIZE=3"], [])
    assert (a.label, a.env) == (
        "fast_path on BANGFU_DATABASE_POOL_SIZE=3",
        {"BANGFU_FAST_PATH": "true", "BANGFU_DATABASE_POOL_SIZE": "3"},
    )
    assert (b.label, b.env) == ("fast_path off", {"BANGFU_FAST_PATH": "false"})
    assert (a.field("server"), b.field("server")) == ("server", "server_b")
    # Without the option: compiled execution's switch once the service has one.
    assert cli.sides(None)[0].label == f"{cli.default_setting()} on"
    assert [side.key for side in cli.sides("none")] == ["a"]
    assert [side.key for side in cli.sides("none", [], ["BANGFU_X=1"])] == ["a", "b"]
    for wrong in ("no_such_setting", "database_url"):
        with pytest.raises(SystemExit, match="no boolean setting"):
            cli.sides(wrong)
    with pytest.raises(SystemExit, match="VAR=VALUE"):
        cli.sides("fast_path", ["BANGFU_X"])
