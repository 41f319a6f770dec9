"""The medical plugin's indicators (R3): medical care (有医看) and illness treated well (看好病).

For a page of persons, in three statements whatever the page's size:

- ``MEDICAL_CARE``: ``OK`` when insured for the year of ``as_of``; ``AT_RISK`` when not,
  or when a hospitalisation has gone without a settled claim past its deadline (60 days
  after discharge, or after admission while the person is still in hospital). A claim
  counts for a stay when it names the stay, or names none and was settled between the
  admission and the deadline. Stays whose deadline passed more than the look-back
  (365 days) ago are history, not a present risk.
- ``ILLNESS_TREATED_WELL``: ``AT_RISK`` when the out-of-pocket share of the claims
  settled this year (1 January to ``as_of``) exceeds the threshold (10 %); ``OK`` with
  claims at or below it; ``NOT_APPLICABLE`` without claims this year.

Deceased persons are ``NOT_APPLICABLE`` for both.
"""

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import Finding, Indicator, Status
from bangfu.plugins.medical.amounts import percent
from bangfu.plugins.medical.models import Hospitalisation, InsuranceEnrolment, MedicalAidClaim
from bangfu.plugins.medical.settings import MedicalSettings


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
    insured = set(
        (
            await session.scalars(
                select(InsuranceEnrolment.person_id).where(
                    InsuranceEnrolment.person_id.in_(living),
                    InsuranceEnrolment.year == as_of.year,
                )
            )
        ).all()
    )
    unclaimed = await _unclaimed_stays(session, living, as_of, settings)
    shares = await _out_of_pocket(session, living, as_of)
    for person_id in living:
        reasons = []
        if person_id not in insured:
            reasons.append(f"not enrolled in basic medical insurance for {as_of.year}")
        reasons += unclaimed.get(person_id, [])
        findings.append(
            Finding(
                person_id,
                Indicator.MEDICAL_CARE,
                Status.AT_RISK if reasons else Status.OK,
                tuple(reasons),
            )
        )
        findings.append(_treated_well(person_id, shares.get(person_id), settings))
    return findings


def _treated_well(
    person_id: int, share: tuple[int, int] | None, settings: MedicalSettings
) -> Finding:
    if share is None or share[1] <= 0:
        return Finding(
            person_id,
            Indicator.ILLNESS_TREATED_WELL,
            Status.NOT_APPLICABLE,
            ("no medical-aid claim settled this year",),
        )
    paid_fen, total_fen = share
    threshold = settings.out_of_pocket_threshold
    share_of_total = decimal.Decimal(paid_fen) / decimal.Decimal(total_fen)
    if decimal.Decimal(paid_fen) > threshold * total_fen:
        return Finding(
            person_id,
            Indicator.ILLNESS_TREATED_WELL,
            Status.AT_RISK,
            (
                f"paid {percent(share_of_total)} of this year's medical costs out of pocket, "
                f"above the {percent(threshold)} threshold",
            ),
        )
    return Finding(person_id, Indicator.ILLNESS_TREATED_WELL, Status.OK)


async def _unclaimed_stays(
    session: AsyncSession, person_ids: list[int], as_of: dt.date, settings: MedicalSettings
) -> dict[int, list[str]]:
    """Per person, a reason for each stay past its claim deadline without a claim."""
    days = dt.timedelta(days=settings.claim_deadline_days)
    horizon = as_of - dt.timedelta(days=settings.hospitalisation_lookback_days) - days
    stays = (
        await session.scalars(
            select(Hospitalisation).where(
                Hospitalisation.person_id.in_(person_ids),
                Hospitalisation.admitted_on <= as_of - days,  # no deadline can have passed else
                (Hospitalisation.discharged_on.is_(None))
                | (Hospitalisation.discharged_on >= horizon),
            )
        )
    ).all()
    # The claims are read even when no stay needs them: a page costs the same statements
    # whatever its persons' data (tests/test_statement_count_connections.py).
    earliest = min((s.admitted_on for s in stays), default=as_of)
    claims = (
        await session.execute(
            select(
                MedicalAidClaim.person_id,
                MedicalAidClaim.hospitalisation_id,
                MedicalAidClaim.settled_on,
            ).where(
                MedicalAidClaim.person_id.in_([s.person_id for s in stays]),
                MedicalAidClaim.settled_on >= earliest,
                MedicalAidClaim.settled_on <= as_of,
            )
        )
    ).all()
    reasons: dict[int, list[str]] = defaultdict(list)
    for stay in sorted(stays, key=lambda s: (s.admitted_on, s.id)):
        discharged_on = stay.discharged_on
        in_hospital = discharged_on is None or discharged_on > as_of
        counted_from = stay.admitted_on if discharged_on is None or in_hospital else discharged_on
        deadline = counted_from + days
        if deadline >= as_of or deadline < as_of - dt.timedelta(
            days=settings.hospitalisation_lookback_days
        ):
            continue
        settled = any(
            person_id == stay.person_id
            and (
                hospitalisation_id == stay.id
                or (hospitalisation_id is None and stay.admitted_on <= settled_on <= deadline)
            )
            for person_id, hospitalisation_id, settled_on in claims
        )
        if settled:
            continue
        if in_hospital:
            reasons[stay.person_id].append(
                f"in hospital since {stay.admitted_on} with no medical-aid claim settled "
                f"within {settings.claim_deadline_days} days of admission"
            )
        else:
            reasons[stay.person_id].append(
                f"discharged from hospital on {stay.discharged_on} with no medical-aid claim "
                f"settled within {settings.claim_deadline_days} days"
            )
    return reasons


async def _out_of_pocket(
    session: AsyncSession, person_ids: list[int], as_of: dt.date
) -> dict[int, tuple[int, int]]:
    """Per person with claims this year: (out of pocket, total) in whole fen."""
    rows = await session.execute(
        select(
            MedicalAidClaim.person_id,
            cast(func.round(func.sum(MedicalAidClaim.out_of_pocket) * 100), BigInteger),
            cast(func.round(func.sum(MedicalAidClaim.total_cost) * 100), BigInteger),
        )
        .where(
            MedicalAidClaim.person_id.in_(person_ids),
            MedicalAidClaim.settled_on >= dt.date(as_of.year, 1, 1),
            MedicalAidClaim.settled_on <= as_of,
        )
        .group_by(MedicalAidClaim.person_id)
    )
    return {person_id: (int(paid), int(total)) for person_id, paid, total in rows.all()}
