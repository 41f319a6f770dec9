"""Demo rows of the employment plugin (``bangfu demo``): plausible, fictitious, reproducible.

Most adults work (employed, or self-employed on the land or in a small business); some have
been seeking work for weeks, others for many months; a few are in training, many have a
training behind them; placements come with the wages agreed; a few hold public-welfare
posts (公益性岗位); students, retirees and those unable to work have their status too.
Every random choice is drawn from ``rng``.
"""

import dataclasses
import datetime as dt
import decimal
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import birthday
from bangfu.core.calendar import age_on
from bangfu.plugins.employment.models import (
    JobPlacement,
    PublicWelfarePost,
    Training,
    UnableReason,
    WorkStatus,
    WorkStatusRecord,
)
from bangfu.plugins.employment.service import WELFARE_POST_EMPLOYER

EMPLOYERS = (
    ("临汾钢铁有限公司", "炉前工"),
    ("尧都区建筑工程队", "钢筋工"),
    ("洪洞县农业专业合作社", "种植工"),
    ("临汾顺达物流公司", "分拣员"),
    ("襄汾县食品厂", "包装工"),
    ("霍州市家政服务中心", "家政服务员"),
    ("侯马市汽车修理厂", "修理工"),
    ("曲沃县物业管理公司", "保安"),
    ("临汾市连锁超市", "理货员"),
    ("乡宁县煤矿", "井下辅助工"),
)
BUSINESSES = ("种植玉米小麦", "养殖肉牛", "小卖部", "农村客运", "电商卖苹果", "理发店", "蒸馍铺")
COURSES = (
    ("电工", "临汾市技工学校"),
    ("育婴员", "临汾市职业技能培训中心"),
    ("中式面点师", "尧都区职业培训学校"),
    ("电子商务", "山西省农业广播电视学校临汾分校"),
    ("挖掘机操作", "临汾市技工学校"),
    ("养老护理员", "临汾市职业技能培训中心"),
    ("果树修剪", "县农业技术推广中心"),
)
WELFARE_POSTS = ("村保洁员", "护林员", "公路养护员", "村级水管员", "乡村公益专岗")


def _yuan(rng: random.Random, low: int, high: int) -> decimal.Decimal:
    return decimal.Decimal(rng.randrange(low, high, 10)).quantize(decimal.Decimal("0.01"))


@dataclasses.dataclass
class DemoRows:
    """Rows to insert, one list per table (one multi-row INSERT each)."""

    statuses: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    trainings: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    placements: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    welfare_posts: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def status(self, person_id: int, status: WorkStatus, since: dt.date, **fields: Any) -> None:
        """Add a status, closing the person's previous one the day before."""
        previous = self.statuses[-1] if self.statuses else None
        if previous is not None and previous["person_id"] == person_id:
            previous["until"] = since - dt.timedelta(days=1)
        self.statuses.append(
            {
                "person_id": person_id,
                "status": status,
                "since": since,
                "until": None,
                "employer": None,
                "monthly_income": None,
                "unable_reason": None,
                "disability_grade": None,
                "reason_detail": None,
            }
            | fields
        )

    def training(
        self, person_id: int, start: dt.date, end: dt.date, day: dt.date, rng: random.Random
    ) -> str:
        course, provider = rng.choice(COURSES)
        self.trainings.append(
            {
                "person_id": person_id,
                "course": course,
                "provider": provider,
                "start_date": start,
                "end_date": end,
                "completed": end < day,
            }
        )
        return course


def _days_ago(day: dt.date, rng: random.Random, low: int, high: int) -> dt.date:
    return day - dt.timedelta(days=rng.randint(low, high))


