"""Demo rows of the housing plugin: appraisals, renovations, aid and disasters.

Most dwellings are appraised A or B; a few are C or D, with renovations in every status
(and some older dangerous houses renovated and accepted on a new appraisal); a few
households get rental subsidies or public rental housing; a couple of dwellings were hit
by a disaster, some already responded to. Every random choice comes from ``rng``.
"""

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import Organisation, today
from bangfu.plugins.housing.models import (
    AidKind,
    DisasterKind,
    DisasterReport,
    FundingSource,
    HousingAid,
    RenovationProject,
    RenovationStatus,
    SafetyAppraisal,
    SafetyGrade,
)

HOUSING_BUREAU = "141000-housing"  # 临汾市住房和城乡建设局 (reference data)
APPRAISERS = (
    "临汾市房屋安全鉴定站",
    "山西省建筑科学研究院房屋安全鉴定所",
    "临汾市建设工程质量检测中心",
    "山西四建集团房屋安全鉴定中心",
)
PROGRAMMES = (
    "中央财政农村危房改造补助资金",
    "山西省农村危房改造省级补助资金",
    "临汾市农村低收入群体住房安全保障资金",
)
DONORS = ("临汾市慈善总会", "山西省扶贫开发基金会", "临汾市工商业联合会", "尧都区爱心企业联合会")
DAMAGE = {
    DisasterKind.FLOOD: "暴雨致院墙倒塌，正房后墙开裂渗水",
    DisasterKind.FIRE: "厨房失火，屋顶梁架烧毁，两间房屋无法居住",
    DisasterKind.EARTHQUAKE: "地震致墙体多处裂缝，屋面瓦片脱落",
    DisasterKind.OTHER: "大风掀翻屋顶彩钢瓦，窗户损毁",
}
RESPONSES = (
    "乡镇干部当日入户查看，发放应急救助金2000元，协助临时安置到亲属家",
    "帮扶干部联系住建部门现场评估，送去被褥和米面油，安排维修",
)
PUBLIC_RENTAL_ESTATES = ("尧都区汾河花园公租房", "侯马市新田公租房小区", "霍州市开元公租房")


def _reference(rng: random.Random, day: dt.date) -> str:
    return f"LF-JD-{day.year}-{rng.randint(1, 9999):04d}"


def _subsidy(rng: random.Random, grade: SafetyGrade) -> Decimal:
    low, high = (8000, 20000) if grade is SafetyGrade.C else (20000, 45000)
    return Decimal(rng.randrange(low, high, 500)).quantize(Decimal("0.01"))


