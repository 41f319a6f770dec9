"""Time the stored bottom line's daily refresh at city scale (issue 17): what the worker's
``bottomline.refresh`` does when the calendar moves on by ``--days`` (1: one simulated day).

Not a test. On the benchmark's data set, upgraded and rebuilt (see bench/README.md):
counts the verdicts that fall due by then, times ``stored.refresh`` for that day, then
judges the same persons again for today, so the data set is left as it was::

    .venv/bin/python -m bench.refresh_day [--database-url URL] [--days 1]
"""

import asyncio
import datetime as dt
import os
import time
from pathlib import Path

from sqlalchemy import func, select

from bangfu.core import calendar
from bangfu.core.bottomline import stored
from bangfu.core.bottomline.models import StoredVerdict as V
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.plugins import PluginHost, get_plugin_manager
from bangfu.core.security.actor import SYSTEM
from bench.stored_bottom_line import city_arguments


async def main(database_url: str, key_file: str, days: int) -> None:
    os.environ.setdefault("BANGFU_SECRET_KEY_FILE", key_file)
    settings = Settings(database_url=database_url, secret_key_file=Path(key_file))
    host = PluginHost(get_plugin_manager())
    engine = make_engine(database_url, pooled=False)
    stored.attach(engine, host, settings)
    sessions = make_sessionmaker(engine)
    today = calendar.today()
    later = today + dt.timedelta(days=days)
    try:
        async with sessions() as session:
            session.info["actor"] = SYSTEM
            persons = await session.scalar(select(func.count(func.distinct(V.person_id))))
            due = list(
                await session.scalars(
                    select(V.person_id)
                    .where(V.valid_until.is_not(None), V.valid_until <= later)
                    .distinct()
                )
            )
        start = time.perf_counter()
        done = await stored.refresh(sessions, host, settings, as_of=later)
        took = time.perf_counter() - start
        print(
            f"{database_url.split(':')[0]}: {persons} persons stored; after {days} day(s) "
            f"({later}): {done.due} due, {done.judged} judged again in {took:.2f} s "
            f"({len(due)} persons with a valid_until by then)"
        )
        start = time.perf_counter()
        async with sessions() as session, session.begin():
            session.info["actor"] = SYSTEM
            await stored.store(session, due, host, settings, today)
        print(f"  judged them again for today ({today}) in {time.perf_counter() - start:.2f} s")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = city_arguments(__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.key_file, args.days))
