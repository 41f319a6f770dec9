"""A property check for bottom-line rules: ``valid_until`` is never later than the day
the calendar alone changes a finding (issue 17).

For plugin authors and Bangfu's own tests::

    def test_valid_until(tmp_path, database_url):
        check_valid_until(tmp_path, database_url, my_plugin.bottomline.judge)

The demo data (with every installed plugin's rows) is loaded into a harness; hypothesis
picks a day ``D`` near today, a school-year or a calendar-year boundary, judges every
person on ``D`` and, for each finding, on the last day before its ``valid_until`` and on
a day in between (``D`` + 800 days when it is ``None``): the status and the reasons must
be the same. A finding missing on ``D`` (``UNKNOWN``) must stay missing. Every
``valid_until`` must be later than ``D``.
"""

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import Finding, Indicator
from bangfu.core.calendar import today
from bangfu.core.registry.models import Person
from bangfu.demo import load_demo
from bangfu.testing import Harness

#: ``judge(persons, session, day)``: a module's findings for a page of persons.
Judge = Callable[[Sequence[Any], AsyncSession, dt.date], Awaitable[Sequence[Finding]]]
#: How far a finding without ``valid_until`` is checked.
HORIZON = 800

Key = tuple[int, Indicator]


def anchors(around: dt.date) -> list[dt.date]:
    """Days worth judging on: ``around`` and the school-year and calendar-year boundaries
    of the year before and after it."""
    days = [around]
    for year in (around.year - 1, around.year, around.year + 1):
        days += [dt.date(year, 1, 1), dt.date(year, 9, 1)]
    return days


class _Checker:
    def __init__(self, runner: asyncio.Runner, h: Harness, judge: Judge, ids: list[int]) -> None:
        self.runner = runner
        self.h = h
        self.judge = judge
        self.ids = ids
        self.judged: dict[dt.date, dict[Key, Finding]] = {}

    async def _judge(self, ids: Sequence[int], day: dt.date) -> dict[Key, Finding]:
        async with self.h.session() as session, session.begin():
            persons = list((await session.scalars(select(Person).where(Person.id.in_(ids)))).all())
            return {(f.person_id, f.indicator): f for f in await self.judge(persons, session, day)}

    def check(self, day: dt.date, fraction: float) -> None:
        if day not in self.judged:
            self.judged[day] = self.runner.run(self._judge(self.ids, day))
        base = self.judged[day]
        indicators = {indicator for _pid, indicator in base}
        wanted: dict[dt.date, set[int]] = defaultdict(set)
        for person_id in self.ids:
            for indicator in indicators:
                finding = base.get((person_id, indicator))
                until = finding.valid_until if finding is not None else None
                assert until is None or until > day, (finding, day)
                span = HORIZON if until is None else (until - day).days - 1
                if span >= 1:
                    wanted[day + dt.timedelta(days=span)].add(person_id)
                    middle = 1 + min(int(fraction * span), span - 1)
                    wanted[day + dt.timedelta(days=middle)].add(person_id)
        for later, person_ids in sorted(wanted.items()):
            found = self.runner.run(self._judge(sorted(person_ids), later))
            for person_id in person_ids:
                for indicator in indicators:
                    before = base.get((person_id, indicator))
                    until = before.valid_until if before is not None else None
                    if until is not None and later >= until:
                        continue
                    after = found.get((person_id, indicator))
                    seen = (before.status, before.reasons) if before is not None else None
                    then = (after.status, after.reasons) if after is not None else None
                    assert seen == then, (
                        f"person {person_id}, {indicator}: on {day} {seen} "
                        f"(valid until {until}), on {later} {then}"
                    )


def check_valid_until(
    tmp_path: Path,
    database_url: str | None,
    judge: Judge,
    *,
    households: int = 150,
    seed: int = 17,
    max_examples: int = 12,
) -> None:
    """Run the property check for ``judge`` on the demo data (see the module docstring)."""
    with asyncio.Runner() as runner:
        start = Harness.start(tmp_path, database_url=database_url)
        h = runner.run(start.__aenter__())
        try:

            async def load() -> list[int]:
                async with h.session() as session, session.begin():
                    await load_demo(session, h.cipher, h.host, households=households, seed=seed)
                async with h.session() as session:
                    return list((await session.scalars(select(Person.id))).all())

            checker = _Checker(runner, h, judge, runner.run(load()))

            @settings(
                max_examples=max_examples,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture],
            )
            @given(
                anchor=st.sampled_from(anchors(today())),
                shift=st.integers(-2, 2),
                fraction=st.floats(0, 1, exclude_max=True),
            )
            def check(anchor: dt.date, shift: int, fraction: float) -> None:
                checker.check(anchor + dt.timedelta(days=shift), fraction)

            check()
        finally:
            runner.run(start.__aexit__(None, None, None))
