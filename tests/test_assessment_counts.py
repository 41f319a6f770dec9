"""The assessment's figures counted in SQL answer exactly as the lists do.

Two apps on one demo database: one with ``BANGFU_ASSESSMENT_COUNTS`` on (figures from
``GROUP BY`` per unit, bottom-line coverage from the stored verdicts, the lists built only
when selected) and one with it off (every list built and counted). The demo gets a few
edge cases on top: measures done on their deadline just before and just after midnight in
China, and an official handing a person over on the deadline of one of their care events.
For every demo role and a partner API client, each document (the figures alone, with the
lists, one kind of unit, a county, last year) gives the same data, errors and audit rows;
then a stale rules version makes the counted side judge bottom-line coverage afresh, and
the two still agree.
"""

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update

from bangfu.core import calendar
from bangfu.core.bottomline import stored
from bangfu.core.bottomline.models import RulesVersion
from bangfu.core.care.enums import MeasureStatus
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.models import Pairing
from bangfu.core.care.plan_models import Measure
from bangfu.core.security.actor import SYSTEM
from bangfu.testing import Harness
from tests.test_fast_path_differential import ROLES, _run, demo_twins
from tests.test_stored_bottom_line_reads import _first_difference

pytestmark = pytest.mark.anyio

HOUSEHOLDS = 60
YEAR = calendar.today().year
FIGURES = """
query($region: String!, $year: Int!) { assessment(regionCode: $region, year: $year) {
  year regionCode regionName asOf indicators { code title weight threshold }
  units { unit { kind key name } score rank eligible ineligibleReasons
    indicators { indicator title numerator denominator ratio weight threshold
                 belowThreshold } } } }"""
LISTS = """
query($region: String!, $year: Int!, $kind: AssessmentUnitKind) {
  assessment(regionCode: $region, year: $year, kind: $kind) {
  units { unit { kind key name } score rank eligible ineligibleReasons
    indicators { indicator numerator denominator ratio
      items { label met note personId } unmet: items(unmetOnly: true) { label note } } } } }"""
BENCH = (  # bench.stored_bottom_line's
    'query($year: Int!) { assessment(regionCode: "141000", year: $year) { '
    "units { unit { key } score rank } } }"
)
ONE_LIST = """
query($year: Int!) { assessment(regionCode: "141000", year: $year, kind: OFFICIAL) {
  units { unit { key } indicators { indicator numerator
    items(unmetOnly: true) { label note personId } } } } }"""


def documents() -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "figures_city": (FIGURES, {"region": "141000", "year": YEAR}),
        "figures_county": (FIGURES, {"region": "141023", "year": YEAR}),
        "figures_last_year": (FIGURES, {"region": "141000", "year": YEAR - 1}),
        "lists_city": (LISTS, {"region": "141000", "year": YEAR}),
        "lists_officials": (LISTS, {"region": "141000", "year": YEAR, "kind": "OFFICIAL"}),
        "lists_county_last_year": (LISTS, {"region": "141024", "year": YEAR - 1}),
        "bench": (BENCH, {"year": YEAR}),
        "one_list": (ONE_LIST, {"year": YEAR}),
        "bad_year": (FIGURES, {"region": "141000", "year": YEAR + 1}),
        "bad_region": (FIGURES, {"region": "141023100", "year": YEAR}),
    }


@dataclasses.dataclass
class Pair:
    counted: Harness
    listed: Harness
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


