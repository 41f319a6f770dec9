"""Screening demo data: the city's campaign with visits and problems, plans with
measures for the key households, and social donations allocated to measures."""

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import CHINA
from bangfu.core.care.donation_models import Donation, DonationAllocation
from bangfu.core.care.enums import (
    FundingSource,
    MeasureStatus,
    ProblemDomain,
    Severity,
    VisitOutcome,
)
from bangfu.core.care.plan_models import AssistancePlan, Measure, MeasureProblem
from bangfu.core.care.screening_models import (
    Problem,
    ScreeningCampaign,
    ScreeningTarget,
    ScreeningVisit,
)
from bangfu.core.effective import current, in_force
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Household,
    Membership,
    Organisation,
    Person,
)
from bangfu.core.registry.reference import CITY_CODE
from bangfu.demo import grassroots
from bangfu.demo.rows import insert_ids, insert_rows

PROBLEMS = {
    ProblemDomain.LIVING: "冬季取暖困难，口粮不足",
    ProblemDomain.EDUCATION: "孩子有辍学风险，学习用品短缺",
    ProblemDomain.MEDICAL: "慢性病长期服药，自付费用高",
    ProblemDomain.HOUSING: "房屋墙体开裂，属危房",
    ProblemDomain.EMPLOYMENT: "家中劳动力无稳定工作",
    ProblemDomain.CARE: "老人独居，无人照料",
}
MEASURES = {
    ProblemDomain.LIVING: ("发放临时救助金和取暖补贴", f"{CITY_CODE}-civil-affairs"),
    ProblemDomain.EDUCATION: ("落实教育资助，联系学校结对帮扶", f"{CITY_CODE}-education"),
    ProblemDomain.MEDICAL: ("纳入医疗救助，办理慢性病门诊", f"{CITY_CODE}-medical"),
    ProblemDomain.HOUSING: ("纳入危房改造计划", f"{CITY_CODE}-housing"),
    ProblemDomain.EMPLOYMENT: ("推荐公益性岗位，参加技能培训", f"{CITY_CODE}-employment"),
    ProblemDomain.CARE: ("安排邻里互助和定期探访", f"{CITY_CODE}-civil-affairs"),
}


@dataclasses.dataclass(frozen=True)
class ScreeningDemo:
    targets: int
    visits: int
    plans: int
    measures: int
    donations: int


async def load_screening_demo(
    session: AsyncSession, households: Sequence[Household], rng: random.Random, today: dt.date
) -> ScreeningDemo:
    # A campaign of 60 days that ended yesterday: screening coverage counts a campaign from
    # its end (docs/indicators.md), so the demo's assessment has its figures.
    start = today - dt.timedelta(days=60)
    campaign = (
        await insert_ids(
            session,
            ScreeningCampaign,
            [
                {
                    "name": f"{start.year}年全市特困群体全面排查",
                    "region_code": CITY_CODE,
                    "area_path": f"{CITY_CODE}/",
                    "starts_on": start,
                    "ends_on": today - dt.timedelta(days=1),
                    "created_by_id": None,
                }
            ],
        )
    )[0]
    visitors = {
        o.region_code: o.id
        for o in await session.scalars(
            select(Organisation).where(Organisation.code.like("%-civil-affairs"))
        )
    }
    grassroots_visitors = await _grassroots_visitors(session)
    key_persons = set(await session.scalars(select(Person.id).where(Person.is_key_person)))
    hardship = await _hardship_households(session, start)
    targets, visits, problem_rows = [], [], []
    for household in households:
        if household.id not in hardship:
            continue
        outcome = _outcome(rng)
        visited_on = start + dt.timedelta(days=rng.randint(0, 59)) if outcome else None
        targets.append(
            {
                "campaign_id": campaign,
                "household_id": household.id,
                "household_path": household.area_path,
                "last_outcome": outcome,
                "last_visited_on": visited_on,
            }
        )
        if outcome is None:
            continue
        visitor_id, organisation_id = None, visitors[household.area_path.split("/")[1]]
        for prefix, (user_id, unit_id) in grassroots_visitors.items():
            if household.area_path.startswith(prefix):
                visitor_id, organisation_id = user_id, unit_id
                break
        visits.append(
            {
                "campaign_id": campaign,
                "household_id": household.id,
                "visited_on": visited_on,
                "visitor_id": visitor_id,
                "organisation_id": organisation_id,
                "outcome": outcome,
                "notes": None,
            }
        )
        problem_rows.append(_problems(household, outcome, key_persons, rng))
    visit_ids = await insert_ids(session, ScreeningVisit, visits)
    await insert_rows(session, ScreeningTarget, targets)
    problems = [
        {**row, "visit_id": visit_id}
        for visit_id, rows in zip(visit_ids, problem_rows, strict=True)
        for row in rows
    ]
    problem_ids = await insert_ids(session, Problem, problems)
    visited: dict[int, dt.date] = {v["household_id"]: v["visited_on"] for v in visits}  # type: ignore[misc]
    plans, measures = await _plans(session, problems, problem_ids, visited, rng, today)
    donations = await _donations(session, measures, rng, today)
    return ScreeningDemo(len(targets), len(visits), plans, len(measures), donations)


