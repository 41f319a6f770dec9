"""The benchmark's own parts at a tiny scale: consistent data, a lower bound that returns the
very JSON the service returns, and a command that starts (the benchmark itself is not run)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bangfu.core.calendar import today
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from bench import generate, queries
from bench.lower_bound import Connection, LowerBound

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"""


async def value(harness: Harness, sql: str) -> object:
    async with harness.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar_one()


async def scalar(harness: Harness, sql: str) -> int:
    return int(str(await value(harness, sql)))


async def test_generated_data_is_consistent_and_the_lower_bound_returns_the_same_json(
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

    person_id = await scalar(h, "SELECT min(person_id) FROM core_category_assignment")
    person = await h.gql(
        queries.person_by_id(found), {"id": to_global_id("Person", person_id)}, token=token
    )
    assert person["data"]["person"]["name"]

    connection = Connection(h.settings.database_url, h.settings.database_schema)
    await connection.open()
    try:
        bound = LowerBound(connection, h.cipher, today())
        assert json.loads(await bound.households_page(100, None)) == queries.without(
            page, "bottomLine"
        )
        assert json.loads(await bound.person_by_id(person_id)) == queries.without(
            person, "bottomLine"
        )
        county = str(await value(h, "SELECT path FROM core_region WHERE code = '141023'"))
        counted = await h.ok(queries.PERSONS_COUNT, {"region": "141023"}, token=token)
        assert await bound.count_persons(county) == counted["persons"]["totalCount"]
    finally:
        await connection.close()


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
