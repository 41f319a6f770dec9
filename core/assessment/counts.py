"""The assessment's figures as SQL counts (``BANGFU_ASSESSMENT_COUNTS``, on by default).

A second implementation of the figures of ``bangfu.core.assessment.compute``: for each
core indicator, one or two ``GROUP BY`` statements count the items met and due per area
path (and per official and organisation where the indicator has them), instead of
building an :class:`~bangfu.core.assessment.types.AssessmentItem` per person, pairing,
event or measure. The statements have the same joins and conditions as the lists in
``compute`` (so area scoping and every edge case count alike); only the columns differ.
Bottom-line coverage counts the stored verdicts (``core_bottom_line_verdict``) when
:func:`~bangfu.core.bottomline.reading.prepare_area` says they answer for the city on
the day judged; otherwise (stored verdicts off, a rules version changed, a past year)
its list is built as before. The lists themselves are built only when asked for
(:class:`~bangfu.core.assessment.compute.ItemLister`).

``tests/test_assessment_counts.py`` keeps both ways identical.
"""

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, and_, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bangfu.core.assessment.types import AssessmentPeriod, Unit
from bangfu.core.bottomline import BOTTOM_LINE, Status
from bangfu.core.bottomline.evaluate import INDICATORS, hardship_persons, pairing_persons
from bangfu.core.bottomline.models import StoredVerdict
from bangfu.core.bottomline.reading import prepare_area
from bangfu.core.care.due import due_state
from bangfu.core.care.enums import DueState, FiveKnownItem, MeasureStatus, VisitOutcome
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.models import FiveKnown, Pairing
from bangfu.core.care.pairing import pairing_holds_on
from bangfu.core.care.plan_models import Measure
from bangfu.core.care.screening_models import ScreeningCampaign, ScreeningTarget
from bangfu.core.config import Settings
from bangfu.core.db import path_within
from bangfu.core.effective import in_force
from bangfu.core.registry.models import Household, Organisation, Person
from bangfu.core.security.models import User

if TYPE_CHECKING:
    from bangfu.core.assessment.compute import _Units
    from bangfu.core.plugins import PluginHost

#: (indicator, unit) → [met, total]
Tallies = dict[tuple[str, Unit], list[int]]


class Tally:
    """Counts of items met and due per (indicator, unit)."""

    def __init__(self) -> None:
        self.counts: Tallies = defaultdict(lambda: [0, 0])

    def add(self, indicator: str, units: list[Unit | None], met: int, total: int) -> None:
        for unit in units:
            if unit is not None:
                tally = self.counts[(indicator, unit)]
                tally[0] += met
                tally[1] += total


def _met(condition: Any) -> Any:
    """How many rows of the group meet ``condition`` (no boolean in a ``GROUP BY``: its
    parameters would differ from the select list's, and PostgreSQL refuses that)."""
    return func.sum(case((condition, 1), else_=0))


async def count_core(
    session: AsyncSession,
    host: "PluginHost",
    period: AssessmentPeriod,
    units: "_Units",
    settings: Settings,
    today: dt.date,
    writer: async_sessionmaker[AsyncSession] | None,
) -> tuple[Tally, bool]:
    """The counts of the six core indicators; the flag says whether bottom-line coverage
    was counted (False: its list must be built, as before)."""
    tally = Tally()
    await _screening(session, period, units, tally)
    await _pairing_and_five_knowns(session, period, units, tally, settings)
    await _care_timeliness(session, period, units, tally, settings)
    await _plan_completion(session, period, units, tally)
    # The stored rows are judged for today: a past year's last day is judged afresh.
    counted = period.as_of == today and await prepare_area(
        session, writer, host, settings, None, period.as_of
    )
    if counted:
        await _bottom_line(session, period, units, tally)
    return tally, counted


def campaigns_ended_before(period: AssessmentPeriod) -> dt.date:
    """Screening campaigns count from their end: those whose last day is before this day.

    In the current year it is the day judged (today): a campaign still running, its last
    day included, does not count against coverage, and the finished campaigns' results
    stand. In a year that is over (the day judged is 31 December) every campaign that
    ended in the year counts. docs/indicators.md, "Screening coverage".
    """
    if period.as_of < period.ends_on:
        return period.as_of
    return period.ends_on + dt.timedelta(days=1)