async def edge_cases(h: Harness) -> None:
    """Measures done around midnight in China on their deadline; a hand-over on the
    deadline of a care event (the later pairing answers for it); a pairing ended; then
    the stored verdicts rebuilt (reads use the table from then on)."""
    today = calendar.today()
    deadline = max(dt.date(today.year, 1, 2), today - dt.timedelta(days=20))
    async with h.session() as session, session.begin():
        session.info["actor"] = SYSTEM
        measures = list(await session.scalars(select(Measure.id).order_by(Measure.id).limit(2)))
        assert len(measures) == 2, "the demo has plans"
        # 15:59 UTC is 23:59 in China (done on the deadline), 16:00 UTC the next day.
        for measure_id, hour in zip(measures, (15, 16), strict=True):
            await session.execute(
                update(Measure)
                .where(Measure.id == measure_id)
                .values(
                    status=MeasureStatus.DONE,
                    deadline=deadline,
                    updated_at=dt.datetime.combine(
                        deadline, dt.time(hour, 59 if hour == 15 else 0), dt.UTC
                    ),
                )
            )
        # A hand-over on the deadline of an event of a paired person.
        found = (
            await session.execute(
                select(Pairing, CareEvent)
                .join(CareEvent, CareEvent.person_id == Pairing.person_id)
                .where(Pairing.end_date.is_(None))
                .order_by(Pairing.id)
                .limit(1)
            )
        ).first()
        assert found is not None, "the demo has care events of paired persons"
        pairing, event = found
        other = await session.scalar(
            select(Pairing.official_id).where(Pairing.official_id != pairing.official_id).limit(1)
        )
        assert other is not None
        handover = deadline - dt.timedelta(days=5)
        pairing.start_date = min(pairing.start_date, handover - dt.timedelta(days=30))
        pairing.end_date = handover
        pairing.end_reason = "hand-over"
        event.deadline = handover
        event.answered_on = None
        session.add(Pairing(person_id=pairing.person_id, official_id=other, start_date=handover))
        # A person of a pairing category left without an official (pairing coverage).
        ended = await session.scalar(
            select(Pairing)
            .where(Pairing.end_date.is_(None), Pairing.person_id != pairing.person_id)
            .order_by(Pairing.id.desc())
            .limit(1)
        )
        assert ended is not None
        ended.start_date = min(ended.start_date, today - dt.timedelta(days=40))
        ended.end_date = today - dt.timedelta(days=1)
        ended.end_reason = "moved away"
    await stored.rebuild(h.services.sessions, h.host, h.settings)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    async with demo_twins(
        request,
        tmp_path_factory,
        "assessment-counts",
        {"assessment_counts": False},
        households=HOUSEHOLDS,
        seed=23,
        prepare=edge_cases,
    ) as (h, listed, tokens):
        assert h.settings.assessment_counts and not listed.settings.assessment_counts
        yield Pair(h, listed, tokens)


async def _compare(pair: Pair, role: str) -> list[str]:
    differences = []
    for name, (query, variables) in documents().items():
        counted = await _run(pair.counted, query, variables, pair.tokens[role])
        listed = await _run(pair.listed, query, variables, pair.tokens[role])
        for part in ("data", "errors", "audit"):
            if getattr(counted, part) != getattr(listed, part):
                where = _first_difference(getattr(counted, part), getattr(listed, part))
                differences.append(f"{name}: {part} differ at {where}")
    return differences


@pytest.mark.parametrize("role", ROLES)
async def test_counted_and_listed_assessments_answer_alike(pair: Pair, role: str) -> None:
    assert not await _compare(pair, role)


async def test_the_counted_side_counts(pair: Pair) -> None:
    """Not vacuous: every core indicator has items met and not met somewhere, the edge
    cases are in the figures, and without lists the counted side reads no verdict's
    reasons (no list of the bottom line) but one ``GROUP BY`` of the stored rows."""
    token = pair.tokens["admin"]
    data = await pair.listed.ok(LISTS, {"region": "141000", "year": YEAR}, token=token)
    met: dict[str, set[bool]] = {}
    for unit in data["assessment"]["units"]:
        for figure in unit["indicators"]:
            met.setdefault(figure["indicator"], set()).update(i["met"] for i in figure["items"])
    core = (
        "screening_coverage",
        "pairing_coverage",
        "five_knowns_freshness",
        "care_timeliness",
        "plan_completion",
        "bottom_line_coverage",
    )
    assert all(met.get(code) == {True, False} for code in core), met
    with pair.counted.count_statements() as counter:
        await pair.counted.ok(FIGURES, {"region": "141000", "year": YEAR}, token=token)
    verdicts = [sql for sql in counter.statements if "core_bottom_line_verdict" in sql]
    assert any("GROUP BY" in sql for sql in verdicts), counter.statements
    assert not any("reasons" in sql for sql in verdicts), verdicts
    assert not any("core_five_known.note" in sql for sql in counter.statements)


async def test_with_a_stale_rules_version_the_counted_side_judges_afresh(pair: Pair) -> None:
    """A module's rules version changed: the stored rows cannot answer, bottom-line
    coverage is judged as before, and both sides still agree."""
    async with pair.counted.session() as session, session.begin():
        session.info["actor"] = SYSTEM
        version = await session.get(RulesVersion, "core")
        assert version is not None
        kept = version.version
        version.version = "stale"
    try:
        assert not await _compare(pair, "admin")
        assert not await _compare(pair, "xiangfen")
    finally:
        async with pair.counted.session() as session, session.begin():
            session.info["actor"] = SYSTEM
            version = await session.get(RulesVersion, "core")
            assert version is not None
            version.version = kept
