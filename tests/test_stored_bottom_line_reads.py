"""Reads from the stored verdicts answer exactly as judging afresh does.

Two apps on the same demo database, one with ``BANGFU_STORED_BOTTOM_LINE`` on (reads from
``core_bottom_line_verdict``: ``Person.bottomLine``, the at-risk filter as one SQL
condition, ``bottomLineSummary`` from the tally the triggers keep, the assessment) and one
with it off (every read judges afresh); a third with only ``BANGFU_BOTTOM_LINE_TALLY`` off
(the summary as one ``GROUP BY`` over the verdicts) answers the summaries alike. For every demo role and a partner API client, each document
gives the same data, errors and audit rows; then the calendar moves on past verdicts'
``valid_until`` and they still agree (the stored side judges the due persons first).
"""

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bangfu.core import calendar
from bangfu.core.bottomline import BOTTOM_LINE, GOALS, stored
from bangfu.core.bottomline.models import StoredVerdict
from bangfu.core.bottomline.reading import prepare_area
from bangfu.core.security.actor import SYSTEM
from bangfu.testing import Harness
from tests.test_fast_path_differential import ROLES, _run, demo_twins

pytestmark = pytest.mark.anyio

HOUSEHOLDS = 60
LINE = "bottomLine { atRisk indicators { indicator status isGoal reasons modules } }"
COUNTS = "indicators { indicator ok atRisk notApplicable unknown }"
SUMMARY = (
    "query($region: String!) { bottomLineSummary(regionCode: $region) { persons "
    + COUNTS
    + " regions { region { code name } persons "
    + COUNTS
    + " } } }"
)
AT_RISK = (
    "query($indicator: Indicator!, $after: String, $region: String) { "
    "persons(first: 7, after: $after, filter: {atRisk: $indicator, regionCode: $region}) { "
    "totalCount pageInfo { hasNextPage endCursor } nodes { id name " + LINE + " } } }"
)
HOUSEHOLDS_PAGE = (
    "{ households(first: 10) { nodes { id members { person { id name " + LINE + " } } } } }"
)
ASSESSMENT = (
    "query($region: String!, $year: Int!) { assessment(regionCode: $region, year: $year) { "
    "units { unit { key kind name } score rank eligible "
    "indicators { indicator numerator denominator ratio items { label met note } } } } }"
)


@dataclasses.dataclass
class Pair:
    stored: Harness
    computed: Harness
    tokens: dict[str, str]
    counted: Harness  # the stored side with the tally off: the summary counts the verdicts


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    async def rebuild(h: Harness) -> None:
        # A whole rebuild records the rules versions: from then on reads use the table.
        await stored.rebuild(h.services.sessions, h.host, h.settings)

    async with demo_twins(
        request,
        tmp_path_factory,
        "stored-reads",
        {"stored_bottom_line": False},
        households=HOUSEHOLDS,
        seed=17,
        prepare=rebuild,
    ) as (h, computed, tokens):
        assert h.settings.stored_bottom_line and h.settings.bottom_line_tally
        counted = Harness(h.settings.model_copy(update={"bottom_line_tally": False}), h.host)
        try:
            yield Pair(h, computed, tokens, counted)
        finally:
            await counted.client.aclose()
            await counted.engine.dispose()


