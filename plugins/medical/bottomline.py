"""The medical plugin's indicators (R3): medical care (有医看) and illness treated well (看好病).

For a page of persons, in four statements whatever the page's size:

- ``MEDICAL_CARE``: ``OK`` when insured for the year of ``as_of``; ``AT_RISK`` when not,
  or when a hospitalisation has gone without a settled claim past its deadline (60 days
  after discharge, or after admission while the person is still in hospital). A claim
  counts for a stay when it names the stay, or names none and was settled between the
  admission and the deadline. Stays whose deadline passed more than the look-back
  (365 days) ago are history, not a present risk.
- ``ILLNESS_TREATED_WELL``: ``AT_RISK`` when the out-of-pocket share of the claims
  settled this year (1 January to ``as_of``) exceeds the threshold (10 %); ``OK`` with
  claims at or below it; ``NOT_APPLICABLE`` without claims this year.

Deceased persons are ``NOT_APPLICABLE`` for both (only a write changes that).

Each finding says the first day the calendar alone changes it (``valid_until``): the
statements also read what lies after ``as_of`` — next years' enrolments, stays whose
deadline is still to come, claims settled later — and the rule is judged again, in
memory, on each day where one of its inputs turns (1 January, a discharge, a deadline
passed, the end of the look-back, a claim's settlement); the first day whose verdict
differs from ``as_of``'s is the finding's ``valid_until`` (None when none does).
"""

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import Finding, Indicator, Status
from bangfu.plugins.medical.amounts import percent
from bangfu.plugins.medical.models import Hospitalisation, InsuranceEnrolment, MedicalAidClaim
from bangfu.plugins.medical.settings import MedicalSettings

#: A claim as the stays' rule reads it: (hospitalisation named or None, settled on).
Claim = tuple[int | None, dt.date]
#: One day's claims of a person in whole fen: (settled on, out of pocket, total).
DayCosts = tuple[dt.date, int, int]


async def judge(
    persons: Sequence[Any], session: AsyncSession, as_of: dt.date, settings: MedicalSettings
) -> list[Finding]:
    living = [p.id for p in persons if not p.deceased]
    findings = [
        Finding(p.id, indicator, Status.NOT_APPLICABLE, ("deceased",))
        for p in persons
        if p.deceased
        for indicator in (Indicator.MEDICAL_CARE, Indicator.ILLNESS_TREATED_WELL)
    ]
    if not living:
        return findings
    enrolled: dict[int, set[int]] = defaultdict(set)
    for person_id, year in await session.execute(
        select(InsuranceEnrolment.person_id, InsuranceEnrolment.year).where(
            InsuranceEnrolment.person_id.in_(living),
            InsuranceEnrolment.year >= as_of.year,  # next years' too: when cover ends
        )
    ):
        enrolled[person_id].add(year)
    stays, claims = await _stays_and_claims(session, living, as_of, settings)
    costs = await _costs_by_day(session, living, as_of)
    for person_id in living:
        findings.append(
            _medical_care(
                person_id,
                as_of,
                enrolled.get(person_id, set()),
                stays.get(person_id, []),
                claims.get(person_id, []),
                settings,
            )
        )
        findings.append(_treated_well(person_id, as_of, costs.get(person_id, []), settings))
    return findings


def _first_change(
    as_of: dt.date, days: Iterable[dt.date], judged_on: Callable[[dt.date], Hashable]
) -> dt.date | None:
    """The first of ``days`` after ``as_of`` on which ``judged_on`` differs from
    ``as_of``'s (None: on none). ``days`` must hold every day an input of the rule turns:
    between two of them, the verdict cannot change."""
    today = judged_on(as_of)
    for day in sorted({day for day in days if day > as_of}):
        if judged_on(day) != today:
            return day
    return None


def _new_years(as_of: dt.date, last_year: int) -> list[dt.date]:
    """Each 1 January after ``as_of`` up to the one after ``last_year``."""
    return [dt.date(year, 1, 1) for year in range(as_of.year + 1, max(last_year, as_of.year) + 2)]


# -- medical care -----------------------------------------------------------------------


def _medical_care(
    person_id: int,
    as_of: dt.date,
    enrolled: set[int],
    stays: list[Hospitalisation],
    claims: list[Claim],
    settings: MedicalSettings,
) -> Finding:
    def reasons_on(day: dt.date) -> tuple[str, ...]:
        reasons = []
        if day.year not in enrolled:
            reasons.append(f"not enrolled in basic medical insurance for {day.year}")
        for stay in stays:
            reason = _unclaimed(stay, claims, day, settings)
            if reason is not None:
                reasons.append(reason)
        return tuple(reasons)

    deadline = dt.timedelta(days=settings.claim_deadline_days)
    lookback = dt.timedelta(days=settings.hospitalisation_lookback_days)
    turns = _new_years(as_of, max(enrolled, default=as_of.year))
    for stay in stays:
        counted_from = [stay.admitted_on]  # the deadline counts from here while in hospital
        if stay.discharged_on is not None:
            turns.append(stay.discharged_on)
            counted_from.append(stay.discharged_on)
        for day in counted_from:
            turns += [
                day + deadline + dt.timedelta(days=1),
                day + deadline + lookback + dt.timedelta(days=1),
            ]
    turns += [settled_on for _, settled_on in claims]
    reasons = reasons_on(as_of)
    return Finding(
        person_id,
        Indicator.MEDICAL_CARE,
        Status.AT_RISK if reasons else Status.OK,
        reasons,
        valid_until=_first_change(as_of, turns, reasons_on),
    )


