"""Time ``bottomLineSummary`` for a county of about 20,000 persons (issue 7).

Not a test. Loads the Linfen demo data (every plugin's rows and the care work included),
moves every household into Xiangfen (141023), one village per original county, and
times the GraphQL query ``bottomLineSummary(regionCode: "141023")`` through the app, with
the number of SQL statements and the process's peak memory::

    .venv/bin/python bench/bottom_line_summary.py                  # SQLite, 9,000 households
    .venv/bin/python bench/bottom_line_summary.py --database-url postgresql+asyncpg://...

PostgreSQL runs in a throw-away schema of the given database.

Measured on 2026-11-29 (a 2-core machine shared with other test runs), 6,000 demo
households moved into Xiangfen: 20,085 persons, 13,148 in hardship categories; 288 SQL
statements per request; SQLite 16.5-18.4 s, PostgreSQL 24.4-26.3 s (after setting
``plan_cache_mode = force_custom_plan``: 35-40 s before); peak memory 240 MB.
"""

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bangfu.core.care.screening_models import ScreeningTarget
from bangfu.core.registry.models import Household, Person, Region, RegionLevel
from bangfu.core.registry.reference import COUNTIES
from bangfu.core.security import Role
from bangfu.demo import load_demo
from bangfu.testing import Harness

COUNTY = "141023"
QUERY = """query { bottomLineSummary(regionCode: "141023") {
  persons indicators { indicator ok atRisk notApplicable unknown }
  regions { region { code } persons } } }"""


async def build(h: Harness, households: int) -> int:
    """Load the demo and move it into one county; return the county's persons."""
    async with h.session() as session, session.begin():
        await load_demo(session, h.cipher, h.host, households=households, seed=2026)
    async with h.session() as session, session.begin():
        villages = list(
            await session.scalars(
                select(Region)
                .where(Region.level == RegionLevel.VILLAGE, Region.path.like(f"141000/{COUNTY}/%"))
                .order_by(Region.code)
            )
        )
        for index, (code, _name) in enumerate(COUNTIES):
            village = villages[index % len(villages)]
            prefix = f"141000/{code}/"
            for model, column in (
                (Person, Person.area_path),
                (Household, Household.area_path),
            ):
                await session.execute(
                    update(model)
                    .where(column.like(f"{prefix}%"))
                    .values(region_code=village.code, area_path=village.path)
                )
            await session.execute(
                update(ScreeningTarget)
                .where(ScreeningTarget.household_path.like(f"{prefix}%"))
                .values(household_path=village.path)
            )
        return int(
            await session.scalar(
                select(func.count(Person.id)).where(Person.area_path.like(f"141000/{COUNTY}/%"))
            )
            or 0
        )


async def slowest(h: Harness, token: str, count: int) -> None:
    """Run the query once more, timing each statement (grouped by its first 150 chars)."""
    spent: dict[str, float] = defaultdict(float)
    started: list[float] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        spent[" ".join(statement.split())[:150]] += time.perf_counter() - started.pop()

    event.listen(h.engine.sync_engine, "before_cursor_execute", before)
    event.listen(h.engine.sync_engine, "after_cursor_execute", after)
    try:
        await h.ok(QUERY, token=token)
    finally:
        event.remove(h.engine.sync_engine, "before_cursor_execute", before)
        event.remove(h.engine.sync_engine, "after_cursor_execute", after)
    for statement, seconds in sorted(spent.items(), key=lambda kv: -kv[1])[:count]:
        print(f"  {seconds:6.2f} s  {statement}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=9000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--slowest", type=int, default=0, help="print the N statements that took longest in all"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        # A longer request limit than the service's 30 s, to measure rather than cancel.
        async with Harness.start(
            Path(folder),
            database_url=args.database_url,
            settings={"request_timeout_seconds": 600},
        ) as h:
            started = time.perf_counter()
            persons = await build(h, args.households)
            print(f"built: {persons} persons in {COUNTY} in {time.perf_counter() - started:.0f} s")
            if args.database_url:
                async with h.engine.begin() as connection:
                    await connection.execute(text("ANALYZE"))  # fresh statistics after the load
            token = await h.actor("bench-admin", roles=[Role.CITY_ADMINISTRATOR])
            timings = []
            for _ in range(args.runs):
                with h.count_statements() as counter:
                    started = time.perf_counter()
                    data = await h.ok(QUERY, token=token)
                    timings.append(time.perf_counter() - started)
            summary = data["bottomLineSummary"]
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            backend = "PostgreSQL" if args.database_url else "SQLite"
            print(
                f"bottomLineSummary({COUNTY}) on {backend}: {summary['persons']} hardship "
                f"persons of {persons}, {len(summary['regions'])} child regions; "
                f"median {statistics.median(timings):.2f} s over {args.runs} runs "
                f"(min {min(timings):.2f} s), {counter.count} SQL statements per request, "
                f"peak memory {peak:.0f} MB"
            )
            if args.slowest:
                await slowest(h, token, args.slowest)
            for row in summary["indicators"]:
                print(
                    f"  {row['indicator']:<22} ok {row['ok']:>6}  at risk {row['atRisk']:>5}  "
                    f"n/a {row['notApplicable']:>6}  unknown {row['unknown']:>5}"
                )


if __name__ == "__main__":
    asyncio.run(main())
