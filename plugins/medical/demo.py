"""Demo rows of the medical plugin: nearly everyone insured, chronic illness rising with
age, a few stays in hospital, most of them settled in one stop.

The demo hook is not given the field cipher, so demo conditions carry a code but no
free-text diagnosis (``diagnosis_cipher`` stays empty).
"""

import datetime as dt
import decimal
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import age_on, today
from bangfu.plugins.medical.models import (
    Hospitalisation,
    InsuranceEnrolment,
    InsuranceScheme,
    MedicalAidClaim,
    MedicalCondition,
)
from bangfu.plugins.medical.settings import DEFAULT_CONDITIONS, DEFAULT_SERIOUS

FEN = decimal.Decimal("0.01")
PREMIUM = {0: decimal.Decimal("380.00"), 1: decimal.Decimal("350.00")}  # this year, last year
CHRONIC = ("HYPERTENSION", "DIABETES", "CORONARY_HEART_DISEASE", "COPD", "STROKE_SEQUELAE")
SERIOUS = ("UREMIA", "MALIGNANT_TUMOUR", "SEVERE_MENTAL_ILLNESS", "ORGAN_TRANSPLANT")
HOSPITALS = (
    "临汾市人民医院",
    "临汾市中心医院",
    "襄汾县人民医院",
    "尧都区人民医院",
    "洪洞县人民医院",
    "侯马市人民医院",
)


async def add_demo_rows(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    from bangfu.demo.rows import insert_objects  # bangfu.demo loads only for demo data

    day = today()
    rows: list[Any] = []  # inserted in bulk at the end (bangfu.demo.rows)
    for household in households:
        for person, _relation in household.demo_members:
            if getattr(person, "deceased", False):
                continue
            _insurance(rows, person.id, day, rng)
            serious = _conditions(rows, person, day, rng)
            await _hospital(session, person, day, rng, serious)
    await insert_objects(session, rows)


def _insurance(rows: list[Any], person_id: int, day: dt.date, rng: random.Random) -> None:
    for years_ago in (1, 0):
        if rng.random() < 0.04:
            continue  # uninsured that year
        rows.append(
            InsuranceEnrolment(
                person_id=person_id,
                year=day.year - years_ago,
                scheme=InsuranceScheme.EMPLOYEE
                if rng.random() < 0.05
                else InsuranceScheme.RESIDENT,
                premium=PREMIUM[years_ago],
                premium_paid_by_government=rng.random() < 0.9,
                critical_illness_covered=rng.random() < 0.97,
            )
        )


def _conditions(rows: list[Any], person: Any, day: dt.date, rng: random.Random) -> bool:
    """Add the person's conditions; whether any is serious."""
    age = age_on(person.birth_date, day)
    chronic_odds = 0.30 if age >= 60 else 0.10 if age >= 40 else 0.01
    codes: list[str] = []
    if rng.random() < chronic_odds:
        codes.append(rng.choice(CHRONIC))
        if age >= 60 and rng.random() < 0.3:
            codes.append(rng.choice([c for c in CHRONIC if c != codes[0]]))
    if rng.random() < (0.03 if age >= 40 else 0.005):
        codes.append(
            rng.choice(SERIOUS if age >= 18 else ("CONGENITAL_HEART_DISEASE", "LEUKAEMIA"))
        )
    for code in codes:
        assert code in DEFAULT_CONDITIONS
        earliest = max(person.birth_date, day - dt.timedelta(days=365 * 15))
        span = max((day - earliest).days, 1)
        rows.append(
            MedicalCondition(
                person_id=person.id,
                diagnosis_code=code,
                serious=code in DEFAULT_SERIOUS,
                diagnosed_on=earliest + dt.timedelta(days=rng.randrange(span)),
            )
        )
    return any(code in DEFAULT_SERIOUS for code in codes)


async def _hospital(
    session: AsyncSession, person: Any, day: dt.date, rng: random.Random, serious: bool
) -> None:
    if rng.random() >= (0.35 if serious else 0.03):
        return
    admitted = day - dt.timedelta(days=rng.randint(5, 330))
    if admitted < person.birth_date:
        return
    still_there = rng.random() < 0.08
    discharged = None if still_there else admitted + dt.timedelta(days=rng.randint(2, 21))
    if discharged is not None and discharged > day:
        discharged = None
    stay = Hospitalisation(
        person_id=person.id,
        hospital=rng.choice(HOSPITALS),
        admitted_on=admitted,
        discharged_on=discharged,
        serious=serious or rng.random() < 0.2,
    )
    session.add(stay)
    if discharged is None or rng.random() < 0.2:
        return  # not settled (yet)
    await session.flush()  # the stay's ID for its claim
    session.add(_claim(person.id, stay, discharged, day, rng, serious))


def _claim(
    person_id: int,
    stay: Hospitalisation,
    discharged: dt.date,
    day: dt.date,
    rng: random.Random,
    serious: bool,
) -> MedicalAidClaim:
    total = _yuan(rng.uniform(20_000, 120_000) if serious else rng.uniform(2_500, 18_000))
    insurance = _yuan(float(total) * rng.uniform(0.55, 0.75))
    aid = _yuan(float(total - insurance) * rng.uniform(0.5, 0.85))
    donations = _yuan(float(total - insurance - aid) * 0.5) if rng.random() < 0.15 else FEN * 0
    return MedicalAidClaim(
        person_id=person_id,
        hospitalisation_id=stay.id,
        total_cost=total,
        paid_by_insurance=insurance,
        paid_by_medical_aid=aid,
        paid_by_donations=donations,
        out_of_pocket=total - insurance - aid - donations,  # the parts add up exactly
        settled_on=min(day, discharged + dt.timedelta(days=rng.randint(0, 20))),
    )


def _yuan(value: float) -> decimal.Decimal:
    return decimal.Decimal(str(round(value, 2))).quantize(FEN)
