"""Time the stored bottom line's reads against their targets (issue 17), on the city data set.

Not a test. Uses the benchmark's data set (``python -m bench --generate-only``; then
``bangfu db upgrade`` and ``bangfu bottomline rebuild`` on it), serves it in-process (no
network) with the stored bottom line on and, for the summary, off; each pair of sides is
timed in the same loop, interleaved, so a ratio does not move with the machine's load::

    .venv/bin/python -m bench.stored_bottom_line
    .venv/bin/python -m bench.stored_bottom_line --database-url postgresql+asyncpg://...

Prints one row per target: the medians of both sides and their ratio.
"""

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bangfu.app import create_app
from bangfu.core.config import Settings
from bangfu.core.db import make_engine
from bench import generate

COUNTY = "141023"
SUMMARY = (
    'query { bottomLineSummary(regionCode: "%s") { persons '
    "indicators { indicator ok atRisk notApplicable unknown } "
    "regions { region { code } persons indicators { indicator ok atRisk } } } }"
)
PERSONS = 'query { persons(first: 50, filter: {regionCode: "%s"%s}) { nodes { id name } } }'
HOUSEHOLDS = (
    'query { households(first: 50, filter: {regionCode: "%s"}) { nodes { id members { '
    "person { id name%s } } } } }"
)
LINE = " bottomLine { atRisk indicators { indicator status reasons modules } }"
ASSESSMENT = (
    'query { assessment(regionCode: "141000", year: %d) { units { unit { key } score rank } } }'
)
FIRST_PERSON = (
    'query { persons(first: 1, filter: {regionCode: "%s", category: DIBAO}) '
    "{ nodes { id version hukouType } } }"
)
PERSON_UPDATE = (
    "mutation($i: PersonUpdateInput!) { personUpdate(input: $i) { person { version } "
    "errors { code message } } }"
)
GROUP_BY = (
    "SELECT area_path, indicator, status, count(*) FROM core_bottom_line_verdict "
    "WHERE area_path >= :lower AND area_path < :upper AND hardship "
    "GROUP BY area_path, indicator, status"
)


class Side:
    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://bench"
        )
        self.token = ""

    async def start(self) -> None:
        answer = await self.post(
            "mutation($u: String!, $p: String!) { login(username: $u, password: $p) "
            "{ token errors { code } } }",
            {"u": generate.BENCH_USER, "p": generate.BENCH_PASSWORD},
        )
        self.token = answer["data"]["login"]["token"]

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        answer = response.json()
        if answer.get("errors"):
            raise RuntimeError(str(answer["errors"])[:500])
        return answer

    async def stop(self) -> None:
        await self.client.aclose()


