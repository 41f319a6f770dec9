"""Evaluating the bottom line for pages of persons, and the summary of an area (R3).

Every evaluation goes a page of persons at a time: core's rules and every plugin's
``bangfu_bottom_line`` are called once per page, never once per person. What nobody
decides stays ``UNKNOWN``.
"""

import dataclasses
import datetime as dt
import gc
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import BOTTOM_LINE, GOALS, Finding, Indicator, Status, core_rules
from bangfu.core.care.common import active_hardship_persons
from bangfu.core.config import Settings
from bangfu.core.db import path_within
from bangfu.core.registry.models import CategoryAssignment, Person

if TYPE_CHECKING:
    from bangfu.core.plugins import PluginHost

#: Persons per page when an area is evaluated in bulk (summary, at-risk filter, roster).
BATCH = 1000
INDICATORS = (*BOTTOM_LINE, *GOALS)
#: When two modules judge one indicator, the worse verdict wins.
_SEVERITY = {Status.AT_RISK: 3, Status.OK: 2, Status.NOT_APPLICABLE: 1, Status.UNKNOWN: 0}


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One indicator of one person: its status, the reasons and the modules that decided."""

    indicator: Indicator
    status: Status
    reasons: tuple[str, ...]
    modules: tuple[str, ...]
    #: The first day any finding behind the verdict may change by the calendar alone.
    valid_until: dt.date | None = None

    @property
    def is_goal(self) -> bool:
        return self.indicator in GOALS


BottomLine = dict[Indicator, Verdict]


def combine(person_findings: Sequence[Finding]) -> BottomLine:
    """The ten verdicts of one person from the findings of every module."""
    by_indicator: dict[Indicator, list[Finding]] = defaultdict(list)
    for finding in person_findings:
        by_indicator[finding.indicator].append(finding)
    verdicts: BottomLine = {}
    for indicator in (*BOTTOM_LINE, *GOALS):
        found = by_indicator.get(indicator)
        if not found:
            verdicts[indicator] = Verdict(
                indicator, Status.UNKNOWN, ("no installed module decides this indicator",), ()
            )
            continue
        worst = max(_SEVERITY[f.status] for f in found)
        deciding = [f for f in found if _SEVERITY[f.status] == worst]
        verdicts[indicator] = Verdict(
            indicator,
            deciding[0].status,
            tuple(reason for f in deciding for reason in f.reasons),
            tuple(dict.fromkeys(f.module for f in deciding)),
            min((f.valid_until for f in found if f.valid_until is not None), default=None),
        )
    return verdicts


async def findings_of(
    persons: Sequence[Person],
    session: AsyncSession,
    host: "PluginHost",
    as_of: dt.date,
    settings: Settings,
) -> list[Finding]:
    """Every module's findings for a page: core's rules and each plugin, once each."""
    findings = await core_rules.judge(
        persons, session, as_of, settings.eat_well_monthly_yuan, settings.pairing_categories
    )
    return findings + await host.bottom_line(persons, session, as_of)


def statuses(persons: Sequence[Person], findings: Sequence[Finding]) -> dict[int, list[Status]]:
    """Only the status of each indicator (in ``INDICATORS`` order), the worse verdict
    winning like :func:`combine`: what the summary counts, without reasons."""
    index = {indicator: i for i, indicator in enumerate(INDICATORS)}
    result = {person.id: [Status.UNKNOWN] * len(INDICATORS) for person in persons}
    for finding in findings:
        row = result.get(finding.person_id)
        if row is None:
            continue
        i = index[finding.indicator]
        if _SEVERITY[finding.status] > _SEVERITY[row[i]]:
            row[i] = finding.status
    return result


async def evaluate(
    persons: Sequence[Person],
    session: AsyncSession,
    host: "PluginHost",
    as_of: dt.date,
    settings: Settings,
) -> dict[int, BottomLine]:
    """The bottom line of a page of persons: core's rules and each plugin, once each."""
    findings = await findings_of(persons, session, host, as_of, settings)
    by_person: dict[int, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_person[finding.person_id].append(finding)
    return {person.id: combine(by_person.get(person.id, [])) for person in persons}


def at_risk(line: BottomLine) -> list[Indicator]:
    return [indicator for indicator, verdict in line.items() if verdict.status is Status.AT_RISK]


async def pages(
    session: AsyncSession, statement: Select[Any], batch: int = BATCH, after: int | None = None
) -> AsyncIterator[list[Person]]:
    """The persons of ``statement`` in keyset pages of ``batch`` rows, by ID."""
    last = after
    while True:
        page = statement.order_by(Person.id).limit(batch)
        if last is not None:
            page = page.where(Person.id > last)
        rows = list((await session.scalars(page)).all())
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        last = rows[-1].id
        session.expunge_all()  # a county's persons must not pile up in the identity map
        # ORM rows hold reference cycles, and the server collects the older generations
        # rarely (bangfu.app.GC_THRESHOLD): a scan of a county's pages would keep each
        # page's rows until then (+125 MB at 20,000 persons). Collect once per page.
        gc.collect()


def hardship_persons(region_path: str, as_of: dt.date) -> Select[Any]:
    """Living persons of the area holding a hardship category on ``as_of``."""
    return select(Person).where(
        path_within(Person.area_path, region_path),
        Person.deceased.is_(False),
        Person.id.in_(active_hardship_persons(as_of)),
    )


def pairing_persons(region_path: str, as_of: dt.date, categories: Sequence[str]) -> Select[Any]:
    """Living persons of the area holding a category that needs a paired official."""
    return hardship_persons(region_path, as_of).where(
        Person.id.in_(
            active_hardship_persons(as_of).where(CategoryAssignment.category.in_(categories))
        )
    )


@dataclasses.dataclass
class Summary:
    """Counts per child region, indicator and status (R3 ``bottomLineSummary``)."""

    persons: Counter[str] = dataclasses.field(default_factory=Counter)
    counts: dict[str, Counter[tuple[Indicator, Status]]] = dataclasses.field(
        default_factory=lambda: defaultdict(Counter)
    )

    def total(self) -> Counter[tuple[Indicator, Status]]:
        overall: Counter[tuple[Indicator, Status]] = Counter()
        for counter in self.counts.values():
            overall.update(counter)
        return overall


def child_code(area_path: str, region_path: str) -> str:
    """The code of the region just below ``region_path`` on ``area_path``; the region's own
    code for a person living at its level."""
    rest = area_path[len(region_path) :].split("/", 1)[0]
    return rest or region_path.rstrip("/").rsplit("/", 1)[-1]


async def summarise(
    session: AsyncSession,
    host: "PluginHost",
    region_path: str,
    as_of: dt.date,
    settings: Settings,
    batch: int = BATCH,
) -> Summary:
    """Count every hardship person of the area by child region, indicator and status.

    Pages of ``batch`` persons (keyset): per page, one query for the persons, core's four
    and each plugin's few; no statement per person.
    """
    summary = Summary()
    async for page in pages(session, hardship_persons(region_path, as_of), batch):
        found = statuses(page, await findings_of(page, session, host, as_of, settings))
        for person in page:
            code = child_code(person.area_path, region_path)
            summary.persons[code] += 1
            summary.counts[code].update(zip(INDICATORS, found[person.id], strict=True))
    return summary