def _funding(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.85:
        return {
            "funding_source": FundingSource.GOVERNMENT_PROGRAMME,
            "programme_name": rng.choice(PROGRAMMES),
        }
    return {"funding_source": FundingSource.SOCIAL_DONATION, "donor": rng.choice(DONORS)}


def _appraisal(
    rng: random.Random,
    household_id: int,
    grade: SafetyGrade,
    day: dt.date,
    bureau: int | None = None,
) -> SafetyAppraisal:
    """An appraisal by a named appraisal body, or (a quarter of them) by the housing
    bureau of the registry."""
    by_bureau = bureau is not None and rng.random() < 0.25
    return SafetyAppraisal(
        household_id=household_id,
        grade=grade,
        appraised_on=day,
        appraising_organisation_id=bureau if by_bureau else None,
        appraiser_name=None if by_bureau else rng.choice(APPRAISERS),
        report_reference=_reference(rng, day),
    )


def _project(
    rng: random.Random,
    household_id: int,
    appraisal: SafetyAppraisal,
    status: RenovationStatus,
    until: dt.date,
) -> RenovationProject:
    """A project answering ``appraisal``, moved on to ``status`` (at most COMPLETED), its
    step dates spread between the appraisal and ``until``."""
    steps = list(RenovationStatus).index(status) + 1
    span = max((until - appraisal.appraised_on).days, 0)
    offsets = sorted(rng.randint(0, span) for _ in range(steps))
    dates = [appraisal.appraised_on + dt.timedelta(days=o) for o in offsets]
    names = ("planned_on", "approved_on", "started_on", "completed_on")[: len(dates)]
    named = dict(zip(names, dates, strict=True))
    return RenovationProject(
        household_id=household_id,
        status=status,
        appraisal_id=appraisal.id,
        subsidy_amount=_subsidy(rng, appraisal.grade),
        **_funding(rng),
        **named,
    )


async def add_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    from bangfu.demo.rows import insert_objects  # bangfu.demo loads only for demo data

    day = today()
    bureau = await session.scalar(
        select(Organisation.id).where(Organisation.code == HOUSING_BUREAU)
    )
    appraisals: list[tuple[Any, SafetyAppraisal, str]] = []  # (household, appraisal, plan)
    for household in households:
        if rng.random() < 0.15:
            continue  # never appraised
        grade = rng.choices(list(SafetyGrade), weights=(52, 36, 8, 4))[0]
        if grade in (SafetyGrade.A, SafetyGrade.B) and rng.random() < 0.08:
            # A dangerous house renovated and accepted: old C/D, then the new appraisal.
            old = _appraisal(
                rng,
                household.id,
                rng.choice((SafetyGrade.C, SafetyGrade.D)),
                day - dt.timedelta(days=rng.randint(900, 1500)),
                bureau,
            )
            appraisals.append((household, old, "renovated"))
            continue
        appraised_on = day - dt.timedelta(days=rng.randint(30, 900))
        appraisal = _appraisal(rng, household.id, grade, appraised_on, bureau)
        appraisals.append((household, appraisal, ""))
    # Bulk inserts (bangfu.demo.rows); the projects refer to the appraisals' IDs.
    await insert_objects(session, [a for _h, a, _p in appraisals], ids=True)
    rows: list[Any] = []

    later: list[Any] = []
    for household, appraisal, plan in appraisals:
        if plan == "renovated":
            project = _project(
                rng, household.id, appraisal, RenovationStatus.COMPLETED, day - dt.timedelta(60)
            )
            assert project.completed_on is not None
            new_grade = SafetyGrade.A if rng.random() < 0.7 else SafetyGrade.B
            appraised_on = project.completed_on + dt.timedelta(days=rng.randint(5, 40))
            accepted = _appraisal(rng, household.id, new_grade, appraised_on, bureau)
            later.append((project, accepted, appraised_on + dt.timedelta(days=rng.randint(0, 20))))
            continue
        if appraisal.grade in (SafetyGrade.C, SafetyGrade.D):
            # Waiting, or PLANNED, APPROVED, UNDER_WAY, COMPLETED (awaiting acceptance).
            statuses = (None, *list(RenovationStatus)[:4])
            status = rng.choices(statuses, weights=(35, 15, 15, 25, 10))[0]
            if status is not None:
                rows.append(_project(rng, household.id, appraisal, status, day))
    await insert_objects(session, [accepted for _p, accepted, _d in later], ids=True)
    for project, accepted, accepted_on in later:
        project.status = RenovationStatus.ACCEPTED
        project.accepted_on = min(accepted_on, day)
        project.acceptance_appraisal_id = accepted.id
        rows.append(project)

    for household in households:
        draw = rng.random()
        if draw < 0.03:
            start = day - dt.timedelta(days=rng.randint(0, 700))
            rows.append(
                HousingAid(
                    household_id=household.id,
                    kind=AidKind.RENTAL_SUBSIDY,
                    monthly_amount=Decimal(rng.randrange(200, 650, 50)).quantize(Decimal("0.01")),
                    period_start=start,
                    period_end=start + dt.timedelta(days=365 * rng.choice((1, 2)) - 1),
                )
            )
        elif draw < 0.045:
            start = day - dt.timedelta(days=rng.randint(0, 1000))
            rows.append(
                HousingAid(
                    household_id=household.id,
                    kind=AidKind.PUBLIC_RENTAL_HOUSING,
                    monthly_amount=Decimal(rng.randrange(150, 400, 10)).quantize(Decimal("0.01")),
                    period_start=start,
                    period_end=start + dt.timedelta(days=365 * 3 - 1),
                    dwelling_address=f"{rng.choice(PUBLIC_RENTAL_ESTATES)}"
                    f"{rng.randint(1, 12)}号楼{rng.randint(1, 6)}单元{rng.randint(101, 1802)}",
                )
            )

    hit = rng.sample(list(households), k=min(len(households), max(2, len(households) // 100)))
    for i, household in enumerate(hit):
        kind = rng.choice(list(DisasterKind))
        occurred_on = day - dt.timedelta(days=rng.randint(1, 200))
        responded = i % 2 == 0 and occurred_on < day
        rows.append(
            DisasterReport(
                household_id=household.id,
                kind=kind,
                occurred_on=occurred_on,
                damage=DAMAGE[kind],
                reported_on=min(occurred_on + dt.timedelta(days=rng.randint(0, 2)), day),
                responded_on=min(occurred_on + dt.timedelta(days=rng.randint(1, 5)), day)
                if responded
                else None,
                response=rng.choice(RESPONSES) if responded else None,
            )
        )
    await insert_objects(session, rows)
