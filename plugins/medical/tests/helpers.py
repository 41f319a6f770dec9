"""Builders shared by the medical plugin's tests."""

import datetime as dt
import decimal
import itertools
from typing import Any

from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.care.models import Pairing
from bangfu.core.idnumber import make
from bangfu.core.registry.models import Category, CategoryAssignment, Person
from bangfu.core.security.models import User
from bangfu.plugins.medical import diagnoses
from bangfu.plugins.medical.models import (
    Hospitalisation,
    InsuranceEnrolment,
    InsuranceScheme,
    MedicalAidClaim,
    MedicalCondition,
)
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

_sequence = itertools.count(1)

MEDICAL_TABLES = (InsuranceEnrolment, MedicalCondition, Hospitalisation, MedicalAidClaim)


def gid(person: Person) -> str:
    return to_global_id("Person", person.id)


def number(county: str = "141023", born: dt.date = dt.date(1970, 3, 1)) -> str:
    return make(county, born, next(_sequence) % 999 or 1)


async def family(
    h: Harness, county: str = "141023", *, child_born: dt.date | None = None
) -> list[Person]:
    """A household in ``county``: a head of 56, a spouse, and a child if ``child_born``."""
    members = [
        ("HEAD", "李大山", number(county, dt.date(1970, 3, 1))),
        ("SPOUSE", "张桂兰", number(county, dt.date(1972, 6, 9))),
    ]
    if child_born is not None:
        members.append(("CHILD", "李小花", number(county, child_born)))
    _, persons = await h.household(county, members)
    return persons


async def add_condition(
    h: Harness,
    person: Person,
    code: str = "DIABETES",
    diagnosis: str | None = "2型糖尿病伴周围神经病变",
    *,
    serious: bool = False,
    diagnosed_on: dt.date = dt.date(2019, 4, 2),
) -> MedicalCondition:
    async with h.session() as session, session.begin():
        condition = MedicalCondition(
            person_id=person.id,
            diagnosis_code=code,
            diagnosis_cipher=None
            if diagnosis is None
            else diagnoses.seal(h.cipher, person.id, diagnosis),
            serious=serious,
            diagnosed_on=diagnosed_on,
        )
        session.add(condition)
    return condition


async def insure(h: Harness, person: Person, year: int | None = None) -> None:
    async with h.session() as session, session.begin():
        session.add(
            InsuranceEnrolment(
                person_id=person.id,
                year=year or today().year,
                scheme=InsuranceScheme.RESIDENT,
                premium=decimal.Decimal("380.00"),
                premium_paid_by_government=True,
                critical_illness_covered=True,
            )
        )


async def stay(
    h: Harness,
    person: Person,
    admitted: dt.date,
    discharged: dt.date | None,
    *,
    serious: bool = False,
) -> Hospitalisation:
    async with h.session() as session, session.begin():
        row = Hospitalisation(
            person_id=person.id,
            hospital="临汾市人民医院",
            admitted_on=admitted,
            discharged_on=discharged,
            serious=serious,
        )
        session.add(row)
    return row


async def claim(
    h: Harness,
    person: Person,
    total: str,
    out_of_pocket: str,
    settled: dt.date,
    hospitalisation: Hospitalisation | None = None,
) -> MedicalAidClaim:
    total_cost = decimal.Decimal(total)
    paid = decimal.Decimal(out_of_pocket)
    insurance = ((total_cost - paid) * decimal.Decimal("0.7")).quantize(decimal.Decimal("0.01"))
    async with h.session() as session, session.begin():
        row = MedicalAidClaim(
            person_id=person.id,
            hospitalisation_id=None if hospitalisation is None else hospitalisation.id,
            total_cost=total_cost,
            paid_by_insurance=insurance,
            paid_by_medical_aid=total_cost - paid - insurance,
            paid_by_donations=decimal.Decimal("0.00"),
            out_of_pocket=paid,
            settled_on=settled,
        )
        session.add(row)
    return row


async def certify(h: Harness, person: Person, category: Category = Category.DIBAO) -> None:
    organisation = await h.organisation(f"{person.region_code[:6]}-civil-affairs")
    async with h.session() as session, session.begin():
        session.add(
            CategoryAssignment(
                person_id=person.id,
                category=category,
                valid_from=dt.date(2020, 1, 1),
                certifying_organisation_id=organisation.id,
            )
        )


async def pair(h: Harness, username: str, person: Person) -> None:
    async with h.session() as session, session.begin():
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        session.add(
            Pairing(
                person_id=person.id,
                official_id=user.id,
                start_date=today() - dt.timedelta(days=30),
            )
        )


async def row_counts(h: Harness) -> dict[str, int]:
    async with h.session() as session:
        return {
            model.__tablename__: int(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )
            for model in MEDICAL_TABLES
        }


def error_paths(answer: dict[str, Any], code: str = "FORBIDDEN") -> set[str]:
    return {
        ".".join(str(p) for p in e["path"])
        for e in answer.get("errors", [])
        if e.get("extensions", {}).get("code") == code
    }
