"""Reading the bottom line from the stored verdicts, exactly as a fresh judgement would say.

Every statement here names the model ``StoredVerdict``, so the reader's area scoping
applies to it as to the persons. A stored row holds for the day ``D`` when it was judged
on or before ``D`` and its ``valid_until`` is after ``D`` (or empty: only a write changes
it), and no module's rules version changed since (``core_bottom_line_rules``). Every read
goes through here:

- :func:`read_lines` answers like :func:`~bangfu.core.bottomline.evaluate.evaluate` for a
  page of persons: the stored rows where they hold, a fresh judgement for the others;
- :func:`prepare_area` decides whether an area can be answered from the table alone (the
  at-risk filter, the summary): rows that fell due (the calendar passed their
  ``valid_until`` and the worker's refresh has not run yet) are judged again and stored
  first, as the system actor; when a rules version changed, or none is recorded yet (a
  database migrated but not yet rebuilt), it says no and the caller judges afresh, as
  before the table existed;
- :func:`summary_from_table` is the summary from the tally the triggers keep (or as one
  ``GROUP BY`` over the verdicts).

``BANGFU_STORED_BOTTOM_LINE=false`` turns all of this off: every read judges afresh.
``tests/test_stored_bottom_line_reads.py`` keeps the two ways identical.
"""

import asyncio
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.bottomline import Indicator, Status
from bangfu.core.bottomline.evaluate import (
    INDICATORS,
    BottomLine,
    Summary,
    Verdict,
    child_code,
    evaluate,
)
from bangfu.core.bottomline.models import StoredVerdict as V
from bangfu.core.bottomline.stored import changed_modules, store
from bangfu.core.bottomline.tally import counted, counts
from bangfu.core.config import Settings
from bangfu.core.db import path_within
from bangfu.core.registry.models import Person
from bangfu.core.security.actor import SYSTEM

if TYPE_CHECKING:
    from bangfu.core.plugins import PluginHost

_INDICATOR = {str(i): i for i in INDICATORS}
_STATUS = {str(s): s for s in Status}


def holds_on(day: dt.date) -> Any:
    """The stored rows that hold on ``day``."""
    return and_(V.judged_on <= day, or_(V.valid_until.is_(None), V.valid_until > day))


async def rules_current(session: AsyncSession, host: "PluginHost") -> bool:
    """Whether the stored verdicts were judged with the rules installed now."""
    return not await changed_modules(session, host)


def _verdict(
    indicator: str, status: str, reasons: str, modules: str, valid_until: dt.date | None
) -> Verdict | None:
    """One stored row's verdict, ``reasons`` its JSON text (None: not an indicator of
    this version)."""
    if indicator not in _INDICATOR:
        return None
    return Verdict(
        _INDICATOR[indicator],
        _STATUS[status],
        tuple(json.loads(reasons)),
        tuple(m for m in modules.split(",") if m),
        valid_until,
    )


def _line(found: dict[str, Verdict]) -> BottomLine | None:
    """A person's line from its verdicts by indicator name, in the order of ``INDICATORS``
    (as :func:`~bangfu.core.bottomline.evaluate.evaluate` gives it); None when one is
    missing (the person is judged afresh)."""
    if len(found) != len(INDICATORS):
        return None
    return {indicator: found[name] for name, indicator in _INDICATOR.items()}


async def read_lines(
    persons: Sequence[Person],
    session: AsyncSession,
    host: "PluginHost",
    as_of: dt.date,
    settings: Settings,
    *,
    current: bool | None = None,
) -> dict[int, BottomLine]:
    """The bottom line of a page of persons on ``as_of``: what
    :func:`~bangfu.core.bottomline.evaluate.evaluate` says, read from the stored rows
    that hold that day; the persons without such rows are judged afresh (in one call).

    ``current``: whether the rules versions are unchanged, if the caller knows already.
    """
    if not persons or not settings.stored_bottom_line:
        return await evaluate(persons, session, host, as_of, settings)
    if current is None:
        current = await rules_current(session, host)
    lines: dict[int, BottomLine] = {}
    if current:
        ids = [p.id for p in persons]
        # Columns, not entities: ten rows a person, no identity map to fill. The reasons as
        # their JSON text: a page holds about a quarter as many distinct verdicts as rows,
        # each decoded and built once (a Verdict is immutable: persons share it).
        columns = select(
            V.person_id,
            V.indicator,
            V.status,
            cast(V.reasons, Text),
            V.modules,
            V.valid_until,
        )
        result = await session.execute(columns.where(V.person_id.in_(ids), holds_on(as_of)))
        made: dict[tuple[Any, ...], Verdict | None] = {}
        by_person: dict[int, dict[str, Verdict]] = {}
        for person_id, indicator, status, reasons, modules, valid_until in result:
            key = (indicator, status, reasons, modules, valid_until)
            verdict = made.get(key)
            if verdict is None:
                if key in made:  # not an indicator of this version
                    continue
                verdict = made[key] = _verdict(*key)
                if verdict is None:
                    continue
            found = by_person.get(person_id)
            if found is None:
                found = by_person[person_id] = {}
            found[indicator] = verdict
        for person_id, found in by_person.items():
            line = _line(found)
            if line is not None:
                lines[person_id] = line
    missing = [p for p in persons if p.id not in lines]
    if missing:
        lines |= await evaluate(missing, session, host, as_of, settings)
    return lines


