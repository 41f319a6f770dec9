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

from anyio.from_thread import start_blocking_portal
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


def check_valid_until_exactly(
    tmp_path: Path,
    database_url: str | None,
    plugins: list[str],
    mine: Callable[[Finding], bool],
) -> None:
    """Like :func:`check_valid_until`, through the host's ``bangfu_bottom_line`` (only the
    findings ``mine`` keeps, with ``plugins`` loaded), and exact: for one finding with a
    ``valid_until`` per example, the same on the day before it and different on that day.
    A module that fills ``valid_until`` only early enough (not to the day) uses
    :func:`check_valid_until`."""
    day = today()
    anchors = [
        dt.date(year, month, 1)
        for year in (day.year - 1, day.year, day.year + 1)
        for month in (1, 9)
    ] + [day]
    near_boundaries = st.builds(
        lambda anchor, shift: anchor + dt.timedelta(days=shift),
        st.sampled_from(anchors),
        st.integers(-3, 3),
    )
    anywhere = st.builds(lambda shift: day + dt.timedelta(days=shift), st.integers(-500, 400))
    with start_blocking_portal("asyncio") as portal:
        with portal.wrap_async_context_manager(
            Harness.start(tmp_path, database_url=database_url, plugins=plugins)
        ) as h:

            async def load() -> None:
                async with h.session() as session, session.begin():
                    await load_demo(session, h.cipher, h.host, households=60, seed=17, today=day)

            portal.call(load)
            cache: dict[dt.date, dict[tuple[int, str], Finding]] = {}

            async def all_findings(on: dt.date) -> dict[tuple[int, str], Finding]:
                async with h.session() as session:
                    rows = list((await session.scalars(select(Person).order_by(Person.id))).all())
                    found = await h.host.bottom_line(rows, session, on)
                return {(f.person_id, f.indicator.value): f for f in found if mine(f)}

            def judged(on: dt.date) -> dict[tuple[int, str], Finding]:
                if on not in cache:
                    cache[on] = portal.call(all_findings, on)
                return cache[on]

            def same(a: Finding | None, b: Finding | None) -> bool:
                if a is None or b is None:
                    return a is b
                return (a.status, a.reasons) == (b.status, b.reasons)

            @settings(max_examples=100, deadline=None, database=None)
            @given(
                first=st.one_of(near_boundaries, anywhere),
                shift=st.integers(1, 800),
                pick=st.integers(0, 10**6),
            )
            def holds(first: dt.date, shift: int, pick: int) -> None:
                on_first = judged(first)
                assert on_first, "the demo gives findings"
                later = first + dt.timedelta(days=shift)
                on_later = judged(later)
                for key in on_first.keys() | on_later.keys():
                    finding = on_first.get(key)
                    if finding is None:  # no finding: none until a write
                        assert key not in on_later, (first, later, on_later[key])
                        continue
                    assert finding.valid_until is None or finding.valid_until > first
                    if finding.valid_until is None or later < finding.valid_until:
                        assert same(finding, on_later.get(key)), (first, later, finding)
                # Exact: one finding with a valid_until (chosen by pick), the day before it
                # and the day itself.
                dated = sorted(
                    (k, f.valid_until) for k, f in on_first.items() if f.valid_until is not None
                )
                if dated:
                    key, valid_until = dated[pick % len(dated)]
                    assert valid_until is not None
                    eve = judged(valid_until - dt.timedelta(days=1)).get(key)
                    assert same(on_first[key], eve), (first, key, valid_until)
                    changed = judged(valid_until).get(key)
                    assert not same(on_first[key], changed), (first, key, valid_until)

            holds()
