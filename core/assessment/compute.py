"""Computing the annual assessment (年度目标考核, R9) of an area for a year.

Six core indicators, each a share with the list behind it (``IndicatorScore``), per
county (``REGION``), per organisation and per paired official where the indicator has
one; plugins add theirs through ``bangfu_assessment_indicators``. A unit's score is the
weighted mean of its shares (weights from settings, indicators without items left out);
a unit below any threshold is not eligible for commendation (不得纳入评先树优).

Every indicator is one or two queries over the whole area (rows, not a query per unit or
person); bottom-line coverage evaluates the persons in pages of 1,000.

With ``BANGFU_ASSESSMENT_COUNTS`` (the default) the figures are SQL counts per unit
(``bangfu.core.assessment.counts``, :class:`CountedScore`) and the lists are built by
:class:`ItemLister` only when asked for, one indicator at a time; the workbook asks for
every list (``assess(..., items=True)``). Off: the lists are built for every request and
counted, as above.
"""

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.assessment.types import (
    AssessmentItem,
    AssessmentPeriod,
    IndicatorScore,
    Unit,
    UnitKind,
)
from bangfu.core.bottomline import BOTTOM_LINE, Status
from bangfu.core.bottomline.evaluate import (
    hardship_persons,
    pages,
    pairing_persons,
)
from bangfu.core.bottomline.reading import read_lines
from bangfu.core.calendar import CHINA
from bangfu.core.care.due import due_state
from bangfu.core.care.enums import DueState, FiveKnownItem, MeasureStatus, VisitOutcome
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.models import FiveKnown, Pairing
from bangfu.core.care.pairing import is_stale, pairing_holds_on
from bangfu.core.care.plan_models import Measure
from bangfu.core.care.screening_models import ScreeningCampaign, ScreeningTarget
from bangfu.core.config import Settings
from bangfu.core.db import chunks, path_within
from bangfu.core.effective import in_force
from bangfu.core.i18n import _
from bangfu.core.registry.models import Household, Organisation, Person, Region, RegionLevel
from bangfu.core.security.models import User

if TYPE_CHECKING:
    from bangfu.core.plugins import PluginHost

TITLES = {
    "screening_coverage": "Screening coverage (households visited / target households)",
    "pairing_coverage": "Pairing coverage (persons paired / persons of the pairing categories)",
    "five_knowns_freshness": "Five-knowns freshness (pairings with all five fresh / pairings)",
    "care_timeliness": "Five-cares timeliness (events answered on time / events due)",
    "plan_completion": "Plan completion (measures done by their deadline / measures due)",
    "bottom_line_coverage": "Bottom-line coverage (persons with no bottom-line item at risk "
    "/ persons)",
}
FIRST_YEAR = 2000
#: IDs per IN list (asyncpg takes at most 32,767 parameters: a city has more pairings).
IN_CHUNK = 10_000


class AssessmentError(ValueError):
    """Bad arguments of an assessment: ``field`` names the argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclasses.dataclass(frozen=True)
class CountedScore(IndicatorScore):
    """A figure counted in SQL (``bangfu.core.assessment.counts``): ``items`` is empty,
    the list behind it comes from :meth:`Assessment.items_of`."""

    met: int = 0
    total: int = 0

    @property
    def numerator(self) -> int:
        return self.met

    @property
    def denominator(self) -> int:
        return self.total

    @property
    def ratio(self) -> float | None:
        return self.met / self.total if self.total else None


@dataclasses.dataclass
class UnitResult:
    """One unit's indicators, score, rank and commendation eligibility."""

    unit: Unit
    scores: dict[str, IndicatorScore]
    score: float | None = None
    rank: int | None = None
    ineligible_reasons: list[str] = dataclasses.field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.ineligible_reasons


@dataclasses.dataclass
class Assessment:
    period: AssessmentPeriod
    region_name: str
    titles: dict[str, str]
    weights: dict[str, float]
    thresholds: dict[str, float]
    units: list[UnitResult]
    lister: "ItemLister | None" = None

    def of_kind(self, kind: UnitKind) -> list[UnitResult]:
        return [u for u in self.units if u.unit.kind is kind]

    async def items_of(
        self, session: AsyncSession, score: IndicatorScore
    ) -> tuple[AssessmentItem, ...]:
        """The list behind ``score``: built now (its whole indicator, once) when the
        figure was counted in SQL. ``session``: a read session of the same actor."""
        if isinstance(score, CountedScore) and self.lister is not None:
            return await self.lister.items(session, score.indicator, score.unit)
        return score.items


