"""Demo data of the education plugin: schooling histories and this school year's aid.

Most children are at school at the stage their age suggests, with their earlier stages
as GRADUATED history; a few of compulsory age have no record (unaccounted for); a few
dropped out this school year; most children in a hardship category received aid this
school year from a government programme, some from a donation as well.
"""

import datetime as dt
import decimal
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import age_on
from bangfu.core.effective import in_force
from bangfu.core.registry.models import CategoryAssignment, Organisation
from bangfu.plugins.education.models import (
    AidKind,
    EducationAid,
    Enrolment,
    EnrolmentStatus,
    FundingSource,
    SchoolStage,
)
from bangfu.plugins.education.rules import school_year

CITY = "141000"
SUFFIX = {
    SchoolStage.PRESCHOOL: "幼儿园",
    SchoolStage.PRIMARY: "小学",
    SchoolStage.JUNIOR_SECONDARY: "初级中学",
    SchoolStage.SENIOR_SECONDARY: "中学",
    SchoolStage.SECONDARY_VOCATIONAL: "职业中学",
}
#: (stage, age at which it starts, years it lasts)
STAGES = (
    (SchoolStage.PRIMARY, 6, 6),
    (SchoolStage.JUNIOR_SECONDARY, 12, 3),
    (SchoolStage.SENIOR_SECONDARY, 15, 3),
)
#: Government aid per stage: (kind, programme, amount per term in yuan).
GOVERNMENT_AID = {
    SchoolStage.PRESCHOOL: (AidKind.TUITION_WAIVER, "学前教育资助", "750.00"),
    SchoolStage.PRIMARY: (
        AidKind.BOARDING_SUBSIDY,
        "义务教育家庭经济困难学生生活补助",
        "500.00",
    ),
    SchoolStage.JUNIOR_SECONDARY: (
        AidKind.BOARDING_SUBSIDY,
        "义务教育家庭经济困难学生生活补助",
        "625.00",
    ),
    SchoolStage.SENIOR_SECONDARY: (AidKind.SCHOLARSHIP, "普通高中国家助学金", "1000.00"),
    SchoolStage.SECONDARY_VOCATIONAL: (AidKind.SCHOLARSHIP, "中等职业教育国家助学金", "1000.00"),
}
#: Donation programmes of the mass organisations: (donor, organisation code suffix).
DONORS = (
    ("希望工程", "youth-league"),
    ("春蕾计划", "womens-federation"),
    ("金秋助学", "trade-union"),
)
DROPOUT_REASONS = ("家庭经济困难", "厌学", "外出务工", "长期患病")


async def add_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random, day: dt.date
) -> None:
    from bangfu.demo.rows import insert_objects  # bangfu.demo loads only for demo data

    first_day, _ = school_year(day)
    in_hardship = set(
        (
            await session.scalars(
                select(CategoryAssignment.person_id).where(
                    in_force(
                        CategoryAssignment.valid_from,
                        CategoryAssignment.valid_to,
                        day,
                        end_inclusive=True,
                    ),
                )
            )
        ).all()
    )
    organisations = {
        o.code.removeprefix(f"{CITY}-"): o.id
        for o in await session.scalars(
            select(Organisation).where(
                Organisation.code.in_(
                    [f"{CITY}-education", *(f"{CITY}-{code}" for _, code in DONORS)]
                )
            )
        )
    }
    rows: list[Any] = []
    for household in households:
        for person, _relation in household.demo_members:
            age = age_on(person.birth_date, day)
            if person.deceased or not 3 <= age <= 17:
                continue
            periods = _schooling(person, age, first_day, day, rng)
            rows += periods
            current = next((p for p in periods if p.end_date is None), None)
            if current is not None and current.stage is not None and person.id in in_hardship:
                rows += _aid(person.id, current.stage, first_day, day, organisations, rng)
    await insert_objects(session, rows)


def _schooling(
    person: Any, age: int, first_day: dt.date, day: dt.date, rng: random.Random
) -> list[Enrolment]:
    county = person.region_code[:6]

    def period(
        stage: SchoolStage,
        start_year: int,
        end: dt.date | None = None,
        status: EnrolmentStatus = EnrolmentStatus.ENROLLED,
        grade: int | None = None,
    ) -> Enrolment:
        return Enrolment(
            person_id=person.id,
            school_name=f"{rng.choice(['第一', '第二', '实验', '城关', '中心'])}{SUFFIX[stage]}",
            school_region_code=county,
            stage=stage,
            grade=grade,
            status=status,
            start_date=dt.date(start_year, 9, 1),
            end_date=end,
        )

    if age < 6:
        if rng.random() < 0.75:
            return [period(SchoolStage.PRESCHOOL, first_day.year - min(age - 3, 2))]
        return []
    if age <= 15 and rng.random() < 0.02:
        return []  # unaccounted for: nobody recorded where this child is
    # Years at school when this school year began (a child starts primary at 6).
    years = max(first_day.year - person.birth_date.year - 6, 0)
    started = first_day.year - years
    periods = []
    for stage, from_age, length in STAGES:
        begins = started + from_age - 6
        if begins > first_day.year:
            break
        ends = begins + length
        if ends <= first_day.year:  # finished: history
            periods.append(
                period(stage, begins, dt.date(ends, 7, 1), EnrolmentStatus.GRADUATED, length)
            )
            continue
        grade = first_day.year - begins + 1
        if stage is SchoolStage.SENIOR_SECONDARY and rng.random() < 0.25:
            stage = SchoolStage.SECONDARY_VOCATIONAL
        if stage is SchoolStage.SENIOR_SECONDARY and rng.random() < 0.1:
            break  # left school after junior secondary: no longer compulsory
        current = period(stage, begins, grade=grade)
        if 12 <= age <= 16 and rng.random() < 0.04:
            current.status = EnrolmentStatus.DROPPED_OUT
            current.end_date = first_day + dt.timedelta(
                days=rng.randint(0, max((day - first_day).days - 1, 0))
            )
            current.end_reason = rng.choice(DROPOUT_REASONS)
        periods.append(current)
        break
    return periods


def _aid(
    person_id: int,
    stage: SchoolStage,
    first_day: dt.date,
    day: dt.date,
    organisations: dict[str, int],
    rng: random.Random,
) -> list[EducationAid]:
    if rng.random() < 0.2:
        return []  # not yet granted anything this school year: GOOD_SCHOOL at risk

    def granted_on() -> dt.date:
        return first_day + dt.timedelta(days=rng.randint(0, (day - first_day).days))

    kind, programme, amount = GOVERNMENT_AID[stage]
    rows = [
        EducationAid(
            person_id=person_id,
            kind=kind,
            amount=decimal.Decimal(amount),
            granted_on=granted_on(),
            funding_source=FundingSource.GOVERNMENT_PROGRAMME,
            programme=programme,
            granting_organisation_id=organisations["education"],
        )
    ]
    if rng.random() < 0.25:
        donor, organisation = rng.choice(DONORS)
        rows.append(
            EducationAid(
                person_id=person_id,
                kind=rng.choice([AidKind.SCHOLARSHIP, AidKind.TRANSPORT, AidKind.OTHER]),
                amount=decimal.Decimal(rng.randrange(300, 1001, 50)).quantize(
                    decimal.Decimal("0.01")
                ),
                granted_on=granted_on(),
                funding_source=FundingSource.SOCIAL_DONATION,
                donor=donor,
                granting_organisation_id=organisations[organisation],
            )
        )
    return rows
