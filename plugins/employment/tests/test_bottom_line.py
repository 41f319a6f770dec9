"""WORK (有事干) and WELL_EMPLOYED (就好业), through ``PluginHost.bottom_line``."""

import datetime as dt
import decimal
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.bottomline import Finding, Indicator, Status
from bangfu.core.idnumber import make
from bangfu.core.registry.models import Person
from bangfu.demo import load_demo
from bangfu.plugins.employment.models import (
    JobPlacement,
    PublicWelfarePost,
    Training,
    UnableReason,
    WorkStatus,
    WorkStatusRecord,
)
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

AS_OF = dt.date(2026, 6, 30)
COUNTY = "141023"


def born(age: int) -> dt.date:
    return dt.date(AS_OF.year - age, 3, 15)


def ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def yuan(amount: str) -> decimal.Decimal:
    return decimal.Decimal(amount)


class People:
    """Persons of one household, made by age, each with the records given."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.wanted: list[tuple[str, int, list[Any]]] = []

    def add(self, key: str, age: int, *records: Any) -> None:
        self.wanted.append((key, age, list(records)))

    async def create(self) -> dict[str, Person]:
        members = [
            ("HEAD" if i == 0 else "OTHER", f"测试{i}", make(COUNTY, born(age), 10 + i))
            for i, (_key, age, _records) in enumerate(self.wanted)
        ]
        _, persons = await self.h.household(COUNTY, members)
        by_key = {key: person for (key, _age, _r), person in zip(self.wanted, persons, strict=True)}
        async with self.h.session() as session, session.begin():
            for (_key, _age, records), person in zip(self.wanted, persons, strict=True):
                for record in records:
                    record.person_id = person.id
                    session.add(record)
        return by_key


def status(kind: WorkStatus, since: dt.date, until: dt.date | None = None, **fields: Any) -> Any:
    return WorkStatusRecord(status=kind, since=since, until=until, **fields)


async def judge(h: Harness, persons: Sequence[Person]) -> dict[tuple[int, Indicator], Finding]:
    async with h.session() as session:
        findings = await h.host.bottom_line(persons, session, AS_OF)
    mine = [f for f in findings if f.module == "employment"]
    assert {f.indicator for f in mine} <= {Indicator.WORK, Indicator.WELL_EMPLOYED}
    found = {(f.person_id, f.indicator): f for f in mine}
    assert len(found) == len(mine)  # one finding per person and indicator
    return found


async def test_work_and_well_employed(harness: Harness) -> None:
    people = People(harness)
    people.add(
        "employed",
        40,
        status(WorkStatus.EMPLOYED, ago(400), employer="物流公司", monthly_income=yuan("2500")),
    )
    people.add(
        "self_low", 45, status(WorkStatus.SELF_EMPLOYED, ago(900), monthly_income=yuan("1200"))
    )
    people.add("self_unknown", 50, status(WorkStatus.SELF_EMPLOYED, ago(900)))
    people.add("seeking_long", 35, status(WorkStatus.SEEKING_WORK, ago(120)))
    people.add("seeking_short", 30, status(WorkStatus.SEEKING_WORK, ago(30)))
    people.add(
        "lost_job",
        33,
        status(WorkStatus.EMPLOYED, ago(800), ago(100), employer="钢铁厂"),
        status(WorkStatus.SEEKING_WORK, ago(99)),
    )
    people.add(
        "trained_lately",
        28,
        status(WorkStatus.SEEKING_WORK, ago(200)),
        Training(
            course="电工",
            provider="技工学校",
            start_date=ago(100),
            end_date=ago(40),
            completed=True,
        ),
    )
    people.add(
        "training_now",
        26,
        status(WorkStatus.SEEKING_WORK, ago(200)),
        Training(
            course="育婴员",
            provider="培训中心",
            start_date=ago(10),
            end_date=ago(-20),
            completed=False,
        ),
    )
    people.add(
        "placed",
        37,
        JobPlacement(
            employer="食品厂", post="包装工", start_date=ago(60), monthly_wage=yuan("3000.00")
        ),
    )
    people.add(
        "welfare_post",
        52,
        status(WorkStatus.SEEKING_WORK, ago(500)),
        PublicWelfarePost(
            post="护林员", monthly_subsidy=yuan("1000.00"), start_date=ago(90), end_date=ago(-900)
        ),
    )
    people.add(
        "hired_later",  # the history says what held on the day judged
        44,
        status(WorkStatus.SEEKING_WORK, ago(200), ago(-10)),
        status(WorkStatus.EMPLOYED, ago(-9), employer="超市"),
    )
    people.add("nothing_known", 41)
    persons = await people.create()
    found = await judge(harness, list(persons.values()))

    def verdict(key: str) -> tuple[Status, Status]:
        pid = persons[key].id
        return found[pid, Indicator.WORK].status, found[pid, Indicator.WELL_EMPLOYED].status

    def reasons(key: str, indicator: Indicator = Indicator.WORK) -> str:
        return " / ".join(found[persons[key].id, indicator].reasons)

    assert verdict("employed") == (Status.OK, Status.OK)
    assert reasons("employed") == "employed (物流公司)"
    assert "earns 2500.00 yuan a month" in reasons("employed", Indicator.WELL_EMPLOYED)
    assert verdict("self_low") == (Status.OK, Status.AT_RISK)
    assert "below the minimum" in reasons("self_low", Indicator.WELL_EMPLOYED)
    assert verdict("self_unknown") == (Status.OK, Status.AT_RISK)
    assert "no income on record" in reasons("self_unknown", Indicator.WELL_EMPLOYED)

    assert verdict("seeking_long") == (Status.AT_RISK, Status.AT_RISK)
    assert reasons("seeking_long") == (
        f"seeking work; no work or training since {ago(120).isoformat()}"
    )
    assert verdict("seeking_short") == (Status.OK, Status.AT_RISK)  # 30 days: not yet
    assert f"since {ago(30).isoformat()}" in reasons("seeking_short")
    assert verdict("lost_job") == (Status.AT_RISK, Status.AT_RISK)
    assert f"since {ago(99).isoformat()}" in reasons("lost_job")
    assert verdict("trained_lately") == (Status.OK, Status.AT_RISK)
    assert f"since {ago(39).isoformat()}" in reasons("trained_lately")
    assert verdict("training_now") == (Status.OK, Status.AT_RISK)
    assert reasons("training_now") == "in training (育婴员)"

    assert verdict("placed") == (Status.OK, Status.OK)
    assert reasons("placed") == "placed at 食品厂 as 包装工"
    assert verdict("welfare_post") == (Status.OK, Status.AT_RISK)
    assert reasons("welfare_post") == "public-welfare post 护林员"
    assert verdict("hired_later") == (Status.AT_RISK, Status.AT_RISK)

    # Nothing on record for a working-age person: UNKNOWN, and it says so.
    assert verdict("nothing_known") == (Status.UNKNOWN, Status.UNKNOWN)
    assert reasons("nothing_known") == "nothing on record"


async def test_not_applicable_to_children_students_retirees_and_those_unable(
    harness: Harness,
) -> None:
    people = People(harness)
    people.add("child", 10)
    people.add("fifteen", 15, status(WorkStatus.SEEKING_WORK, ago(300)))
    people.add("elder", 65)
    people.add("student", 18, status(WorkStatus.STUDENT, ago(700)))
    people.add("retired", 58, status(WorkStatus.RETIRED, ago(100)))
    people.add(
        "unable",
        47,
        status(
            WorkStatus.UNABLE_TO_WORK,
            ago(1000),
            unable_reason=UnableReason.DISABILITY,
            disability_grade=1,
        ),
    )
    persons = await people.create()
    found = await judge(harness, list(persons.values()))
    expected_reasons = {
        "child": "under 16",
        "fifteen": "under 16",
        "elder": "60 or older",
        "student": "a student",
        "retired": "retired",
        "unable": "unable to work",  # never why: that is sensitive
    }
    for key, reason in expected_reasons.items():
        for indicator in (Indicator.WORK, Indicator.WELL_EMPLOYED):
            finding = found[persons[key].id, indicator]
            assert finding.status is Status.NOT_APPLICABLE, key
            assert finding.reasons == (reason,)


async def test_a_deceased_person_is_not_applicable(harness: Harness) -> None:
    people = People(harness)
    people.add("gone", 40, status(WorkStatus.SEEKING_WORK, ago(300)))
    persons = await people.create()
    async with harness.session() as session, session.begin():
        person = await session.get_one(Person, persons["gone"].id)
        person.deceased = True
    async with harness.session() as session:
        rows = list((await session.scalars(select(Person))).all())
    found = await judge(harness, rows)
    assert found[persons["gone"].id, Indicator.WORK].status is Status.NOT_APPLICABLE


async def test_the_minimum_wage_is_configurable(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = People(harness)
    people.add("low", 45, status(WorkStatus.SELF_EMPLOYED, ago(900), monthly_income=yuan("1200")))
    persons = await people.create()
    key = (persons["low"].id, Indicator.WELL_EMPLOYED)
    assert (await judge(harness, [persons["low"]]))[key].status is Status.AT_RISK
    monkeypatch.setenv("BANGFU_EMPLOYMENT_MINIMUM_MONTHLY_WAGE", "1200.00")
    assert (await judge(harness, [persons["low"]]))[key].status is Status.OK


async def test_a_page_costs_the_same_statements_whatever_its_size(
    employment_only: Harness,
) -> None:
    h = employment_only
    async with h.session() as session, session.begin():
        await load_demo(session, h.cipher, h.host, households=60, seed=3, today=AS_OF)
    async with h.session() as session:
        persons = list((await session.scalars(select(Person).order_by(Person.id))).all())
    assert len(persons) >= 100

    counts, verdicts = {}, {}
    for size in (10, 100):
        async with h.session() as session:
            with h.count_statements() as counter:
                findings = await h.host.bottom_line(persons[:size], session, AS_OF)
        counts[size] = counter.count
        verdicts[size] = {f.status for f in findings if f.indicator is Indicator.WORK}
    assert counts[10] == counts[100] <= 4
    assert Status.OK in verdicts[100] and Status.NOT_APPLICABLE in verdicts[100]
