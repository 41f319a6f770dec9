"""Profile one query of the mix in-process: ``python -m bench.profile [households|person|count]``.

Runs the app through httpx's ASGI transport (no server, no network) under pyinstrument
(the ``bench`` extra) and prints where the time goes. Uses the data set and key file of
``python -m bench`` (same ``--database-url`` and ``--key-file`` defaults).
"""

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from bangfu.schema.relay import to_global_id
from bench import generate, queries


async def run(args: argparse.Namespace) -> None:
    from pyinstrument import Profiler

    from bangfu.app import create_app, tune_process
    from bangfu.cli import load_host
    from bangfu.core.config import Settings
    from bangfu.schema.build import build_schema

    settings = Settings()
    found = queries.features(build_schema(load_host(), settings)._schema)
    query, variables = {
        "households": (queries.households_page(found), {"first": 100}),
        "person": (queries.person_by_id(found), {"id": to_global_id("Person", args.person)}),
        "count": (queries.PERSONS_COUNT, {"region": "141023"}),
    }[args.query]
    app = create_app(settings)
    tune_process()  # as the server's lifespan does
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.post(
            "/graphql",
            json={
                "query": "mutation($u: String!, $p: String!) "
                "{ login(username: $u, password: $p) { token } }",
                "variables": {"u": generate.BENCH_USER, "p": generate.BENCH_PASSWORD},
            },
        )
        headers = {"Authorization": f"Bearer {login.json()['data']['login']['token']}"}
        body = {"query": query, "variables": variables}
        for _ in range(3):
            answer = (await client.post("/graphql", json=body, headers=headers)).json()
            if answer.get("errors"):
                raise RuntimeError(json.dumps(answer["errors"])[:500])
        if args.sql:
            from sqlalchemy import event
            from sqlalchemy.engine import Engine

            seen: list[tuple[str, float]] = []
            began: list[float] = []

            def before(*_args: Any) -> None:
                began.append(time.perf_counter())

            def after(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
                took = time.perf_counter() - began.pop()
                seen.append((" ".join(statement.split())[:150], took))

            event.listen(Engine, "before_cursor_execute", before)
            event.listen(Engine, "after_cursor_execute", after)
            await client.post("/graphql", json=body, headers=headers)
            event.remove(Engine, "before_cursor_execute", before)
            event.remove(Engine, "after_cursor_execute", after)
            for number, (statement, took) in enumerate(seen, 1):
                print(f"{number:3} {took * 1000:8.1f} ms  {statement}")
            return
        if args.time:
            seconds, cpu = [], []
            for _ in range(args.repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                await client.post("/graphql", json=body, headers=headers)
                seconds.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            print(
                f"{args.query}: median {statistics.median(seconds) * 1000:.1f} ms, "
                f"CPU {statistics.median(cpu) * 1000:.1f} ms (steadier on a busy machine)"
            )
            return
        if args.callers:
            import cProfile
            import pstats

            with cProfile.Profile() as cprofile:
                for _ in range(args.repeat):
                    await client.post("/graphql", json=body, headers=headers)
            stats = pstats.Stats(cprofile).sort_stats("tottime")
            stats.print_stats(25)
            stats.print_callers(args.callers)
            return
        profiler = Profiler(async_mode="enabled", interval=0.0005)
        with profiler:
            for _ in range(args.repeat):
                await client.post("/graphql", json=body, headers=headers)
    print(profiler.output_text(unicode=True, color=False, show_all=args.all, flat=args.flat))


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument(
        "query", choices=["households", "person", "count"], nargs="?", default="households"
    )
    p.add_argument("--database-url", default="sqlite+aiosqlite:///bench-data/city.db")
    p.add_argument("--key-file", default="bench-data/bench.key")
    p.add_argument("--person", type=int, default=1, help="person ID for 'person'")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--all", action="store_true", help="show library frames too")
    p.add_argument("--time", action="store_true", help="time the requests, no profiler")
    p.add_argument(
        "--callers",
        metavar="PATTERN",
        help="cProfile instead: the top functions, and who calls those matching PATTERN",
    )
    p.add_argument("--sql", action="store_true", help="print the statements of one request")
    p.add_argument("--flat", action="store_true", help="time per function, self time")
    args = p.parse_args()
    os.environ["BANGFU_DATABASE_URL"] = args.database_url
    os.environ["BANGFU_SECRET_KEY_FILE"] = str(Path(args.key_file).resolve())
    os.environ["BANGFU_PROFILE"] = "production"
    os.environ["BANGFU_TRUSTED_DOCUMENTS"] = "false"  # documents sent as text, as bench/cli.py
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