async def prepare_area(
    session: AsyncSession,
    writer: async_sessionmaker[AsyncSession] | None,
    host: "PluginHost",
    settings: Settings,
    path: str | None,
    as_of: dt.date,
) -> bool:
    """Whether the persons of the area under ``path`` (None: the whole city) can be
    answered from the table alone on ``as_of``, after judging again (with ``writer``, as
    the system actor) the rows of the area that fell due. ``session`` is the caller's read
    session (area-scoped); it must not hold a snapshot older than the writer's commit
    (SQLite reads outside a write see every commit; PostgreSQL reads committed)."""
    if not settings.stored_bottom_line:
        return False
    if not await rules_current(session, host):
        return False
    # Every person has rows once the rules versions are recorded: a whole rebuild records
    # them (``bangfu bottomline rebuild|refresh``, the demo, the worker's refresh), and
    # every writer of the service judges the persons it writes in its commit.
    # The due rows are few: found by their own index, across the city and unscoped (the
    # planner would rather walk the area's range of rows), then kept if in the area.
    async with (writer or async_sessionmaker(bind=session.bind))() as probe:
        probe.info["actor"] = SYSTEM
        found = await probe.execute(
            select(V.person_id, V.area_path).where(
                V.valid_until.is_not(None), V.valid_until <= as_of
            )
        )
        candidates = list(found)
        # Judged for a later day than asked (a clock set back): judged again for this one.
        found = await probe.execute(select(V.person_id, V.area_path).where(V.judged_on > as_of))
        candidates += list(found)
    due = {p for p, area in candidates if path is None or area.startswith(path)}
    if due:
        if writer is None:
            return False
        async with writer() as write, write.begin():
            write.info["actor"] = SYSTEM
            await store(write, due, host, settings, as_of)
    return True


async def summary_from_table(
    session: AsyncSession, region_path: str, *, tally: bool = True
) -> Summary:
    """:func:`~bangfu.core.bottomline.evaluate.summarise` from the stored rows (call
    :func:`prepare_area` first): the area's rows of the tally the triggers keep
    (:mod:`bangfu.core.bottomline.tally`), or with ``tally`` False one ``GROUP BY`` over
    the hardship persons' verdicts of the area. A paired official's session sees only the
    verdicts of their own persons, and no tally: count the verdicts for them."""
    found = await (counts if tally else counted)(session, region_path)
    summary = Summary()
    first = str(INDICATORS[0])
    for (area_path, indicator, status), count in found.items():
        if indicator not in _INDICATOR:
            continue
        code = child_code(area_path, region_path)
        if indicator == first:
            summary.persons[code] += count
        counter: Counter[tuple[Indicator, Status]] = summary.counts[code]
        counter[(_INDICATOR[indicator], _STATUS[status])] += count
    return summary


def stored_at_risk(indicator: Indicator, path: str | None = None) -> Any:
    """The condition on ``Person``: its stored ``indicator`` is AT_RISK (after
    :func:`prepare_area`); ``path`` narrows the verdicts to an area the statement keeps to
    anyway (a filter's region), the reader's own area applies to them as to the persons.

    The persons at risk of the area come from one range of the covering index (indicator,
    status, area, person), ordered by person: the keyset page walks them and stops when
    full, however few of the area's persons are at risk.
    """
    at_risk = select(V.person_id).where(
        V.indicator == str(indicator), V.status == str(Status.AT_RISK)
    )
    if path is not None:
        at_risk = at_risk.where(path_within(V.area_path, path))
    return Person.id.in_(at_risk)


class Readiness:
    """Whether reads use the stored verdicts (the rules versions recorded and unchanged),
    asked again at most every ``max_age`` seconds: the query limits price a document by it
    before anything runs (``bangfu.schema.limits``)."""

    def __init__(self) -> None:
        self.ready = False
        self._taken: float | None = None
        self._lock = asyncio.Lock()

    async def check(
        self,
        sessions: async_sessionmaker[AsyncSession],
        host: "PluginHost",
        settings: Settings,
        max_age: float,
    ) -> bool:
        if not settings.stored_bottom_line:
            return False
        if self._taken is not None and time.monotonic() - self._taken < max_age:
            return self.ready
        async with self._lock:
            if self._taken is None or time.monotonic() - self._taken >= max_age:
                async with sessions() as session:
                    session.info["actor"] = SYSTEM
                    self.ready = await rules_current(session, host)
                self._taken = time.monotonic()
        return self.ready