def screening_targets(period: AssessmentPeriod) -> Any:
    """The target households of the screening campaigns of the period in its area that
    have ended (:func:`campaigns_ended_before`; the rows of screening coverage, listed or
    counted): select the columns wanted."""
    return (
        select(ScreeningTarget.id)
        .join(ScreeningCampaign, ScreeningCampaign.id == ScreeningTarget.campaign_id)
        .join(Household, Household.id == ScreeningTarget.household_id)
        .where(
            path_within(ScreeningTarget.household_path, period.region_path),
            ScreeningCampaign.starts_on <= period.ends_on,
            ScreeningCampaign.ends_on >= period.starts_on,
            ScreeningCampaign.ends_on < campaigns_ended_before(period),
        )
    )


def measures_due(period: AssessmentPeriod) -> Any:
    """The plan measures due in the period in its area (deadline passed, or done), not
    cancelled, with their household and responsible organisation (the rows of plan
    completion, listed or counted): select the columns wanted."""
    return (
        select(Measure.id)
        .join(Household, Household.id == Measure.household_id)
        .join(Organisation, Organisation.id == Measure.responsible_organisation_id)
        .where(
            path_within(Household.area_path, period.region_path),
            Measure.status != MeasureStatus.CANCELLED,
            Measure.deadline >= period.starts_on,
            Measure.deadline <= period.ends_on,
            or_(Measure.status == MeasureStatus.DONE, Measure.deadline < period.as_of),
        )
    )


async def _screening(
    session: AsyncSession, period: AssessmentPeriod, units: "_Units", tally: Tally
) -> None:
    met = _met(ScreeningTarget.last_outcome == VisitOutcome.VISITED)
    rows = await session.execute(
        screening_targets(period)
        .with_only_columns(ScreeningTarget.household_path, met, func.count())
        .group_by(ScreeningTarget.household_path)
    )
    for path, met_count, count in rows:
        tally.add("screening_coverage", [units.county(path)], met_count, count)