def documents() -> dict[str, tuple[str, dict[str, Any]]]:
    found: dict[str, tuple[str, dict[str, Any]]] = {
        "summary_city": (SUMMARY, {"region": "141000"}),
        "summary_county": (SUMMARY, {"region": "141023"}),
        "households": (HOUSEHOLDS_PAGE, {}),
        "assessment": (ASSESSMENT, {"region": "141000", "year": calendar.today().year}),
    }
    for indicator in (*BOTTOM_LINE, *GOALS):
        found[f"at_risk_{indicator}"] = (AT_RISK, {"indicator": str(indicator)})
        found[f"at_risk_{indicator}_county"] = (
            AT_RISK,
            {"indicator": str(indicator), "region": "141023"},
        )
    return found


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    """Where two answers first differ, and how."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r:.600} != {b!r:.600}"


async def _compare(pair: Pair, role: str) -> list[str]:
    differences = []
    token = pair.tokens[role]
    for name, (query, variables) in documents().items():
        stored_answer = await _run(pair.stored, query, variables, token)
        computed = await _run(pair.computed, query, variables, token)
        for part in ("data", "errors", "audit"):
            if getattr(stored_answer, part) != getattr(computed, part):
                where = _first_difference(getattr(stored_answer, part), getattr(computed, part))
                differences.append(f"{name}: {part} differ at {where}")
        if name.startswith("summary"):  # the tally and counting the verdicts, alike
            counted = await _run(pair.counted, query, variables, token)
            for part in ("data", "errors", "audit"):
                if getattr(stored_answer, part) != getattr(counted, part):
                    where = _first_difference(getattr(stored_answer, part), getattr(counted, part))
                    differences.append(f"{name}, tally off: {part} differ at {where}")
        # The next page of an at-risk list too, by the cursor either gave.
        data = stored_answer.data or {}
        page = (data.get("persons") or {}).get("pageInfo") or {}
        if page.get("hasNextPage"):
            more = {**variables, "after": page["endCursor"]}
            a = await _run(pair.stored, query, more, token)
            b = await _run(pair.computed, query, more, token)
            if (a.data, a.errors) != (b.data, b.errors):
                differences.append(f"{name} page 2: {a.data!r:.800} != {b.data!r:.800}")
    return differences


@pytest.mark.parametrize("role", ROLES)
async def test_stored_and_computed_reads_answer_alike(pair: Pair, role: str) -> None:
    assert not await _compare(pair, role)


async def test_the_stored_side_reads_the_table(pair: Pair) -> None:
    """Not vacuous: every person has ten rows, the area is answered from the table, and
    the administrator's documents find persons at risk."""
    async with pair.stored.session() as session:
        persons = await session.scalar(text("SELECT count(*) FROM core_person"))
        rows = await session.scalar(select(func.count()).select_from(StoredVerdict))
        assert rows == persons * 10
        assert await prepare_area(
            session,
            pair.stored.services.sessions,
            pair.stored.host,
            pair.stored.settings,
            None,
            calendar.today(),
        )
    # The summary of the city: one GROUP BY and a few lookups, not a page of judgements
    # per thousand persons (each with every module's statements).
    with pair.stored.count_statements() as on:
        await pair.stored.ok(SUMMARY, {"region": "141000"}, token=pair.tokens["admin"])
    with pair.computed.count_statements() as off:
        await pair.computed.ok(SUMMARY, {"region": "141000"}, token=pair.tokens["admin"])
    grouped = [sql for sql in on.statements if "GROUP BY" in sql and "core_bottom_line" in sql]
    assert len(grouped) == 1, on.statements
    assert "core_bottom_line_tally" in grouped[0]
    assert on.count < 12 < off.count, (on.count, off.count)
    with pair.counted.count_statements() as counting:
        await pair.counted.ok(SUMMARY, {"region": "141000"}, token=pair.tokens["admin"])
    assert [s for s in counting.statements if "core_bottom_line_verdict" in s and "GROUP BY" in s]
    assert not [s for s in counting.statements if "core_bottom_line_tally" in s]
    at_risk = 0
    for indicator in BOTTOM_LINE:
        answer = await pair.stored.ok(
            AT_RISK, {"indicator": str(indicator)}, token=pair.tokens["admin"]
        )
        at_risk += answer["persons"]["totalCount"]
    assert at_risk > 0


async def test_after_the_calendar_moves_the_stored_side_judges_what_fell_due(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day past the earliest ``valid_until``: the stored side judges those persons again
    before it answers (the worker's refresh has not run), and both sides still agree."""
    async with pair.stored.session() as session:
        session.info["actor"] = SYSTEM
        first_due = await session.scalar(select(func.min(StoredVerdict.valid_until)))
    assert first_due is not None
    later = max(first_due, calendar.today() + dt.timedelta(days=1))
    monkeypatch.setattr(calendar, "today", lambda: later)
    assert not await _compare(pair, "admin")
    async with pair.stored.session() as session:
        session.info["actor"] = SYSTEM
        stale = await session.scalar(select(func.count()).where(StoredVerdict.valid_until <= later))
    assert stale == 0
