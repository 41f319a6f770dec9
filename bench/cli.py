"""``python -m bench``: generate the data set if needed, serve it, measure, print one table.

Three servers run side by side on 127.0.0.1 under the same uvicorn settings: the lower
bound (:mod:`bench.bound_server`) and two sides of the service, A and B, which differ in
one boolean setting (``--compare-setting``, on for A and off for B) and in any variables
given with ``--a-env`` / ``--b-env``. Each query is timed in one loop that sends one
request to each of them in turn (:func:`bench.measure.interleaved`).
"""

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import os
import platform
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import httpx

from bangfu.core.calendar import today as china_today
from bangfu.core.config import Settings
from bangfu.schema.relay import encode_cursor, to_global_id
from bench import generate, queries
from bench.bound_server import BOUND_PATH
from bench.lower_bound import Connection
from bench.measure import (
    BOUND_APP,
    GraphQLClient,
    Latency,
    Server,
    alternating_load,
    interleaved,
)

COUNTY = "141023"  # 襄汾县
DEEP_ROWS = 50_000


#: Report-style queries, measured one at a time but left out of the load test: one
#: summary of a county takes seconds, and four clients asking for it only measure that.
REPORTS = ("bottomLineSummary, county",)

#: The setting compared when ``--compare-setting`` is not given: issue 18's switch of
#: compiled execution once the service has it, the fast path until then.
DEFAULT_SETTINGS = ("compiled", "fast_path")


def default_setting() -> str:
    return next(name for name in DEFAULT_SETTINGS if name in Settings.model_fields)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="City-scale benchmark of the Bangfu GraphQL service against the raw-SQL "
        "lower bound served over the same HTTP stack. Generates the data set when the "
        "database has none, serves the lower bound and two sides of the service (one setting "
        "on and off) with uvicorn on 127.0.0.1, times them interleaved, and prints one table.",
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
    p.add_argument("--requests", type=int, default=30, help="timed rounds per query")
    p.add_argument("--warmup", type=int, default=5, help="untimed rounds per query first")
    p.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds per query for its timed rounds (a slow one stops early, after 3)",
    )
    p.add_argument(
        "--compare-setting",
        default=None,
        metavar="NAME",
        help="boolean setting (bangfu.core.config.Settings, env BANGFU_<NAME>) that is on for "
        "side A and off for side B; default 'compiled' when the service has it, else "
        f"'fast_path' (now: {default_setting()!r}); 'none': side A only, unless --b-env",
    )
    p.add_argument(
        "--a-env",
        action="append",
        default=[],
        metavar="VAR=VALUE",
        help="an environment variable for side A's server (repeatable), after the setting",
    )
    p.add_argument(
        "--b-env",
        action="append",
        default=[],
        metavar="VAR=VALUE",
        help="an environment variable for side B's server (repeatable), after the setting",
    )
    p.add_argument("--concurrency", type=int, default=4, help="clients of the load test")
    p.add_argument("--seconds", type=float, default=8.0, help="length of each load test")
    p.add_argument("--workers", default="1,2", help="server worker counts to load-test")
    p.add_argument(
        "--port",
        type=int,
        default=8765,
        help="first of three ports on 127.0.0.1: the bound, side A, side B",
    )
    p.add_argument("--generate-only", action="store_true", help="only generate the data set")
    p.add_argument("--json", dest="json_file", help="also write the figures to this file")
    return p


@dataclasses.dataclass(frozen=True)
class Side:
    """One server of the service: ``key`` "a" or "b", what it is, its environment."""

    key: str
    label: str
    env: dict[str, str]

    def field(self, name: str) -> str:
        """The key of one of its figures in a row or in the results: A's keep their old
        names (``server``, ``statements``), B's end in ``_b``."""
        return name if self.key == "a" else f"{name}_{self.key}"


def sides(setting: str | None, a_env: Iterable[str] = (), b_env: Iterable[str] = ()) -> list[Side]:
    """Side A (``setting`` on) and side B (off), each with its extra variables."""
    setting = default_setting() if setting is None else setting
    extra = {"a": _variables(a_env), "b": _variables(b_env)}
    if setting.lower() == "none":
        found = [Side("a", "service", {})]
        if extra["b"]:
            found.append(Side("b", "service", {}))
    else:
        field = Settings.model_fields.get(setting)
        if field is None or field.annotation is not bool:
            raise SystemExit(f"--compare-setting: {setting!r} is no boolean setting of the service")
        variable = f"BANGFU_{setting.upper()}"
        found = [
            Side("a", f"{setting} on", {variable: "true"}),
            Side("b", f"{setting} off", {variable: "false"}),
        ]
    return [
        dataclasses.replace(
            side,
            label=" ".join([side.label, *(f"{k}={v}" for k, v in extra[side.key].items())]),
            env={**side.env, **extra[side.key]},
        )
        for side in found
    ]