async def _grassroots_visitors(session: AsyncSession) -> dict[str, tuple[int | None, int]]:
    """Who visits in the demo township (R7): by region path, most specific first, the demo
    grassroots worker (None when the demo users were not created) and their organisation.
    新城村's visits are the village worker's for its Party branch, the rest of 新城镇's the
    township worker's for its Party committee."""
    from bangfu.core.registry.models import Region
    from bangfu.core.security.models import User

    found: dict[str, tuple[int | None, int]] = {}
    for region_code, username, unit in (
        (grassroots.VILLAGE_CODE, grassroots.VILLAGE_USERNAME, grassroots.VILLAGE_PARTY_BRANCH),
        (
            grassroots.TOWNSHIP_CODE,
            grassroots.TOWNSHIP_USERNAME,
            grassroots.TOWNSHIP_PARTY_COMMITTEE,
        ),
    ):
        region = await session.get(Region, region_code)
        unit_id = await session.scalar(select(Organisation.id).where(Organisation.code == unit))
        if region is None or unit_id is None:
            continue
        user_id = await session.scalar(select(User.id).where(User.username == username))
        found[region.path] = (user_id, unit_id)
    return found


async def _hardship_households(session: AsyncSession, on: dt.date) -> set[int]:
    """Households with a current member holding a hardship category on ``on``."""
    holders = select(CategoryAssignment.person_id).where(
        in_force(CategoryAssignment.valid_from, CategoryAssignment.valid_to, on, end_inclusive=True)
    )
    return set(
        await session.scalars(
            select(Membership.household_id).where(
                current(Membership.start_date, Membership.end_date, on),
                Membership.person_id.in_(holders),
            )
        )
    )


def _outcome(rng: random.Random) -> VisitOutcome | None:
    draw = rng.random()
    if draw < 0.08:
        return None  # not visited yet
    if draw < 0.12:
        return VisitOutcome.NOT_FOUND
    if draw < 0.14:
        return VisitOutcome.REFUSED
    return VisitOutcome.VISITED


def _problems(
    household: Household, outcome: VisitOutcome, key_persons: set[int], rng: random.Random
) -> list[dict[str, Any]]:
    """Key problems for key households (about the key persons), a few ordinary ones."""
    if outcome is not VisitOutcome.VISITED:
        return []
    members = [person.id for person, _relation in getattr(household, "demo_members", [])]
    rows = []
    if household.is_key_household:
        for person_id in [p for p in members if p in key_persons][:2] or [None]:
            rows.append(_problem(household, person_id, True, Severity.HIGH, rng))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        rows.append(_problem(household, None, False, rng.choice(list(Severity)), rng))
    return rows


def _problem(
    household: Household, person_id: int | None, key: bool, severity: Severity, rng: random.Random
) -> dict[str, Any]:
    domain = rng.choice(list(ProblemDomain))
    return {
        "household_id": household.id,
        "person_id": person_id,
        "domain": domain,
        "description": PROBLEMS[domain],
        "severity": severity,
        "is_key": key,
    }


def _started(day: dt.date) -> dt.datetime:
    """10:00 in China on ``day``, the instant a plan was started, stored in UTC."""
    return dt.datetime.combine(day, dt.time(10), tzinfo=CHINA).astimezone(dt.UTC)