def _unclaimed(
    stay: Hospitalisation, claims: list[Claim], day: dt.date, settings: MedicalSettings
) -> str | None:
    """The reason ``stay`` puts medical care at risk on ``day``, if it does: past its
    claim deadline, within the look-back, with no claim settled for it by ``day``."""
    discharged_on = stay.discharged_on
    in_hospital = discharged_on is None or discharged_on > day
    counted_from = stay.admitted_on if in_hospital or discharged_on is None else discharged_on
    deadline = counted_from + dt.timedelta(days=settings.claim_deadline_days)
    if deadline >= day or deadline < day - dt.timedelta(
        days=settings.hospitalisation_lookback_days
    ):
        return None
    if any(
        settled_on <= day
        and (
            hospitalisation_id == stay.id
            or (hospitalisation_id is None and stay.admitted_on <= settled_on <= deadline)
        )
        for hospitalisation_id, settled_on in claims
    ):
        return None
    if in_hospital:
        return (
            f"in hospital since {stay.admitted_on} with no medical-aid claim settled "
            f"within {settings.claim_deadline_days} days of admission"
        )
    return (
        f"discharged from hospital on {discharged_on} with no medical-aid claim "
        f"settled within {settings.claim_deadline_days} days"
    )


async def _stays_and_claims(
    session: AsyncSession, person_ids: list[int], as_of: dt.date, settings: MedicalSettings
) -> tuple[dict[int, list[Hospitalisation]], dict[int, list[Claim]]]:
    """Per person, the stays that may put medical care at risk on ``as_of`` or later
    (by admission), and the claims settled since the earliest admission among them."""
    horizon = as_of - dt.timedelta(
        days=settings.hospitalisation_lookback_days + settings.claim_deadline_days
    )
    stays = (
        await session.scalars(
            select(Hospitalisation).where(
                Hospitalisation.person_id.in_(person_ids),
                # A stay discharged before the horizon is history on as_of and after.
                (Hospitalisation.discharged_on.is_(None))
                | (Hospitalisation.discharged_on >= horizon),
            )
        )
    ).all()
    # The claims are read even when no stay needs them: a page costs the same statements
    # whatever its persons' data (tests/test_statement_count_connections.py).
    earliest = min((s.admitted_on for s in stays), default=as_of)
    claim_rows = await session.execute(
        select(
            MedicalAidClaim.person_id,
            MedicalAidClaim.hospitalisation_id,
            MedicalAidClaim.settled_on,
        ).where(
            MedicalAidClaim.person_id.in_([s.person_id for s in stays]),
            MedicalAidClaim.settled_on >= earliest,
        )
    )
    by_person: dict[int, list[Hospitalisation]] = defaultdict(list)
    for stay in sorted(stays, key=lambda s: (s.admitted_on, s.id)):
        by_person[stay.person_id].append(stay)
    claims: dict[int, list[Claim]] = defaultdict(list)
    for person_id, hospitalisation_id, settled_on in claim_rows:
        claims[person_id].append((hospitalisation_id, settled_on))
    return by_person, claims


# -- illness treated well ---------------------------------------------------------------


def _treated_well(
    person_id: int, as_of: dt.date, costs: list[DayCosts], settings: MedicalSettings
) -> Finding:
    def verdict_on(day: dt.date) -> tuple[Status, tuple[str, ...]]:
        first = dt.date(day.year, 1, 1)
        paid_fen = sum(paid for settled_on, paid, _ in costs if first <= settled_on <= day)
        total_fen = sum(total for settled_on, _, total in costs if first <= settled_on <= day)
        return _share_verdict(paid_fen, total_fen, settings)

    status, reasons = verdict_on(as_of)
    turns = [settled_on for settled_on, _, _ in costs]
    turns += _new_years(as_of, max((day.year for day in turns), default=as_of.year))
    return Finding(
        person_id,
        Indicator.ILLNESS_TREATED_WELL,
        status,
        reasons,
        valid_until=_first_change(as_of, turns, verdict_on),
    )


def _share_verdict(
    paid_fen: int, total_fen: int, settings: MedicalSettings
) -> tuple[Status, tuple[str, ...]]:
    if total_fen <= 0:
        return Status.NOT_APPLICABLE, ("no medical-aid claim settled this year",)
    threshold = settings.out_of_pocket_threshold
    if decimal.Decimal(paid_fen) > threshold * total_fen:
        share_of_total = decimal.Decimal(paid_fen) / decimal.Decimal(total_fen)
        return Status.AT_RISK, (
            f"paid {percent(share_of_total)} of this year's medical costs out of pocket, "
            f"above the {percent(threshold)} threshold",
        )
    return Status.OK, ()


async def _costs_by_day(
    session: AsyncSession, person_ids: list[int], as_of: dt.date
) -> dict[int, list[DayCosts]]:
    """Per person, the claims settled from 1 January of ``as_of``'s year on (later ones
    too: they change the share on the day they are settled), summed per day in fen."""
    rows = await session.execute(
        select(
            MedicalAidClaim.person_id,
            MedicalAidClaim.settled_on,
            cast(func.round(func.sum(MedicalAidClaim.out_of_pocket) * 100), BigInteger),
            cast(func.round(func.sum(MedicalAidClaim.total_cost) * 100), BigInteger),
        )
        .where(
            MedicalAidClaim.person_id.in_(person_ids),
            MedicalAidClaim.settled_on >= dt.date(as_of.year, 1, 1),
        )
        .group_by(MedicalAidClaim.person_id, MedicalAidClaim.settled_on)
    )
    costs: dict[int, list[DayCosts]] = defaultdict(list)
    for person_id, settled_on, paid, total in rows.all():
        costs[person_id].append((settled_on, int(paid), int(total)))
    return costs
