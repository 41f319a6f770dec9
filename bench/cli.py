"""``python -m bench``: generate the data set if needed, serve it, measure, print one table."""

import argparse
import asyncio
import datetime as dt
import functools
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import httpx

from bangfu.core.calendar import today as china_today
from bangfu.core.config import Settings
from bangfu.core.security.crypto import FieldCipher, load_master_key
from bangfu.schema.relay import encode_cursor, to_global_id
from bench import generate, queries
from bench.lower_bound import Connection, LowerBound
from bench.measure import GraphQLClient, Latency, Server, load, timed

COUNTY = "141023"  # 襄汾县
DEEP_ROWS = 50_000


#: Report-style queries, measured one at a time but left out of the load test: one
#: summary of a county takes seconds, and four clients asking for it only measure that.
REPORTS = ("bottomLineSummary, county",)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="City-scale benchmark of the Bangfu GraphQL service against the raw-SQL "
        "lower bound. Generates the data set when the database has none, serves it with "
        "uvicorn on 127.0.0.1, and prints one table.",
    )
    p.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "sqlite+aiosqlite:///bench-data/city.db"),
        help="SQLAlchemy URL (sqlite+aiosqlite:///FILE or postgresql+asyncpg://...); "
        "default $BENCH_DATABASE_URL or bench-data/city.db",
    )
    p.add_argument("--households", type=int, default=100_000, help="households to generate")
    p.add_argument("--seed", type=int, default=2026, help="generator seed")
    p.add_argument(
        "--today", type=dt.date.fromisoformat, default=None, help="generator's day (ISO date)"
    )
    p.add_argument("--key-file", default="bench-data/bench.key", help="ID-number key file")
    p.add_argument("--requests", type=int, default=30, help="timed requests per query")
    p.add_argument("--warmup", type=int, default=5, help="untimed requests per query first")
    p.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds per query for its timed requests (a slow one stops early, after 3)",
    )
    p.add_argument("--concurrency", type=int, default=4, help="clients of the load test")
    p.add_argument("--seconds", type=float, default=8.0, help="length of each load test")
    p.add_argument("--workers", default="1,2", help="server worker counts to load-test")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1")
    p.add_argument("--generate-only", action="store_true", help="only generate the data set")
    p.add_argument("--json", dest="json_file", help="also write the figures to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    url = args.database_url
    if url.startswith("sqlite") and ":///" in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    Path(args.key_file).parent.mkdir(parents=True, exist_ok=True)
    env = {
        "BANGFU_DATABASE_URL": url,
        "BANGFU_SECRET_KEY_FILE": str(Path(args.key_file).resolve()),
        "BANGFU_PROFILE": "production",
        "BANGFU_DEMO": "false",
    }
    os.environ.update(env)
    settings = Settings()
    summary = generate.run(settings, args.households, args.seed, args.today or china_today())
    print(f"data set: {summary} ({url.split('://')[0]})", flush=True)
    if args.generate_only:
        return 0
    results = asyncio.run(measure(args, settings, env, summary))
    print(table(results))
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


async def parameters(db: Connection) -> dict[str, Any]:
    """The person, cursor and regions the mix asks about, the same for every run of a data set."""
    ((households,),) = await db.fetch("SELECT count(*) FROM core_household")
    deep = min(DEEP_ROWS, max(1, households // 2))
    ((deep_id,),) = await db.fetch(
        "SELECT id FROM core_household ORDER BY id LIMIT 1 OFFSET ?", deep - 1
    )
    ((person_id,),) = await db.fetch(
        "SELECT e.person_id FROM education_enrolment e JOIN core_category_assignment c"
        " ON c.person_id = e.person_id ORDER BY e.person_id LIMIT 1 OFFSET ?",
        households // 10,
    )
    ((township, township_path),) = await db.fetch(
        "SELECT code, path FROM core_region WHERE parent_code = ? ORDER BY code LIMIT 1", COUNTY
    )
    ((county_path,),) = await db.fetch("SELECT path FROM core_region WHERE code = ?", COUNTY)
    return {
        "deep_rows": deep,
        "deep_after": int(deep_id),
        "person_id": int(person_id),
        "township": township,
        "township_path": township_path,
        "county_path": county_path,
    }


async def measure(
    args: argparse.Namespace, settings: Settings, env: dict[str, str], summary: str
) -> dict[str, Any]:
    from bangfu.cli import load_host
    from bangfu.schema.build import build_schema

    found = queries.features(build_schema(load_host(), settings)._schema)
    db = Connection(settings.database_url, settings.database_schema)
    await db.open()
    try:
        p = await parameters(db)
        bound = LowerBound(db, FieldCipher(load_master_key(settings)), china_today())
        page = queries.households_page(found)
        person = queries.person_by_id(found)
        summary_query = queries.bottom_line_summary(found)
        mix: list[tuple[str, str | None, dict[str, Any]]] = [
            ("households page (first 100)", page, {"first": 100}),
            ("person by id, all nested", person, {"id": to_global_id("Person", p["person_id"])}),
            ("totalCount persons, county", queries.PERSONS_COUNT, {"region": COUNTY}),
            ("totalCount persons, township", queries.PERSONS_COUNT, {"region": p["township"]}),
            (
                f"deep page (after {p['deep_rows']:,} rows)",
                page,
                {"first": 100, "after": encode_cursor(p["deep_after"])},
            ),
            ("bottomLineSummary, county", summary_query, {"region": COUNTY}),
            ("overdue care events, county", queries.OVERDUE_CARE_EVENTS, {"region": COUNTY}),
        ]
        lower: dict[str, Any] = {
            mix[0][0]: lambda: bound.households_page(100, None),
            mix[1][0]: lambda: bound.person_by_id(p["person_id"]),
            mix[2][0]: lambda: bound.count_persons(p["county_path"]),
            mix[3][0]: lambda: bound.count_persons(p["township_path"]),
            mix[4][0]: lambda: bound.households_page(100, p["deep_after"]),
        }
        rows: dict[str, dict[str, Any]] = {name: {"name": name} for name, _, _ in mix}
        for name, call in lower.items():
            rows[name]["bound"] = (
                await timed(call, args.warmup, args.requests, args.budget)
            ).__dict__
        throughput: dict[str, float] = {}
        failed: dict[str, int] = {}
        memory: dict[str, float] = {}
        workers = [int(w) for w in args.workers.split(",")]
        for count in sorted(set([1, *workers])):
            server = Server(env, args.port, count)
            async with server.running(), httpx.AsyncClient(timeout=60) as http:
                token = await login(GraphQLClient(http, server.url))
                client = GraphQLClient(http, server.url, token)
                if count == 1:
                    for name, query, variables in mix:
                        if query is None:
                            rows[name]["na"] = True
                            continue
                        await measure_one(rows[name], client, server, http, query, variables, args)
                        took = rows[name].get("server", {}).get("median_ms")
                        shown = f"{took:.1f} ms" if took else rows[name].get("failed")
                        print(f"  {name}: {shown}", flush=True)
                    await compare(rows, mix, lower, found)
                calls = [
                    functools.partial(client.post, query, variables)
                    for name, query, variables in mix
                    if query is not None and name not in REPORTS
                ]
                if count in workers:
                    rate, failures = await load(calls, args.concurrency, args.seconds)
                    throughput[str(count)] = rate
                    failed[str(count)] = failures
                memory[str(count)] = server.peak_memory_mb()
    finally:
        await db.close()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "database": settings.database_url.split("://")[0],
        "data": summary,
        "rows": list(rows.values()),
        "throughput": throughput,
        "failed": failed,
        "memory": memory,
        "concurrency": args.concurrency,
        "requests": args.requests,
        "seconds": args.seconds,
    }


async def login(client: GraphQLClient) -> str:
    answer = json.loads(
        await client.post(
            "mutation($u: String!, $p: String!) { login(username: $u, password: $p) "
            "{ token errors { message } } }",
            {"u": generate.BENCH_USER, "p": generate.BENCH_PASSWORD},
        )
    )
    token = answer["data"]["login"]["token"]
    if token is None:
        raise RuntimeError(f"bench login failed: {answer}")
    return str(token)


async def measure_one(
    row: dict[str, Any],
    client: GraphQLClient,
    server: Server,
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    args: argparse.Namespace,
) -> None:
    before = await server.statements(http)
    try:
        answer = json.loads(await client.post(query, variables))
    except RuntimeError as error:  # the server's time limit, say: reported, not fatal
        row["failed"] = str(error)[:120]
        return
    # Minus one: the login-token lookup is counted, the counter's own request is not SQL.
    row["statements"] = await server.statements(http) - before
    if answer.get("errors"):
        raise RuntimeError(f"{row['name']}: {answer['errors'][:2]}")
    row["answer"] = answer
    latency = await timed(
        lambda: client.post(query, variables), args.warmup, args.requests, args.budget
    )
    row["server"] = latency.__dict__


async def compare(
    rows: dict[str, dict[str, Any]],
    mix: list[tuple[str, str | None, dict[str, Any]]],
    lower: dict[str, Any],
    found: queries.Features,
) -> None:
    """Check that the lower bound returns the very data the service returned."""
    for name, call in lower.items():
        row = rows[name]
        served = row.pop("answer", None)
        if served is None:  # the service's request failed: nothing to compare
            continue
        mine = await call()
        if isinstance(mine, int):
            total = served["data"]["persons"]["totalCount"]
            row["same"] = mine == total
        else:
            row["same"] = queries.without(served, "bottomLine") == json.loads(mine)
    for row in rows.values():
        row.pop("answer", None)


def table(results: dict[str, Any]) -> str:
    head = (
        f"{'query':<34} {'median ms':>10} {'p95 ms':>8} {'SQL':>4} "
        f"{'bound ms':>9} {'ratio':>6} {'same':>5}"
    )
    lines = [
        f"Bangfu benchmark, {results['date']}, {results['machine']}",
        f"database: {results['database']}; data: {results['data']}",
        "",
        head,
        "-" * len(head),
    ]
    first_page = None
    for row in results["rows"]:
        if row.get("na"):
            lines.append(f"{row['name']:<34} {'n/a (not in schema)':>30}")
            continue
        if row.get("failed"):
            lines.append(f"{row['name']:<34} failed: {row['failed']}")
            continue
        server = Latency(**row["server"])
        bound = Latency(**row["bound"]) if "bound" in row else None
        ratio = f"{server.median_ms / bound.median_ms:.1f}x" if bound else ""
        same = ("yes" if row["same"] else "NO") if "same" in row else ""
        lines.append(
            f"{row['name']:<34} {server.median_ms:>10.1f} {server.p95_ms:>8.1f} "
            f"{row['statements']:>4} {bound.median_ms if bound else '':>9.2f} {ratio:>6} {same:>5}"
            if bound
            else f"{row['name']:<34} {server.median_ms:>10.1f} {server.p95_ms:>8.1f} "
            f"{row['statements']:>4}"
        )
        if 0 < server.samples < results.get("requests", 0):
            lines[-1] += f"   ({server.samples} timed: --budget)"
        if row["name"].startswith("households page"):
            first_page = server.median_ms
        elif row["name"].startswith("deep page") and first_page:
            lines[-1] += f"   ({server.median_ms / first_page:.2f}x the first page)"
    lines.append("")
    for workers, rate in results["throughput"].items():
        lines.append(
            f"throughput, {workers} worker(s), {results['concurrency']} clients, "
            f"{results['seconds']:.0f} s of the mix but the report: {rate:.1f} requests/s"
        )
        if results.get("failed", {}).get(workers):
            lines[-1] += f" ({results['failed'][workers]} failed)"
    peaks = ", ".join(f"{w} worker(s) {mb:.0f} MB" for w, mb in results["memory"].items())
    lines.append(f"server peak memory (largest process): {peaks}")
    lines.extend(targets(results))
    lines.append(
        "SQL = statements per request, the token lookup included; bound = the same data by "
        "hand-written SQL through the same driver, serialised; same = identical JSON"
    )
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> list[str]:
    """The issue's targets that one run can check, each with its figure."""

    def row(prefix: str) -> dict[str, Any]:
        return next((r for r in results["rows"] if r["name"].startswith(prefix)), {})

    def ratio(prefix: str, to: str = "bound") -> float | None:
        found, other = row(prefix), row(to)
        if "server" not in found:
            return None
        if to == "bound":
            if "bound" not in found:
                return None
            return float(found["server"]["median_ms"] / found["bound"]["median_ms"])
        if "server" not in other:
            return None
        return float(found["server"]["median_ms"] / other["server"]["median_ms"])

    checks: list[tuple[str, float | None, float]] = [
        ("households page / lower bound", ratio("households page"), 6.0),
        ("person by id / lower bound", ratio("person by id"), 3.0),
        ("county count / one count(*)", ratio("totalCount persons, county"), 2.0),
        ("township count / one count(*)", ratio("totalCount persons, township"), 2.0),
        ("deep page / first page", ratio("deep page", to="households page"), 1.5),
    ]
    checks.append(("server peak memory, MB", max(results["memory"].values()), 300.0))
    lines = ["", "targets:"]
    for label, value, limit in checks:
        if value is None:
            lines.append(f"  {label:<32} n/a")
            continue
        verdict = "holds" if value <= limit else "MISSED"
        lines.append(f"  {label:<32} {value:>8.2f}  (target <= {limit:g})  {verdict}")
    return lines