async def _plans(
    session: AsyncSession,
    problems: list[dict[str, Any]],
    problem_ids: list[int],
    visited: dict[int, dt.date],
    rng: random.Random,
    today: dt.date,
) -> tuple[int, list[dict[str, Any]]]:
    """A plan for every household with key problems, started on the day of the visit that
    found them; 85% of them answered by a measure, none due before its plan was started."""
    organisations = {
        o.code: o.id
        for o in await session.scalars(
            select(Organisation).where(
                Organisation.code.in_({code for _, code in MEASURES.values()})
            )
        )
    }
    key = [(p, pid) for p, pid in zip(problems, problem_ids, strict=True) if p["is_key"]]
    households = sorted({p["household_id"] for p, _ in key})
    plan_ids = dict(
        zip(
            households,
            await insert_ids(
                session,
                AssistancePlan,
                [{"household_id": h, "created_at": _started(visited[h])} for h in households],
            ),
            strict=True,
        )
    )
    answered = [(p, pid) for p, pid in key if rng.random() < 0.85]
    measures = []
    for problem, _pid in answered:
        description, organisation = MEASURES[problem["domain"]]
        status = rng.choices(list(MeasureStatus), (30, 40, 25, 5))[0]
        measures.append(
            {
                "plan_id": plan_ids[problem["household_id"]],
                "household_id": problem["household_id"],
                "domain": problem["domain"],
                "description": description,
                "responsible_organisation_id": organisations[organisation],
                "deadline": max(
                    visited[problem["household_id"]],
                    today + dt.timedelta(days=rng.randint(-20, 90)),
                ),
                "status": status,
                "status_reason": "已由其他渠道解决" if status is MeasureStatus.CANCELLED else None,
                "funding_source": rng.choices(list(FundingSource), (7, 3))[0],
            }
        )
    measure_ids = await insert_ids(session, Measure, measures)
    await insert_rows(
        session,
        MeasureProblem,
        [
            {"measure_id": mid, "problem_id": pid, "household_id": problem["household_id"]}
            for mid, (problem, pid) in zip(measure_ids, answered, strict=True)
        ],
    )
    for measure, measure_id in zip(measures, measure_ids, strict=True):
        measure["id"] = measure_id
    return len(plan_ids), measures


async def _donations(
    session: AsyncSession, measures: list[dict[str, Any]], rng: random.Random, today: dt.date
) -> int:
    """The city charity's donation, allocated in part to measures funded by donations."""
    funded = [
        m
        for m in measures
        if m["funding_source"] is FundingSource.SOCIAL_DONATION
        and m["status"] is not MeasureStatus.CANCELLED
    ]
    amounts = [rng.randint(5, 30) * 10_000 for _ in funded]  # 500 to 3000 yuan, in fen
    total = 50_000_000  # 500,000 yuan
    allocations, allocated = [], 0
    for measure, amount in zip(funded, amounts, strict=True):
        if allocated + amount > total:
            break
        allocated += amount
        allocations.append((measure, amount))
    rows = [
        {
            "donor": "临汾市慈善总会",
            "amount_fen": total,
            "allocated_fen": allocated,
            "received_on": today - dt.timedelta(days=45),
            "region_code": CITY_CODE,
            "area_path": f"{CITY_CODE}/",
            "category": None,
            "domain": None,
            "recorded_by_id": None,
        },
        {
            "donor": "临汾市妇女联合会“春蕾”助学",
            "amount_fen": 8_000_000,
            "allocated_fen": 0,
            "received_on": today - dt.timedelta(days=20),
            "region_code": CITY_CODE,
            "area_path": f"{CITY_CODE}/",
            "category": Category.ORPHAN,
            "domain": ProblemDomain.EDUCATION,
            "recorded_by_id": None,
        },
    ]
    donation_ids = await insert_ids(session, Donation, rows)
    await insert_rows(
        session,
        DonationAllocation,
        [
            {
                "donation_id": donation_ids[0],
                "measure_id": measure["id"],
                "household_id": measure["household_id"],
                "amount_fen": amount,
                "allocated_on": today - dt.timedelta(days=rng.randint(0, 40)),
                "allocated_by_id": None,
            }
            for measure, amount in allocations
        ],
    )
    return len(rows)