async def interleaved(
    a: Callable[[], Awaitable[Any]], b: Callable[[], Awaitable[Any]], rounds: int
) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b``, timed alternately (after one untimed round)."""
    await a()
    await b()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for i, call in enumerate((a, b)):
            start = time.perf_counter()
            await call()
            times[i].append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


async def main(database_url: str, key_file: str, rounds: int, slow_rounds: int) -> None:
    os.environ.setdefault("BANGFU_SECRET_KEY_FILE", key_file)
    base = Settings(database_url=database_url, secret_key_file=Path(key_file))
    stored = Side(base)
    # Judging a county is over the default scan budget: lift it to time the old way.
    computed = Side(
        base.model_copy(
            update={
                "stored_bottom_line": False,
                "max_scan_cost": 10**12,
                "request_timeout_seconds": 600,
            }
        )
    )
    await stored.start()
    await computed.start()
    engine = make_engine(database_url, pooled=False)
    rows: list[tuple[str, float, float, str]] = []

    async def group_by() -> None:
        async with engine.connect() as connection:
            lower = f"141000/{COUNTY}/"
            await connection.execute(text(GROUP_BY), {"lower": lower, "upper": lower[:-1] + "0"})

    try:
        summary = SUMMARY % COUNTY
        s, g = await interleaved(lambda: stored.post(summary), group_by, rounds)
        rows.append(("bottomLineSummary (county) vs hand-written GROUP BY", s, g, "≤100 ms, ≤2×"))
        s, c = await interleaved(
            lambda: stored.post(summary), lambda: computed.post(summary), slow_rounds
        )
        rows.append(("bottomLineSummary (county), stored vs judged", s, c, "(before)"))
        f, p = await interleaved(
            lambda: stored.post(PERSONS % (COUNTY, ", atRisk: SOMEONE_IN_CHARGE")),
            lambda: stored.post(PERSONS % (COUNTY, "")),
            rounds,
        )
        rows.append(("persons page, atRisk vs no filter", f, p, "≤1.5×"))
        w, n = await interleaved(
            lambda: stored.post(HOUSEHOLDS % (COUNTY, LINE)),
            lambda: stored.post(HOUSEHOLDS % (COUNTY, "")),
            rounds,
        )
        rows.append(("households page, bottomLine vs without", w, n, "≤1.3×"))
        # personUpdate with the stored bottom line on vs off (the service before it): both
        # sides change the same person back and forth; the last write is the stored
        # side's, so the person's verdicts stay current. A hukou change judges the
        # person's household again; a phone number judges nobody.
        person = (await stored.post(FIRST_PERSON % COUNTY))["data"]["persons"]["nodes"][0]
        state = {"version": person["version"], "hukou": person["hukouType"], "phone": 0}

        def update(side: Side, field: str) -> Callable[[], Awaitable[None]]:
            async def write() -> None:
                changes: dict[str, Any] = {}
                if field == "hukouType":
                    changes[field] = "URBAN" if state["hukou"] == "RURAL" else "RURAL"
                else:
                    changes[field] = f"1390000{int(state['phone']) + 1:04d}"
                answer = await side.post(
                    PERSON_UPDATE,
                    {"i": {"id": person["id"], "expectedVersion": state["version"], **changes}},
                )
                payload = answer["data"]["personUpdate"]
                if payload["errors"]:
                    raise RuntimeError(str(payload["errors"]))
                state["version"] = payload["person"]["version"]
                state["hukou"] = changes.get("hukouType", state["hukou"])
                state["phone"] = int(state["phone"]) + (field == "phone")

            return write

        for field, what in (("hukouType", "hukou: judged"), ("phone", "phone: nobody judged")):
            u, b = await interleaved(update(stored, field), update(computed, field), rounds)
            rows.append((f"personUpdate ({what}), stored on vs off", u, b, "≤1.5×"))
        await update(stored, "hukouType")()
        year = time.localtime().tm_year
        try:
            a, _ = await interleaved(
                lambda: stored.post(ASSESSMENT % year), lambda: asyncio.sleep(0), slow_rounds
            )
            rows.append(("assessment of the city", a, 0.0, "≤1 s"))
        except RuntimeError as exc:  # e.g. over the request time limit
            print(f"assessment of the city: {exc}")
    finally:
        await stored.stop()
        await computed.stop()
        await engine.dispose()
    print(f"{database_url.split(':')[0]}: medians of {rounds} (slow: {slow_rounds}) rounds")
    for name, one, other, target in rows:
        ratio = f"{one / other:.2f}×" if other else ""
        print(f"  {name:<55} {one * 1000:9.1f} ms {other * 1000:9.1f} ms {ratio:>7}  {target}")


def city_arguments(description: str) -> argparse.ArgumentParser:
    """The arguments of a script on the city data set: --database-url and --key-file."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "sqlite+aiosqlite:///bench-data/city.db"),
    )
    parser.add_argument("--key-file", default="bench-data/bench.key")
    return parser


if __name__ == "__main__":
    parser = city_arguments(__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--slow-rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.key_file, args.rounds, args.slow_rounds))