def _variables(pairs: Iterable[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--a-env / --b-env: {pair!r} is not VAR=VALUE")
        found[name] = value
    return found


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    the_sides = sides(args.compare_setting, args.a_env, args.b_env)
    url = args.database_url
    if url.startswith("sqlite") and ":///" in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    Path(args.key_file).parent.mkdir(parents=True, exist_ok=True)
    env = {
        "BANGFU_DATABASE_URL": url,
        "BANGFU_SECRET_KEY_FILE": str(Path(args.key_file).resolve()),
        "BANGFU_PROFILE": "production",
        # The benchmark sends its documents as text: it measures execution, not the
        # trusted documents' lookup (docs/api.md, "Persisted documents").
        "BANGFU_TRUSTED_DOCUMENTS": "false",
        "BANGFU_DEMO": "false",
    }
    os.environ.update(env)
    settings = Settings()
    summary = generate.run(settings, args.households, args.seed, args.today or china_today())
    print(f"data set: {summary} ({url.split('://')[0]})", flush=True)
    if args.generate_only:
        return 0
    results = asyncio.run(measure(args, settings, env, summary, the_sides))
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


@dataclasses.dataclass(frozen=True)
class Query:
    """One query of the mix; ``document`` None when the schema lacks its field, ``bound``
    the lower bound's kind (``/bound/<kind>``) when it has one."""

    name: str
    document: str | None
    variables: dict[str, Any]
    bound: str | None = None


def the_mix(found: queries.Features, p: dict[str, Any]) -> list[Query]:
    """The queries, in the table's order, for the parameters :func:`parameters` found."""
    page = queries.households_page(found)
    return [
        Query("households page (first 100)", page, {"first": 100}, "households"),
        Query(
            "person by id, all nested",
            queries.person_by_id(found),
            {"id": to_global_id("Person", p["person_id"])},
            "person",
        ),
        Query("totalCount persons, county", queries.PERSONS_COUNT, {"region": COUNTY}, "count"),
        Query(
            "totalCount persons, township",
            queries.PERSONS_COUNT,
            {"region": p["township"]},
            "count",
        ),
        Query(
            f"deep page (after {p['deep_rows']:,} rows)",
            page,
            {"first": 100, "after": encode_cursor(p["deep_after"])},
            "households",
        ),
        Query("bottomLineSummary, county", queries.bottom_line_summary(found), {"region": COUNTY}),
        Query("overdue care events, county", queries.OVERDUE_CARE_EVENTS, {"region": COUNTY}),
    ]


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """A side being served: its client (token included) and its statement counter."""

    side: Side
    client: GraphQLClient
    statements: Callable[[], Awaitable[int]]


async def measure(
    args: argparse.Namespace,
    settings: Settings,
    env: dict[str, str],
    summary: str,
    the_sides: list[Side],
) -> dict[str, Any]:
    from bangfu.cli import load_host
    from bangfu.schema.build import build_schema

    found = queries.features(build_schema(load_host(), settings)._schema)
    db = Connection(settings.database_url, settings.database_schema)
    await db.open()
    try:
        mix = the_mix(found, await parameters(db))
    finally:
        await db.close()
    workers = [int(w) for w in args.workers.split(",")]
    figures: dict[str, dict[str, Any]] = {
        side.field(what): {} for side in the_sides for what in ("throughput", "failed", "memory")
    }
    memory_now: dict[str, list[float]] = {side.key: [] for side in the_sides}
    #: Each side's memory a fifth of the way into the load test (warmed up under load).
    memory_warm: dict[str, float] = {}
    token = ""
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
        bound_server = Server(env, args.port, 1, app=BOUND_APP)
        servers = {
            side.key: Server({**env, **side.env}, args.port + 1 + number, 1)
            for number, side in enumerate(the_sides)
        }
        for server in (bound_server, *servers.values()):
            await stack.enter_async_context(server.running())
        token = await login(GraphQLClient(http, servers["a"].url))
        endpoints = [
            Endpoint(
                side,
                GraphQLClient(http, servers[side.key].url, token),
                functools.partial(servers[side.key].statements, http),
            )
            for side in the_sides
        ]

        def bound(kind: str) -> GraphQLClient:
            return GraphQLClient(http, bound_server.url, token, f"{BOUND_PATH}/{kind}")

        rows = await measure_mix(mix, endpoints, bound, args.warmup, args.requests, args.budget)
        for side in the_sides:
            memory_now[side.key].append(servers[side.key].memory_mb())
        if 1 in workers:
            clients = {endpoint.side.key: endpoint.client for endpoint in endpoints}

            def warmed() -> None:
                for side in the_sides:
                    memory_warm[side.key] = servers[side.key].memory_mb()

            await load_tests(figures, the_sides, clients, mix, args, 1, warmed)
            for side in the_sides:
                memory_now[side.key].append(servers[side.key].memory_mb())
        for side in the_sides:
            figures[side.field("memory")]["1"] = servers[side.key].peak_memory_mb()
    for count in sorted(set(workers) - {1}):
        async with contextlib.AsyncExitStack() as stack:
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
            servers = {
                side.key: Server({**env, **side.env}, args.port + 1 + number, count)
                for number, side in enumerate(the_sides)
            }
            for server in servers.values():
                await stack.enter_async_context(server.running())
            clients = {
                side.key: GraphQLClient(http, servers[side.key].url, token) for side in the_sides
            }
            await load_tests(figures, the_sides, clients, mix, args, count)
            for side in the_sides:
                figures[side.field("memory")][str(count)] = servers[side.key].peak_memory_mb()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "database": settings.database_url.split("://")[0],
        "data": summary,
        "sides": {side.key: {"label": side.label, "env": side.env} for side in the_sides},
        "rows": rows,
        **figures,
        "memory_now": memory_now,
        "memory_warm": memory_warm,
        "concurrency": args.concurrency,
        "requests": args.requests,
        "seconds": args.seconds,
    }


async def load_tests(
    figures: dict[str, dict[str, Any]],
    the_sides: list[Side],
    clients: dict[str, GraphQLClient],
    mix: list[Query],
    args: argparse.Namespace,
    workers: int,
    warmed: Callable[[], None] | None = None,
) -> None:
    """The mix but the reports from ``--concurrency`` clients for ``--seconds``, each side
    in turns with the other (:func:`bench.measure.alternating_load`; ``warmed`` is called
    a fifth of the way in)."""
    calls = {
        key: [
            functools.partial(client.post, query.document, query.variables)
            for query in mix
            if query.document is not None and query.name not in REPORTS
        ]
        for key, client in clients.items()
    }
    measured = await alternating_load(calls, args.concurrency, args.seconds, warmed=warmed)
    for side in the_sides:
        rate, failures = measured[side.key]
        figures[side.field("throughput")][str(workers)] = rate
        figures[side.field("failed")][str(workers)] = failures
        print(f"  load, {workers} worker(s), {side.label}: {rate:.1f} requests/s", flush=True)


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


async def measure_mix(
    mix: list[Query],
    endpoints: list[Endpoint],
    bound: Callable[[str], GraphQLClient] | None,
    warmup: int,
    requests: int,
    budget: float | None,
    say: Callable[[str], None] = functools.partial(print, flush=True),
) -> list[dict[str, Any]]:
    """One row per query: each side's first answer (its statements counted), the lower
    bound's answer checked against them, then the bound and the sides timed in one loop."""
    rows = []
    for query in mix:
        row: dict[str, Any] = {"name": query.name}
        rows.append(row)
        if query.document is None:
            row["na"] = True
            continue
        document, variables = query.document, query.variables
        answers: dict[str, Any] = {}
        calls: dict[str, Callable[[], Awaitable[Any]]] = {}
        if query.bound is not None and bound is not None:
            calls["bound"] = functools.partial(bound(query.bound).post, document, variables)
        for endpoint in endpoints:
            side = endpoint.side
            before = await endpoint.statements()
            try:
                answer = json.loads(await endpoint.client.post(document, variables))
            except RuntimeError as error:  # the server's time limit, say: reported, not fatal
                row[side.field("failed")] = str(error)[:120]
                continue
            # The statements of this one request, the login-token lookup included.
            row[side.field("statements")] = await endpoint.statements() - before
            if answer.get("errors"):
                raise RuntimeError(f"{query.name} ({side.label}): {answer['errors'][:2]}")
            answers[side.key] = answer
            calls[side.key] = functools.partial(endpoint.client.post, document, variables)
        if "bound" in calls and answers:
            mine = json.loads(await calls["bound"]())
            row["same"] = all(answer == mine for answer in answers.values())
        if len(answers) > 1:
            first, *others = answers.values()
            row["same_sides"] = all(other == first for other in others)
        if len(calls) == ("bound" in calls):  # no side answered: nothing to time
            continue
        latencies, failed = await interleaved(calls, warmup, requests, budget)
        by_key = {endpoint.side.key: endpoint.side for endpoint in endpoints}
        for key, latency in latencies.items():
            row["bound" if key == "bound" else by_key[key].field("server")] = latency.__dict__
        for key, message in failed.items():
            row["failed_bound" if key == "bound" else by_key[key].field("failed")] = message
        shown = ", ".join(
            f"{key if key == 'bound' else key.upper()} {latency.median_ms:.1f} ms"
            for key, latency in latencies.items()
        )
        say(f"  {query.name}: {shown or 'failed'}")
    return rows


def _field(key: str, name: str) -> str:
    return name if key == "a" else f"{name}_{key}"


def table(results: dict[str, Any]) -> str:
    labels = {key: side["label"] for key, side in results.get("sides", {}).items()}
    labels = labels or {"a": "service"}
    keys = list(labels)
    names = {"a": "A", "b": "B"}
    legend = ", ".join(
        f"{names[key]} = {label}"
        + "".join(f" ({k}={v})" for k, v in results["sides"][key]["env"].items())
        if "sides" in results
        else f"{names[key]} = {label}"
        for key, label in labels.items()
    )
    top = f"{'':<30} {'bound ms':^15}" + "".join(f" {names[k] + ' ms':^17}" for k in keys)
    ratios = [f"{names[k]}/bound" for k in keys] + (["A/B"] if "b" in keys else [])
    over = "ratio of medians" if len(ratios) > 1 else "ratio"
    top += f" {over:^{8 * len(ratios) - 1}} {'SQL':^{5 * len(keys) - 1}}"
    head = (
        f"{'query':<30} {'median':>7} {'p95':>7}"
        + "".join(f" {'median':>8} {'p95':>8}" for _ in keys)
        + "".join(f" {ratio:>7}" for ratio in ratios)
        + "".join(f" {names[k]:>4}" for k in keys)
        + "  same"
    )
    lines = [
        f"Bangfu benchmark, {results['date']}, {results['machine']}",
        f"database: {results['database']}; data: {results['data']}",
        legend,
        "each query: one loop of rounds, one request to the bound and to each side in turn",
        "",
        top.rstrip(),
        head,
        "-" * len(head),
    ]
    notes: list[str] = []
    first_page: dict[str, float] = {}
    for row in results["rows"]:
        name = row["name"]
        if row.get("na"):
            lines.append(f"{name:<30} {'n/a (not in schema)':>30}")
            continue
        latency = {
            key: Latency(**row[field])
            for key, field in [("bound", "bound"), *((k, _field(k, "server")) for k in keys)]
            if field in row
        }
        line = f"{name:<30}"
        bound = latency.get("bound")
        line += f" {bound.median_ms:>7.2f} {bound.p95_ms:>7.2f}" if bound else f" {'':>15}"
        for key in keys:
            if key in latency:
                line += f" {latency[key].median_ms:>8.1f} {latency[key].p95_ms:>8.1f}"
            else:
                line += f" {'failed' if _field(key, 'failed') in row else '':>8} {'':>8}"
        pairs = [(key, "bound") for key in keys] + ([("a", "b")] if "b" in keys else [])
        for over, under in pairs:
            if over in latency and under in latency:
                line += f" {latency[over].median_ms / latency[under].median_ms:>6.2f}x"
            else:
                line += f" {'':>7}"
        for key in keys:
            line += f" {row.get(_field(key, 'statements'), ''):>4}"
        wrong = [
            what
            for what, check in (("bound", "same"), ("A/B", "same_sides"))
            if row.get(check) is False
        ]
        checked = "same" in row or "same_sides" in row
        line += f"  {('NO: ' + ', '.join(wrong)) if wrong else 'yes' if checked else ''}"
        timed = [lat.samples for lat in latency.values() if lat.samples]
        if timed and min(timed) < results.get("requests", 0):
            line = line.rstrip() + f"   ({min(timed)} timed: --budget)"
        if name.startswith("households page"):
            first_page = {key: lat.median_ms for key, lat in latency.items() if key != "bound"}
        elif name.startswith("deep page") and first_page:
            deep = ", ".join(
                f"{names[key]} {latency[key].median_ms / first_page[key]:.2f}x"
                for key in keys
                if key in latency and key in first_page
            )
            line = line.rstrip() + f"   ({deep} the first page)"
        lines.append(line.rstrip())
        for key in ("bound", *keys):
            failed = row.get("failed_bound" if key == "bound" else _field(key, "failed"))
            if failed:
                notes.append(f"  {name}, {names.get(key, key)} failed: {failed}")
    lines.extend(notes)
    lines.append("")
    for workers, rate in results["throughput"].items():
        rates = {key: results.get(_field(key, "throughput"), {}).get(workers) for key in keys}
        shown = ", ".join(f"{names[k]} {r:.1f}" for k, r in rates.items() if r is not None)
        line = (
            f"throughput, {workers} worker(s), {results['concurrency']} clients, "
            f"{results['seconds']:.0f} s of the mix but the report: {shown} requests/s"
        )
        if rates.get("b"):
            line += f" (A/B {rate / rates['b']:.2f}x)"
        failures = [
            f"{names[k]} {results[_field(k, 'failed')][workers]}"
            for k in keys
            if results.get(_field(k, "failed"), {}).get(workers)
        ]
        if failures:
            line += f" (failed: {', '.join(failures)})"
        lines.append(line)
    peaks = "; ".join(
        f"{workers} worker(s) "
        + ", ".join(
            f"{names[k]} {results[_field(k, 'memory')][workers]:.0f} MB"
            for k in keys
            if workers in results.get(_field(k, "memory"), {})
        )
        for workers in results["memory"]
    )
    lines.append(f"server peak memory (largest process): {peaks}")
    grown = [
        f"{names[k]} {now[0]:.0f} -> {now[1]:.0f} MB ({now[1] / now[0]:.2f}x)"
        for k, now in results.get("memory_now", {}).items()
        if len(now) == 2
    ]
    if grown:
        lines.append(
            "server memory (largest process, 1 worker), after the timed rounds -> after the "
            f"load test: {', '.join(grown)}"
        )
    warm = [
        f"{names[k]} {results['memory_warm'][k]:.0f} -> {now[1]:.0f} MB "
        f"({now[1] / results['memory_warm'][k]:.2f}x)"
        for k, now in results.get("memory_now", {}).items()
        if len(now) == 2 and k in results.get("memory_warm", {})
    ]
    if warm:
        lines.append(
            "server memory (1 worker), a fifth into the load test (warmed up under the mix) "
            f"-> at its end: {', '.join(warm)}"
        )
    lines.extend(targets(results))
    lines.append(
        "bound = the same data by hand-written SQL, served by bench/bound_server.py over the "
        "same HTTP stack; ratios of medians timed in one loop; SQL = statements per request, "
        "the token lookup included; same = identical JSON (bound: each side's whole answer, "
        "bottomLine included; A/B: the two sides' answers)"
    )
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> list[str]:
    """Issue 18's targets that one run can check, for side A, each with its figure."""

    def row(prefix: str) -> dict[str, Any]:
        return next((r for r in results["rows"] if r["name"].startswith(prefix)), {})

    def ratio(prefix: str, to: str = "bound") -> float | None:
        found = row(prefix)
        under = found.get("bound") if to == "bound" else row(to).get("server")
        if "server" not in found or under is None:
            return None
        return float(found["server"]["median_ms"] / under["median_ms"])

    checks: list[tuple[str, float | None, float, bool]] = [
        ("households page / lower bound", ratio("households page"), 2.0, False),
        ("person by id / lower bound", ratio("person by id"), 2.0, False),
        ("county count / lower bound", ratio("totalCount persons, county"), 1.3, False),
        ("township count / lower bound", ratio("totalCount persons, township"), 1.3, False),
        ("deep page / first page", ratio("deep page", to="households page"), 1.2, False),
    ]
    for workers, rate in results["throughput"].items():
        other = results.get("throughput_b", {}).get(workers)
        if other:
            checks.append((f"throughput A / B, {workers} worker(s)", rate / other, 5.0, True))
    checks.append(("server peak memory, MB", max(results["memory"].values()), 300.0, False))
    now = results.get("memory_now", {}).get("a", [])
    warm = results.get("memory_warm", {}).get("a")
    if len(now) == 2 and warm:
        # The target's "after warm-up": a fifth into the load test, the mix at the same
        # concurrency as the rest (the timed rounds before it send one request at a time).
        checks.append(("memory end of load / warmed under load", now[1] / warm, 1.2, False))
    if len(now) == 2:
        checks.append(("memory after load / after timing", now[1] / now[0], 1.2, False))
    lines = ["", "targets (issue 18), side A:"]
    for label, value, limit, at_least in checks:
        if value is None:
            lines.append(f"  {label:<34} n/a")
            continue
        holds = value >= limit if at_least else value <= limit
        sign = ">=" if at_least else "<="
        verdict = "holds" if holds else "MISSED"
        lines.append(f"  {label:<34} {value:>8.2f}  (target {sign} {limit:g})  {verdict}")
    return lines