async def _pairing_and_five_knowns(
    session: AsyncSession,
    period: AssessmentPeriod,
    units: "_Units",
    tally: Tally,
    settings: Settings,
) -> None:
    """One statement for both: the persons of the pairing categories with their active
    pairing (if any), its official and organisation, grouped by those; the persons
    count for pairing coverage, their pairings for five-knowns freshness."""
    persons = pairing_persons(period.region_path, period.as_of, settings.pairing_categories)
    # Five knowns: a pairing is fresh when all five items were verified recently enough
    # (``bangfu.core.care.pairing.is_stale``: older than the stale days is stale).
    cutoff = period.as_of - dt.timedelta(days=settings.five_knowns_stale_days)
    fresh = (
        select(FiveKnown.pairing_id, func.count().label("fresh"))
        .where(FiveKnown.verified_on >= cutoff)
        .group_by(FiveKnown.pairing_id)
        .subquery()
    )
    all_fresh = _met(
        and_(Pairing.id.is_not(None), func.coalesce(fresh.c.fresh, 0) >= len(FiveKnownItem))
    )
    columns = (
        Person.area_path,
        User.username,
        User.display_name,
        Organisation.code,
        Organisation.name,
    )
    rows: Any = await session.execute(
        persons.with_only_columns(*columns, all_fresh, func.count(Pairing.id), func.count())
        .outerjoin(Pairing, and_(Pairing.person_id == Person.id, pairing_holds_on(period.as_of)))
        .outerjoin(User, User.id == Pairing.official_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(fresh, fresh.c.pairing_id == Pairing.id)
        .group_by(*columns)
    )
    for path, username, official, org_code, org_name, fresh_count, paired, count in rows:
        county = units.county(path)
        tally.add("pairing_coverage", [county], paired, count)
        if paired:
            tally.add(
                "five_knowns_freshness",
                [
                    county,
                    units.official(username, official),
                    units.organisation(org_code, org_name),
                ],
                fresh_count,
                paired,
            )


async def _care_timeliness(
    session: AsyncSession,
    period: AssessmentPeriod,
    units: "_Units",
    tally: Tally,
    settings: Settings,
) -> None:
    state = due_state(
        CareEvent.deadline, CareEvent.answered_on, period.as_of, settings.care_due_soon_days
    )
    on_time = _met(state == DueState.ANSWERED_ON_TIME.value)
    # The official answering for an event: the pairing that held on the deadline, the
    # later one on a hand-over day (the list keeps the first by start date, descending).
    held = aliased(Pairing)
    answering = (
        select(held.id)
        .where(
            held.person_id == CareEvent.person_id,
            in_force(held.start_date, held.end_date, CareEvent.deadline, end_inclusive=True),
        )
        .order_by(held.start_date.desc(), held.id.desc())
        .limit(1)
        .correlate(CareEvent)
        .scalar_subquery()
    )
    columns = (
        Person.area_path,
        User.username,
        User.display_name,
        Organisation.code,
        Organisation.name,
    )
    rows = await session.execute(
        select(*columns, on_time, func.count())
        .select_from(CareEvent)
        .join(Person, Person.id == CareEvent.person_id)
        .outerjoin(Pairing, Pairing.id == answering)
        .outerjoin(User, User.id == Pairing.official_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(
            path_within(Person.area_path, period.region_path),
            CareEvent.deadline >= period.starts_on,
            CareEvent.deadline <= period.ends_on,
            or_(CareEvent.answered_on.is_not(None), CareEvent.deadline < period.as_of),
        )
        .group_by(*columns)
    )
    for path, user, official, oc, on, met_count, count in rows:
        tally.add(
            "care_timeliness",
            [units.county(path), units.official(user, official), units.organisation(oc, on)],
            met_count,
            count,
        )


def _china_day(session: AsyncSession, instant: Any) -> Any:
    """The day (Asia/Shanghai) of a stored instant, in SQL (``compute._china_day``)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Asia/Shanghai", instant), Date)
    # SQLite keeps instants as UTC text; China has kept UTC+8 all year since 1992.
    return func.date(instant, literal("+8 hours"))


async def _plan_completion(
    session: AsyncSession, period: AssessmentPeriod, units: "_Units", tally: Tally
) -> None:
    done = _met(
        and_(
            Measure.status == MeasureStatus.DONE,
            _china_day(session, Measure.updated_at) <= Measure.deadline,
        )
    )
    columns = (Household.area_path, Organisation.code, Organisation.name)
    rows = await session.execute(
        measures_due(period).with_only_columns(*columns, done, func.count()).group_by(*columns)
    )
    for path, oc, on, met_count, count in rows:
        tally.add(
            "plan_completion", [units.county(path), units.organisation(oc, on)], met_count, count
        )


async def _bottom_line(
    session: AsyncSession, period: AssessmentPeriod, units: "_Units", tally: Tally
) -> None:
    """Hardship persons, and those of them with a bottom-line indicator at risk (their
    stored rows), per area path and per official paired on the day.

    The persons per area path are the list's own (``hardship_persons``, from the
    persons' index); the persons at risk are few, read as rows from the stored verdicts'
    (indicator, status, area) index and counted here: a ``GROUP BY`` by area would make
    SQLite walk every row of the area in area order instead."""
    V = StoredVerdict
    hardship = (
        V.indicator == str(INDICATORS[0]),  # one row per person
        V.hardship.is_(True),
        path_within(V.area_path, period.region_path),
    )
    at_risk = (
        V.indicator.in_([str(i) for i in BOTTOM_LINE]),
        V.status == str(Status.AT_RISK),
        V.hardship.is_(True),
        path_within(V.area_path, period.region_path),
    )
    active = and_(Pairing.person_id == V.person_id, pairing_holds_on(period.as_of))
    risky: dict[str, set[int]] = defaultdict(set)
    for person_id, path in await session.execute(select(V.person_id, V.area_path).where(*at_risk)):
        risky[path].add(person_id)
    persons = hardship_persons(period.region_path, period.as_of)
    for path, count in await session.execute(
        persons.with_only_columns(Person.area_path, func.count()).group_by(Person.area_path)
    ):
        at = len(risky.get(path, ()))
        tally.add("bottom_line_coverage", [units.county(path)], count - at, count)
    officials = (User.username, User.display_name)
    risky_of: dict[tuple[str, str], set[int]] = defaultdict(set)
    for person_id, username, name in await session.execute(
        select(V.person_id, *officials)
        .join(Pairing, active)
        .join(User, User.id == Pairing.official_id)
        .where(*at_risk)
    ):
        risky_of[(username, name)].add(person_id)
    for username, name, count in await session.execute(
        select(*officials, func.count())
        .select_from(V)
        .join(Pairing, active)
        .join(User, User.id == Pairing.official_id)
        .where(*hardship)
        .group_by(*officials)
    ):
        at = len(risky_of.get((username, name), ()))
        tally.add("bottom_line_coverage", [units.official(username, name)], count - at, count)
