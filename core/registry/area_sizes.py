"""How many persons each region holds, estimated cheaply: what a scan of an area costs.

The query limits (``bangfu.schema.limits``) price a filter that reads a whole area by the number
of persons in it. Counting them for every request would itself be a scan, so the counts
of every region's subtree are taken in one ``GROUP BY`` over the persons' region paths
and kept for ``area_size_refresh_seconds``; a request meanwhile reads them from memory.
An estimate, not a count: persons added since the last refresh are not in it yet.
"""

import asyncio
import time
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.registry.models import Person, Region
from bangfu.core.security.actor import SYSTEM


class AreaSizes:
    """Persons per region subtree (by region path and code), refreshed when older than
    ``max_age`` seconds. One per app; safe for concurrent requests of one event loop."""

    def __init__(self) -> None:
        self.by_path: Counter[str] = Counter()
        self.path_of: dict[str, str] = {}
        self._taken: float | None = None
        self._lock = asyncio.Lock()

    async def refresh_if_older(
        self, sessions: async_sessionmaker[AsyncSession], max_age: float
    ) -> None:
        """Count again when the counts are older than ``max_age`` seconds (or missing)."""
        if self._taken is not None and time.monotonic() - self._taken < max_age:
            return
        async with self._lock:  # one refresh at a time; the others use its result
            if self._taken is not None and time.monotonic() - self._taken < max_age:
                return
            async with sessions() as session:
                session.info["actor"] = SYSTEM  # the whole city, whoever asks
                rows = (
                    await session.execute(
                        select(Person.area_path, func.count()).group_by(Person.area_path)
                    )
                ).all()
                regions = (await session.execute(select(Region.code, Region.path))).all()
            counts: Counter[str] = Counter()
            for path, persons in rows:
                # "141000/141023/141023100/" counts for each of its ancestors too.
                end = path.find("/")
                while end != -1:
                    counts[path[: end + 1]] += persons
                    end = path.find("/", end + 1)
            self.by_path = counts
            self.path_of = {code: path for code, path in regions}
            self._taken = time.monotonic()

    def persons(self, area_path: str | None, region_code: str | None = None) -> int:
        """Estimated persons in ``area_path`` (the actor's area; None: the whole city), or
        in the region ``region_code`` when that lies inside it."""
        if area_path is None:
            area = sum(n for path, n in self.by_path.items() if path.count("/") == 1)
        else:
            area = self.by_path.get(area_path, 0)
        region = self.path_of.get(region_code) if region_code is not None else None
        if region is not None and (area_path is None or region.startswith(area_path)):
            return self.by_path.get(region, 0)
        return area
