"""The city-scale data set: core's Linfen demo generator at any scale, plus a bench login.

The data is the demo data of ``bangfu demo`` (``bangfu.demo.load_demo``): households,
persons, categories, every plugin's rows through ``bangfu_demo_data``, and the care work
(screening, plans, pairings, care events). Reusing it keeps the benchmark's data what a
plugin declares, with no second generator to keep in step. Same seed, same day: same data.
"""

import asyncio
import datetime as dt
import time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.cli import load_host, upgrade
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.plugins import PluginHost
from bangfu.core.registry.models import Household, Person
from bangfu.core.security import SYSTEM
from bangfu.core.security.crypto import FieldCipher, load_master_key
from bangfu.core.security.models import User
from bangfu.core.security.users import create_user
from bangfu.demo import load_demo

BENCH_USER = "bench"
BENCH_PASSWORD = "City-2026!linfen-load"
BENCH_ORGANISATION = "141000-civil-affairs"
CITY = "141000"


async def populate(
    session: AsyncSession,
    cipher: FieldCipher,
    host: PluginHost,
    *,
    households: int,
    seed: int,
    today: dt.date,
) -> bool:
    """Load ``households`` households unless there are some, and add the bench user;
    whether the households were loaded now.

    Runs in the caller's transaction, as the system actor.
    """
    generated = not await session.scalar(select(func.count(Household.id)))
    if generated:
        started = time.perf_counter()
        await load_demo(session, cipher, host, households=households, seed=seed, today=today)
        took = time.perf_counter() - started
        print(f"generated {households} households in {took:.0f} s", flush=True)
    if await session.scalar(select(User.id).where(User.username == BENCH_USER)) is None:
        await create_user(
            session,
            BENCH_USER,
            BENCH_PASSWORD,
            organisation_code=BENCH_ORGANISATION,
            region_code=CITY,
            roles=["CITY_ADMINISTRATOR"],
            display_name="benchmark",
        )
    return generated


async def generate(settings: Settings, households: int, seed: int, today: dt.date) -> str:
    """Migrate, then :func:`populate`; returns a one-line summary of what the database holds."""
    host = load_host()
    await upgrade(settings, host)
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    try:
        async with make_sessionmaker(engine)() as session:
            session.info["actor"] = SYSTEM
            async with session.begin():
                generated = await populate(
                    session,
                    FieldCipher(load_master_key(settings)),
                    host,
                    households=households,
                    seed=seed,
                    today=today,
                )
            if generated:
                # Fresh statistics: right after a bulk load the planner knows nothing of
                # the tables (on PostgreSQL pages took seconds until autovacuum ran).
                async with engine.begin() as connection:
                    await connection.exec_driver_sql("ANALYZE")
            async with session.begin():
                count_households = await session.scalar(select(func.count(Household.id)))
                count_persons = await session.scalar(select(func.count(Person.id)))
        return f"{count_households} households, {count_persons} persons"
    finally:
        await engine.dispose()


def run(settings: Settings, households: int, seed: int, today: dt.date) -> str:
    return asyncio.run(generate(settings, households, seed, today))