def plan_person(rows: DemoRows, person: Any, day: dt.date, rng: random.Random) -> None:
    """The work history of one person of 16 or more."""
    pid, age = person.id, age_on(person.birth_date, day)
    adult_from = birthday(person.birth_date, 16)
    if age >= 60:
        rows.status(pid, WorkStatus.RETIRED, birthday(person.birth_date, 60))
        return
    grade = person.disability_grade
    if grade is not None and grade <= 2:
        rows.status(
            pid,
            WorkStatus.UNABLE_TO_WORK,
            max(adult_from, _days_ago(day, rng, 200, 3000)),
            unable_reason=UnableReason.DISABILITY,
            disability_grade=grade,
        )
        return
    if age < 19 or (age < 23 and rng.random() < 0.35):
        rows.status(pid, WorkStatus.STUDENT, adult_from)
        return

    started = max(adult_from, _days_ago(day, rng, 400, 3000))
    kind = rng.choices(
        ["employed", "self", "seeking", "training", "welfare", "ill"],
        weights=(42, 26, 13, 4, 8 if grade is None else 30, 3),
    )[0]
    if kind == "ill":
        rows.status(
            pid,
            WorkStatus.UNABLE_TO_WORK,
            _days_ago(day, rng, 60, 900),
            unable_reason=UnableReason.ILLNESS,
            reason_detail="长期慢性病",
        )
    elif kind == "self":
        rows.status(
            pid,
            WorkStatus.SELF_EMPLOYED,
            started,
            employer=rng.choice(BUSINESSES),
            monthly_income=_yuan(rng, 900, 3800) if rng.random() < 0.8 else None,
        )
    elif kind == "employed":
        employer, post = rng.choice(EMPLOYERS)
        since = max(adult_from + dt.timedelta(days=365), _days_ago(day, rng, 30, 2500))
        if rng.random() < 0.4:  # out of work for a while before this job
            rows.status(
                pid, WorkStatus.SEEKING_WORK, since - dt.timedelta(days=rng.randint(40, 300))
            )
        wage = _yuan(rng, 1800, 5200)
        rows.status(pid, WorkStatus.EMPLOYED, since, employer=employer, monthly_income=wage)
        if rng.random() < 0.35:  # found through the department: a placement
            rows.placements.append(
                {
                    "person_id": pid,
                    "employer": employer,
                    "post": post,
                    "start_date": since,
                    "end_date": None,
                    "monthly_wage": wage,
                }
            )
        end = since - dt.timedelta(days=rng.randint(5, 60))
        if rng.random() < 0.25 and end - dt.timedelta(days=90) > adult_from:
            rows.training(pid, end - dt.timedelta(days=rng.randint(20, 90)), end, day, rng)
    elif kind == "seeking":
        since = _days_ago(day, rng, 10, 500)  # some for weeks, some for well over 90 days
        worked_from = since - dt.timedelta(days=rng.randint(200, 1500))
        if rng.random() < 0.5 and worked_from > adult_from:
            employer, _post = rng.choice(EMPLOYERS)
            rows.status(
                pid,
                WorkStatus.EMPLOYED,
                worked_from,
                employer=employer,
                monthly_income=_yuan(rng, 1800, 4000),
            )
        rows.status(pid, WorkStatus.SEEKING_WORK, since)
        if rng.random() < 0.3:
            end = min(day - dt.timedelta(days=1), since + dt.timedelta(days=rng.randint(30, 120)))
            rows.training(pid, end - dt.timedelta(days=rng.randint(20, 60)), end, day, rng)
    elif kind == "training":
        start = _days_ago(day, rng, 5, 60)
        rows.status(pid, WorkStatus.SEEKING_WORK, start - dt.timedelta(days=rng.randint(30, 200)))
        rows.status(pid, WorkStatus.IN_TRAINING, start)
        rows.training(pid, start, start + dt.timedelta(days=rng.randint(30, 90)), day, rng)
    else:  # a public-welfare post, often for the partly disabled and the over-45s
        start = max(adult_from + dt.timedelta(days=400), _days_ago(day, rng, 20, 900))
        post, subsidy = rng.choice(WELFARE_POSTS), _yuan(rng, 800, 2100)
        rows.welfare_posts.append(
            {
                "person_id": pid,
                "post": post,
                "monthly_subsidy": subsidy,
                "start_date": start,
                "end_date": start + dt.timedelta(days=3 * 365),
            }
        )
        rows.status(pid, WorkStatus.SEEKING_WORK, start - dt.timedelta(days=rng.randint(60, 400)))
        rows.status(
            pid,
            WorkStatus.EMPLOYED,
            start,
            employer=f"{WELFARE_POST_EMPLOYER}：{post}",
            monthly_income=subsidy,
        )


async def add_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random, day: dt.date
) -> None:
    rows = DemoRows()
    for household in households:
        for person, _relation in household.demo_members:
            if age_on(person.birth_date, day) >= 16 and not person.deceased:
                plan_person(rows, person, day, rng)
    for model, values in (
        (WorkStatusRecord, rows.statuses),
        (Training, rows.trainings),
        (JobPlacement, rows.placements),
        (PublicWelfarePost, rows.welfare_posts),
    ):
        if values:
            await session.execute(insert(model), values)
