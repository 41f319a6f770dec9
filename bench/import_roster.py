"""Benchmark: import a 20,000-row roster into a fresh SQLite database, then import it again.

Run: ``.venv/bin/python bench/import_roster.py [--rows 20000] [--keep DIR]``. Prints the
time of each import and the process's peak memory (max RSS), and the peak of Python
allocations during the import (tracemalloc, which slows it down; ``--no-trace`` to skip).
Not a test: a figure for the docs (docs/import.md).
"""

import argparse
import asyncio
import datetime as dt
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bangfu.core.config import Settings
from bangfu.core.db import Base, make_engine, make_sessionmaker
from bangfu.core.idnumber import make
from bangfu.core.plugins import PluginHost, get_plugin_manager
from bangfu.core.registry.models import Region, RegionLevel
from bangfu.core.registry.reference import ensure_reference_data
from bangfu.core.roster.importer import RosterImport
from bangfu.core.security import SYSTEM, audit, scoping
from bangfu.core.security.crypto import FieldCipher

HEADERS = [
    "户主身份证号",
    "身份证号",
    "姓名",
    "与户主关系",
    "区划代码",
    "家庭住址",
    "困难类别",
    "就读学校",
    "学段",
    "年级",
    "本年参保险种",
    "就业状态",
    "房屋安全等级",
]
VILLAGES = ["141023100201", "141023100202", "141024100201"]


def write_roster(path: Path, rows: int, rng: random.Random) -> None:
    """Households of four: head (works), spouse, a schoolchild, a grandparent."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("roster")
    sheet.append(HEADERS)
    used: set[str] = set()

    def number(born: dt.date) -> str:
        while True:
            county = rng.choice(["141023", "141024", "141002"])
            value = make(county, born, rng.randint(1, 999))
            if value not in used:
                used.add(value)
                return value

    written = 0
    while written < rows:
        village = rng.choice(VILLAGES)
        head = number(dt.date(1970, 1, 1) + dt.timedelta(days=rng.randint(0, 7000)))
        child = number(dt.date(2012, 1, 1) + dt.timedelta(days=rng.randint(0, 1500)))
        members = [
            [
                head,
                head,
                "户主",
                "户主",
                village,
                "村 1 号",
                "低保",
                None,
                None,
                None,
                "城乡居民医保",
                "务工",
                "B",
            ],
            [
                head,
                number(dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 9000))),
                "配偶",
                "配偶",
                None,
                None,
                None,
                None,
                None,
                None,
                "城乡居民医保",
                "求职",
                None,
            ],
            [
                head,
                child,
                "孩子",
                "子女",
                None,
                None,
                "困境儿童",
                "东关小学",
                "小学",
                rng.randint(1, 6),
                "城乡居民医保",
                None,
                None,
            ],
            [
                head,
                number(dt.date(1935, 1, 1) + dt.timedelta(days=rng.randint(0, 7000))),
                "老人",
                "父母",
                None,
                None,
                None,
                None,
                None,
                None,
                "城乡居民医保",
                "退休",
                None,
            ],
        ]
        for member in members[: rows - written]:
            sheet.append(member)
            written += 1
    book.save(path)


async def prepare(settings: Settings) -> None:
    engine = make_engine(settings.database_url, pooled=False)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with make_sessionmaker(engine)() as session, session.begin():
        session.info["actor"] = SYSTEM
        await ensure_reference_data(session)
        for county in ("141023", "141024"):
            parent = await session.get_one(Region, county)
            township = Region(
                code=f"{county}100",
                name="镇",
                level=RegionLevel.TOWNSHIP,
                parent_code=county,
                path=f"{parent.path}{county}100/",
            )
            session.add(township)
            for village in (v for v in VILLAGES if v.startswith(county)):
                session.add(
                    Region(
                        code=village,
                        name="村",
                        level=RegionLevel.VILLAGE,
                        parent_code=township.code,
                        path=f"{township.path}{village}/",
                    )
                )
    await engine.dispose()


async def run_import(settings: Settings, host: PluginHost, path: Path) -> tuple[float, dict]:
    engine = make_engine(settings.database_url, pooled=False)
    job = RosterImport(
        make_sessionmaker(engine),
        SYSTEM,
        FieldCipher(b"k" * 32),
        host.roster_columns,
        lambda action: True,
    )
    started = time.perf_counter()
    report = await job.run(path, dry_run=False)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    if not report.ok:
        raise SystemExit(
            f"the benchmark roster did not import: {report.as_dict()['problems'][:5]} "
            f"{report.failure}"
        )
    return elapsed, report.as_dict()["counts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, help="keep the roster and database in this folder")
    parser.add_argument("--no-trace", action="store_true", help="skip tracemalloc")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bangfu-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    roster, database = folder / "roster.xlsx", folder / "bench.db"
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    write_roster(roster, args.rows, random.Random(2026))
    print(
        f"wrote {args.rows} rows ({roster.stat().st_size // 1024} KiB) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    settings = Settings(database_url=f"sqlite+aiosqlite:///{database}")
    scoping.install()
    audit.install()
    host = PluginHost(get_plugin_manager())
    asyncio.run(prepare(settings))
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if not args.no_trace:
        tracemalloc.start()
    first, counts = asyncio.run(run_import(settings, host, roster))
    peak_traced = tracemalloc.get_traced_memory()[1] if not args.no_trace else 0
    tracemalloc.stop()
    print(f"first import:  {first:.1f} s  ({args.rows / first:.0f} rows/s)  rows {counts['rows']}")
    second, counts = asyncio.run(run_import(settings, host, roster))
    print(f"second import: {second:.1f} s  rows {counts['rows']}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS {rss / 1024:.0f} MiB (before the imports {base_rss / 1024:.0f} MiB)")
    if peak_traced:
        print(f"peak Python allocations during the first import {peak_traced / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
