"""The bottom line's tally (``core_bottom_line_tally``): the summary's counts per area,
indicator and status, kept by triggers on the stored verdicts
(:class:`~bangfu.core.bottomline.models.BottomLineTally`).

- :func:`counts` reads an area's counts: one indexed range of at most a few rows per
  village, whatever the number of persons;
- :func:`compact` folds PostgreSQL's per-transaction slots into slot 0 and
  :func:`vacuum` reclaims the rows folded (the worker's ``bottomline.compact-tally``
  every ten minutes, and every rebuild); on SQLite there is nothing to fold;
- :func:`differences` compares the tally with counting the verdicts (``bangfu bottomline
  check``).

``BANGFU_BOTTOM_LINE_TALLY=false`` makes the summary count the verdicts instead (the
triggers keep the tally regardless); ``tests/test_bottom_line_tally.py`` keeps the two
identical.
"""

from collections import Counter

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.bottomline.models import BottomLineTally as T
from bangfu.core.bottomline.models import StoredVerdict as V
from bangfu.core.db import path_within

Key = tuple[str, str, str]  # area path, indicator, status

_COMPACT = """
WITH folded AS (
    DELETE FROM core_bottom_line_tally WHERE slot <> 0
    RETURNING area_path, indicator, status, n
)
INSERT INTO core_bottom_line_tally (area_path, indicator, status, slot, n)
SELECT area_path, indicator, status, 0, sum(n) FROM folded
GROUP BY area_path, indicator, status
ON CONFLICT (area_path, indicator, status, slot)
DO UPDATE SET n = core_bottom_line_tally.n + excluded.n
"""


async def counts(session: AsyncSession, region_path: str | None) -> Counter[Key]:
    """The tally of the area under ``region_path`` (None: the whole city), without zeros."""
    statement = select(T.area_path, T.indicator, T.status, func.sum(T.n)).group_by(
        T.area_path, T.indicator, T.status
    )
    if region_path is not None:
        statement = statement.where(path_within(T.area_path, region_path))
    return Counter({(a, i, s): int(n) for a, i, s, n in await session.execute(statement) if n})


async def counted(session: AsyncSession, region_path: str | None) -> Counter[Key]:
    """The same counts from the verdicts themselves: the ``GROUP BY`` the tally replaces."""
    statement = select(V.area_path, V.indicator, V.status, func.count()).where(V.hardship.is_(True))
    if region_path is not None:
        statement = statement.where(path_within(V.area_path, region_path))
    statement = statement.group_by(V.area_path, V.indicator, V.status)
    return Counter({(a, i, s): int(n) for a, i, s, n in await session.execute(statement)})


async def compact(session: AsyncSession) -> int:
    """Fold every slot into slot 0 and drop the keys that count nothing, in the session's
    transaction; returns how many keys had slots to fold. Safe beside writers and another
    compaction: a slot of a transaction not yet committed is not seen, and is folded next
    time."""
    folded = 0
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(text(_COMPACT))
        folded = max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]
    await session.execute(text("DELETE FROM core_bottom_line_tally WHERE slot = 0 AND n = 0"))
    return folded


async def vacuum(sessions: async_sessionmaker[AsyncSession], *, full: bool = False) -> None:
    """PostgreSQL: reclaim the tally's dead rows (every fold leaves some; a rebuild's
    writers left a million). ``full`` rewrites the table, holding an exclusive lock for
    the moment it takes (it is small): after a rebuild. Plain ``VACUUM`` blocks nobody.
    The tally is read by ranges of its primary key; a table bloated to hundreds of MB
    made a county's summary 50–170 ms instead of a few."""
    async with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
        connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        await connection.execute(
            text(f"VACUUM {'(FULL, ANALYZE)' if full else '(ANALYZE)'} core_bottom_line_tally")
        )
        if full:
            # After a rebuild the planner must know the verdicts anew: with statistics of
            # the table as it was, a compiled page (bangfu.schema.compiled) was planned to
            # read the city's range of the area index for every person (16 s, not 40 ms),
            # until autovacuum came round to it.
            await connection.execute(text("ANALYZE core_bottom_line_verdict"))


async def differences(session: AsyncSession, region_path: str | None = None) -> list[str]:
    """How the tally differs from counting the verdicts: one line per key."""
    kept, real = await counts(session, region_path), await counted(session, region_path)
    return [
        f"tally {area} {indicator} {status}: {kept[key]}, counted {real[key]}"
        for key in sorted(kept.keys() | real.keys())
        for area, indicator, status in (key,)
        if kept[key] != real[key]
    ]