async def period_of(
    session: AsyncSession, year: int, region_code: str, today: dt.date
) -> tuple[AssessmentPeriod, Region]:
    """Check the arguments and build the period; :class:`AssessmentError` names the bad one."""
    if not FIRST_YEAR <= year <= today.year:
        raise AssessmentError(
            "year",
            _("must be between {first} and {last}", first=FIRST_YEAR, last=today.year),
        )
    region = await session.get(Region, region_code)
    if region is None:
        raise AssessmentError("regionCode", _("unknown region code {code}", code=repr(region_code)))
    if region.level not in (RegionLevel.CITY, RegionLevel.COUNTY):
        raise AssessmentError("regionCode", _("assess a city or a county-level division"))
    starts, ends = dt.date(year, 1, 1), dt.date(year, 12, 31)
    period = AssessmentPeriod(year, region.code, region.path, starts, ends, min(ends, today))
    return period, region


class _Collector:
    """Items per (indicator, unit), turned into scores at the end."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, Unit], list[AssessmentItem]] = defaultdict(list)

    def add(self, indicator: str, units: Iterable[Unit | None], item: AssessmentItem) -> None:
        for unit in units:
            if unit is not None:
                self.items[(indicator, unit)].append(item)

    def scores(self) -> list[IndicatorScore]:
        return [
            IndicatorScore(indicator, TITLES[indicator], unit, tuple(items))
            for (indicator, unit), items in self.items.items()
        ]


class _Units:
    """Counties of the area, organisations and officials as assessment units."""

    def __init__(self, counties: dict[str, Region]) -> None:
        self.counties = counties
        # One Unit per county path, organisation and official: a city has thousands of
        # officials and hundreds of area paths, met in tens of thousands of rows.
        self._known: dict[tuple[str, str | None, str | None], Unit | None] = {}

    def county(self, path: str) -> Unit | None:
        key = ("", path, None)
        if key not in self._known:
            self._known[key] = self._county(path)
        return self._known[key]

    def _county(self, path: str) -> Unit | None:
        for code in path.split("/")[:3]:
            region = self.counties.get(code)
            if region is not None:
                return Unit(UnitKind.REGION, region.code, region.name)
        return None

    def organisation(self, code: str | None, name: str | None) -> Unit | None:
        key = ("o", code, name)
        if key not in self._known:
            self._known[key] = (
                None if code is None else Unit(UnitKind.ORGANISATION, code, name or code)
            )
        return self._known[key]

    def official(self, username: str | None, name: str | None) -> Unit | None:
        key = ("u", username, name)
        if key not in self._known:
            self._known[key] = (
                None if username is None else Unit(UnitKind.OFFICIAL, username, name or username)
            )
        return self._known[key]


class ItemLister:
    """The lists behind counted figures, built on demand: the first request for an
    indicator builds its list for every unit of the area (the same statements as
    without counts), kept for the rest of the request."""

    def __init__(
        self,
        host: "PluginHost",
        settings: Settings,
        period: AssessmentPeriod,
        units: "_Units",
    ) -> None:
        self.host = host
        self.settings = settings
        self.period = period
        self.units = units
        self._lists: dict[str, dict[Unit, tuple[AssessmentItem, ...]]] = {}

    async def items(
        self, session: AsyncSession, indicator: str, unit: Unit
    ) -> tuple[AssessmentItem, ...]:
        if indicator not in self._lists:
            collect = _Collector()
            await _list(
                indicator, session, self.host, self.period, self.units, collect, self.settings
            )
            for code in _SHARED.get(indicator, (indicator,)):
                self._lists[code] = {}
            for (code, found), items in collect.items.items():
                self._lists.setdefault(code, {})[found] = tuple(items)
        return self._lists[indicator].get(unit, ())


#: Indicators whose lists one statement builds together.
_SHARED = {
    "pairing_coverage": ("pairing_coverage", "five_knowns_freshness"),
    "five_knowns_freshness": ("pairing_coverage", "five_knowns_freshness"),
}


async def _list(
    indicator: str | None,
    session: AsyncSession,
    host: "PluginHost",
    period: AssessmentPeriod,
    units: "_Units",
    collect: "_Collector",
    settings: Settings,
) -> None:
    """Build the list of one core indicator (or of all six: ``indicator`` None)."""
    if indicator in (None, "screening_coverage"):
        await _screening(session, period, units, collect)
    if indicator in (None, *_SHARED):
        await _pairing_and_five_knowns(session, period, units, collect, settings)
    if indicator in (None, "care_timeliness"):
        await _care_timeliness(session, period, units, collect, settings)
    if indicator in (None, "plan_completion"):
        await _plan_completion(session, period, units, collect)
    if indicator in (None, "bottom_line_coverage"):
        await _bottom_line(session, host, period, units, collect, settings)


async def assess(
    session: AsyncSession,
    host: "PluginHost",
    settings: Settings,
    year: int,
    region_code: str,
    today: dt.date,
    *,
    writer: async_sessionmaker[AsyncSession] | None = None,
    items: bool = False,
) -> Assessment:
    """The assessment of ``region_code`` (a city or county) for ``year``, in the session's
    area. :raises AssessmentError: a bad year or region.

    ``items``: build every list now (the workbook); otherwise, with
    ``settings.assessment_counts``, the figures are counted in SQL and the lists built
    on demand (:meth:`Assessment.items_of`). ``writer``: the service's sessions, to judge
    again the stored verdicts that fell due (``bangfu.core.bottomline.reading.prepare_area``).
    """
    period, region = await period_of(session, year, region_code, today)
    counties = {
        r.code: r
        for r in await session.scalars(
            select(Region).where(
                Region.level == RegionLevel.COUNTY, path_within(Region.path, region.path)
            )
        )
    }
    units = _Units(counties)
    collect = _Collector()
    lister: ItemLister | None = None
    scores: list[IndicatorScore]
    if settings.assessment_counts and not items:
        from bangfu.core.assessment.counts import count_core

        tally, counted = await count_core(session, host, period, units, settings, today, writer)
        if not counted:  # the stored verdicts cannot answer: the list, as before
            await _bottom_line(session, host, period, units, collect, settings)
        scores = [
            CountedScore(indicator, TITLES[indicator], unit, (), met, total)
            for (indicator, unit), (met, total) in tally.counts.items()
        ] + collect.scores()
        lister = ItemLister(host, settings, period, units)
    else:
        await _list(None, session, host, period, units, collect, settings)
        scores = collect.scores()
    scores += await host.assessment_indicators(session, period)
    titles = dict(TITLES)
    by_unit: dict[Unit, dict[str, IndicatorScore]] = defaultdict(dict)
    for score in scores:
        titles.setdefault(score.indicator, score.title)
        by_unit[score.unit][score.indicator] = score
    for county in counties.values():  # every county is ranked, even one with nothing yet
        by_unit.setdefault(Unit(UnitKind.REGION, county.code, county.name), {})
    results = [UnitResult(unit, unit_scores) for unit, unit_scores in by_unit.items()]
    for result in results:
        _score(result, settings.assessment_weights, settings.assessment_thresholds)
    _rank(results)
    order = {kind: i for i, kind in enumerate(UnitKind)}
    results.sort(key=lambda r: (order[r.unit.kind], r.rank or 10**9, r.unit.key))
    return Assessment(
        period,
        region.name,
        titles,
        dict(settings.assessment_weights),
        dict(settings.assessment_thresholds),
        results,
        lister,
    )


def _score(result: UnitResult, weights: dict[str, float], thresholds: dict[str, float]) -> None:
    weighted = total = 0.0
    for code, score in sorted(result.scores.items()):
        if score.ratio is None:
            continue
        weight = weights.get(code, 0.0)
        weighted += weight * score.ratio
        total += weight
        threshold = thresholds.get(code)
        if threshold is not None and score.ratio < threshold:
            result.ineligible_reasons.append(
                f"{code} {score.ratio:.1%} ({score.numerator}/{score.denominator}) is below "
                f"the {threshold:.0%} threshold"
            )
    result.score = round(100 * weighted / total, 2) if total else None


def _rank(results: list[UnitResult]) -> None:
    """Rank within each unit kind by score, ties sharing a rank; units without a score
    are not ranked."""
    for kind in UnitKind:
        scored = sorted(
            (r for r in results if r.unit.kind is kind and r.score is not None),
            key=lambda r: -(r.score or 0),
        )
        previous: float | None = None
        rank = 0
        for position, result in enumerate(scored, start=1):
            if result.score != previous:
                rank, previous = position, result.score
            result.rank = rank


# -- the six core indicators ----------------------------------------------------------


async def _screening(
    session: AsyncSession, period: AssessmentPeriod, units: _Units, collect: _Collector
) -> None:
    """Target households of the year's campaigns that have ended, visited or not (per
    county); a campaign still running does not count yet."""
    from bangfu.core.assessment.counts import screening_targets

    rows = await session.execute(
        screening_targets(period)
        .with_only_columns(
            ScreeningTarget.household_path,
            ScreeningTarget.last_outcome,
            ScreeningTarget.last_visited_on,
            Household.address,
            ScreeningCampaign.name,
        )
        .order_by(ScreeningTarget.id)
    )
    for path, outcome, visited_on, address, campaign in rows:
        met = outcome is VisitOutcome.VISITED or outcome == VisitOutcome.VISITED.value
        note = f"{campaign}: " + (f"{outcome} on {visited_on}" if outcome else "not visited yet")
        collect.add(
            "screening_coverage",
            [units.county(path)],
            AssessmentItem(address or "household", met, None, note),
        )


async def _pairing_and_five_knowns(
    session: AsyncSession,
    period: AssessmentPeriod,
    units: _Units,
    collect: _Collector,
    settings: Settings,
) -> None:
    """Hardship persons paired on the day (per county); pairings with all five knowns
    fresh (per county, official and the official's organisation)."""
    active = and_(Pairing.person_id == Person.id, pairing_holds_on(period.as_of))
    rows = await session.execute(
        pairing_persons(period.region_path, period.as_of, settings.pairing_categories)
        .with_only_columns(
            Person.id,
            Person.name,
            Person.area_path,
            Pairing.id,
            User.username,
            User.display_name,
            Organisation.code,
            Organisation.name,
        )
        .outerjoin(Pairing, active)
        .outerjoin(User, User.id == Pairing.official_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .order_by(Person.id)
    )
    paired: list[tuple[Any, ...]] = []
    for person_id, name, path, pairing_id, username, official, org_code, org_name in rows:
        note = f"paired with {official}" if pairing_id else "no active pairing"
        collect.add(
            "pairing_coverage",
            [units.county(path)],
            AssessmentItem(name, pairing_id is not None, person_id, note),
        )
        if pairing_id is not None:
            paired.append(
                (person_id, name, path, pairing_id, username, official, org_code, org_name)
            )
    fresh: dict[int, set[FiveKnownItem]] = defaultdict(set)
    for some in chunks([p[3] for p in paired], IN_CHUNK):
        for pairing_id, item, verified_on in await session.execute(
            select(FiveKnown.pairing_id, FiveKnown.item, FiveKnown.verified_on).where(
                FiveKnown.pairing_id.in_(some)
            )
        ):
            if not is_stale(verified_on, period.as_of, settings.five_knowns_stale_days):
                fresh[pairing_id].add(FiveKnownItem(item))
    for person_id, name, path, pairing_id, username, official, org_code, org_name in paired:
        missing = [i.value for i in FiveKnownItem if i not in fresh[pairing_id]]
        note = "all five fresh" if not missing else "stale or missing: " + ", ".join(missing)
        collect.add(
            "five_knowns_freshness",
            [
                units.county(path),
                units.official(username, official),
                units.organisation(org_code, org_name),
            ],
            AssessmentItem(name, not missing, person_id, note),
        )


async def _care_timeliness(
    session: AsyncSession,
    period: AssessmentPeriod,
    units: _Units,
    collect: _Collector,
    settings: Settings,
) -> None:
    """Care events due in the year (deadline passed, or answered): answered on time? Per
    county, and per official paired with the person on the deadline (and their
    organisation). The due state is ``bangfu.core.care.due.due_state``, the one definition."""
    state = due_state(
        CareEvent.deadline, CareEvent.answered_on, period.as_of, settings.care_due_soon_days
    )
    on_deadline = and_(
        Pairing.person_id == CareEvent.person_id,
        # held on the deadline; on a hand-over day both (the ending one's last day)
        in_force(Pairing.start_date, Pairing.end_date, CareEvent.deadline, end_inclusive=True),
    )
    rows = await session.execute(
        select(
            CareEvent.id,
            CareEvent.kind,
            CareEvent.deadline,
            CareEvent.answered_on,
            state,
            Person.id,
            Person.name,
            Person.area_path,
            User.username,
            User.display_name,
            Organisation.code,
            Organisation.name,
        )
        .join(Person, Person.id == CareEvent.person_id)
        .outerjoin(Pairing, on_deadline)
        .outerjoin(User, User.id == Pairing.official_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(
            path_within(Person.area_path, period.region_path),
            CareEvent.deadline >= period.starts_on,
            CareEvent.deadline <= period.ends_on,
            or_(CareEvent.answered_on.is_not(None), CareEvent.deadline < period.as_of),
        )
        .order_by(CareEvent.id, Pairing.start_date.desc())
    )
    seen: set[int] = set()
    for (
        event_id,
        kind,
        deadline,
        answered,
        due,
        person_id,
        name,
        path,
        user,
        official,
        oc,
        on,
    ) in rows:
        if event_id in seen:  # a hand-over on the deadline: the later pairing answers
            continue
        seen.add(event_id)
        note = f"{kind} due {deadline}: " + (f"answered {answered}" if answered else "unanswered")
        collect.add(
            "care_timeliness",
            [units.county(path), units.official(user, official), units.organisation(oc, on)],
            AssessmentItem(name, due == DueState.ANSWERED_ON_TIME.value, person_id, note),
        )


async def _plan_completion(
    session: AsyncSession, period: AssessmentPeriod, units: _Units, collect: _Collector
) -> None:
    """Plan measures due in the year (deadline passed, or done), not cancelled: done by the
    deadline? Per county and per responsible organisation. A measure's last change is when
    it was done (a DONE measure is final)."""
    from bangfu.core.assessment.counts import measures_due

    rows = await session.execute(
        measures_due(period)
        .with_only_columns(
            Measure.id,
            Measure.description,
            Measure.deadline,
            Measure.status,
            Measure.updated_at,
            Household.area_path,
            Household.address,
            Organisation.code,
            Organisation.name,
        )
        .order_by(Measure.id)
    )
    for _id, description, deadline, status, updated_at, path, address, oc, on in rows:
        done_on = _china_day(updated_at) if status == MeasureStatus.DONE else None
        met = done_on is not None and done_on <= deadline
        note = f"due {deadline}: " + (f"done {done_on}" if done_on else f"{status}")
        collect.add(
            "plan_completion",
            [units.county(path), units.organisation(oc, on)],
            AssessmentItem(f"{address}: {description}"[:200], met, None, note),
        )


def _china_day(instant: dt.datetime) -> dt.date:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(CHINA).date()


async def _bottom_line(
    session: AsyncSession,
    host: "PluginHost",
    period: AssessmentPeriod,
    units: _Units,
    collect: _Collector,
    settings: Settings,
) -> None:
    """Hardship persons with no bottom-line indicator at risk on the day (per county and
    per paired official)."""
    async for page in pages(session, hardship_persons(period.region_path, period.as_of)):
        lines = await read_lines(page, session, host, period.as_of, settings)
        officials = {
            person_id: (username, name)
            for person_id, username, name in await session.execute(
                select(Pairing.person_id, User.username, User.display_name)
                .join(User, User.id == Pairing.official_id)
                .where(Pairing.person_id.in_([p.id for p in page]), pairing_holds_on(period.as_of))
            )
        }
        for person in page:
            risky = [i.value for i in BOTTOM_LINE if lines[person.id][i].status is Status.AT_RISK]
            note = "no bottom-line item at risk" if not risky else "at risk: " + ", ".join(risky)
            official = officials.get(person.id, (None, None))
            collect.add(
                "bottom_line_coverage",
                [units.county(person.area_path), units.official(*official)],
                AssessmentItem(person.name, not risky, person.id, note),
            )
