"""SCHOOL (有学上) and GOOD_SCHOOL (上好学) through ``PluginHost.bottom_line``."""

import datetime as dt
import decimal
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.bottomline import Indicator, Status
from bangfu.core.calendar import today
from bangfu.core.registry.models import Category, CategoryAssignment, Organisation, Person
from bangfu.plugins.education.models import (
    AidKind,
    EducationAid,
    Enrolment,
    EnrolmentStatus,
    FundingSource,
    SchoolStage,
)
from bangfu.plugins.education.rules import school_year
from bangfu.plugins.education.tests.conftest import World, born, id_number

pytestmark = pytest.mark.anyio

DAY = today()
SCHOOL_START = school_year(DAY)[0]
LONG_AGO = SCHOOL_START - dt.timedelta(days=3 * 365)


async def judge(world: World, persons: list[Person], as_of: dt.date = DAY) -> dict[Any, Any]:
    async with world.h.session() as session:
        findings = await world.h.host.bottom_line(persons, session, as_of)
    return {
        (f.person_id, f.indicator): (f.status, f.reasons)
        for f in findings
        if f.module == "education"
    }


async def test_school_and_good_school(world: World) -> None:
    h = world.h
    _, people = await h.household(
        "141023",
        [
            ("HEAD", "赵父", id_number(born(42))),
            ("CHILD", "辍学十三", id_number(born(13))),
            ("CHILD", "辍学十七", id_number(born(17))),
            ("CHILD", "初中毕业十六", id_number(born(16))),
            ("CHILD", "无记录十二", id_number(born(12))),
            ("CHILD", "未到学龄八", id_number(born(8))),
            ("CHILD", "幼儿园五", id_number(born(5))),
            ("CHILD", "类别已过期九", id_number(born(9))),
        ],
    )
    p = {person.name: person for person in people}
    w = world
    async with h.session() as session, session.begin():
        certifier = await session.scalar(
            select(Organisation.id).where(Organisation.code == "141023-civil-affairs")
        )
        assert certifier is not None

        def category(person: Person, kind: Category, **fields: Any) -> CategoryAssignment:
            return CategoryAssignment(
                person_id=person.id,
                category=kind,
                valid_from=fields.pop("valid_from", LONG_AGO),
                certifying_organisation_id=certifier,
                **fields,
            )

        def aid(person: Person, amount: str, granted_on: dt.date) -> EducationAid:
            return EducationAid(
                person_id=person.id,
                kind=AidKind.BOARDING_SUBSIDY,
                amount=decimal.Decimal(amount),
                granted_on=granted_on,
                funding_source=FundingSource.GOVERNMENT_PROGRAMME,
                programme="义务教育家庭经济困难学生生活补助",
                granting_organisation_id=certifier,
            )

        def period(person: Person, status: EnrolmentStatus, **fields: Any) -> Enrolment:
            values: dict[str, Any] = {
                "school_name": "襄汾县第二初级中学",
                "stage": SchoolStage.JUNIOR_SECONDARY,
                "start_date": LONG_AGO,
            }
            values.update(fields)
            return Enrolment(person_id=person.id, status=status, **values)

        session.add_all(
            [
                period(w.child, EnrolmentStatus.ENROLLED, stage=SchoolStage.PRIMARY, grade=4),
                period(w.teen, EnrolmentStatus.SUSPENDED, start_date=SCHOOL_START),
                period(
                    w.teen,
                    EnrolmentStatus.ENROLLED,
                    start_date=LONG_AGO,
                    end_date=SCHOOL_START,
                ),
                period(p["辍学十三"], EnrolmentStatus.DROPPED_OUT, end_date=SCHOOL_START),
                period(p["辍学十七"], EnrolmentStatus.DROPPED_OUT, start_date=SCHOOL_START),
                period(p["初中毕业十六"], EnrolmentStatus.GRADUATED, end_date=SCHOOL_START),
                period(
                    p["未到学龄八"],
                    EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE,
                    school_name=None,
                    stage=None,
                ),
                period(
                    p["幼儿园五"],
                    EnrolmentStatus.ENROLLED,
                    school_name="新城幼儿园",
                    stage=SchoolStage.PRESCHOOL,
                ),
                # Hardship categories: aid this school year, last year only, none.
                category(w.child, Category.ORPHAN),
                aid(w.child, "625.00", SCHOOL_START),
                aid(w.child, "0.10", DAY),
                category(w.teen, Category.DIBAO),
                aid(w.teen, "1000.00", SCHOOL_START - dt.timedelta(days=1)),
                category(p["辍学十三"], Category.CHILD_IN_DIFFICULTY),
                category(
                    p["类别已过期九"],
                    Category.DIBAO,
                    valid_to=DAY - dt.timedelta(days=1),
                ),
                category(p["赵父"], Category.DIBAO),
            ]
        )
    persons = [w.parent, w.child, w.teen, w.toddler, *people]
    found = await judge(world, persons)
    school = {name: found[(person.id, Indicator.SCHOOL)] for name, person in named(persons).items()}
    assert school == {
        "王建国": (Status.NOT_APPLICABLE, ()),
        "赵父": (Status.NOT_APPLICABLE, ()),
        "王小明": (Status.OK, ("enrolled at 襄汾县第二初级中学 (PRIMARY, grade 4)",)),
        "王小红": (
            Status.OK,
            (f"enrolled at 襄汾县第二初级中学 (JUNIOR_SECONDARY), suspended since {SCHOOL_START}",),
        ),
        "王小宝": (Status.NOT_APPLICABLE, ()),
        "辍学十三": (
            Status.AT_RISK,
            (f"dropped out of 襄汾县第二初级中学 (JUNIOR_SECONDARY) on {SCHOOL_START}",),
        ),
        "辍学十七": (
            Status.AT_RISK,
            (f"dropped out of 襄汾县第二初级中学 (JUNIOR_SECONDARY) on {SCHOOL_START}",),
        ),
        "初中毕业十六": (Status.NOT_APPLICABLE, ()),
        "无记录十二": (
            Status.AT_RISK,
            (
                "of compulsory-education age (6 to 15) and not enrolled at any school",
                "no enrolment recorded",
            ),
        ),
        "未到学龄八": (
            Status.AT_RISK,
            (
                "of compulsory-education age (6 to 15) and not enrolled at any school",
                f"recorded as not yet of school age on {LONG_AGO}",
            ),
        ),
        "幼儿园五": (Status.OK, ("enrolled at 新城幼儿园 (PRESCHOOL)",)),
        "类别已过期九": (
            Status.AT_RISK,
            (
                "of compulsory-education age (6 to 15) and not enrolled at any school",
                "no enrolment recorded",
            ),
        ),
    }
    good = {
        name: found[(person.id, Indicator.GOOD_SCHOOL)][0]
        for name, person in named(persons).items()
    }
    assert good == {name: Status.NOT_APPLICABLE for name in good} | {
        "王小明": Status.OK,
        "王小红": Status.AT_RISK,
        "辍学十三": Status.AT_RISK,
    }
    assert found[(w.child.id, Indicator.GOOD_SCHOOL)][1] == (
        f"education aid of 625.10 yuan since {SCHOOL_START}",
    )
    assert found[(w.teen.id, Indicator.GOOD_SCHOOL)][1] == (
        "a child in hardship (DIBAO) with no education aid this school year "
        f"(since {SCHOOL_START})",
    )
    # As of the last day of the previous school year, last year's aid counts.
    last_year = await judge(world, [w.teen], SCHOOL_START - dt.timedelta(days=1))
    assert last_year[(w.teen.id, Indicator.GOOD_SCHOOL)][0] is Status.OK
    assert last_year[(w.teen.id, Indicator.SCHOOL)][0] is Status.OK  # enrolled then


async def test_a_page_costs_three_statements_whatever_its_size(world: World) -> None:
    h = world.h
    _, more = await h.household(
        "141023",
        [("HEAD", "钱父", id_number(born(50)))]
        + [("CHILD", f"钱{i}", id_number(born(6 + i))) for i in range(10)],
    )
    counts = []
    for persons in ([world.child], [world.parent, world.child, world.teen, world.toddler, *more]):
        with h.count_statements() as counter:
            assert await judge(world, persons)
        counts.append(counter.count)
    assert counts == [3, 3]
    with h.count_statements() as counter:
        await judge(world, [world.parent])  # no child: no categories or aid to load
    assert counter.count == 1


async def test_the_dead_are_not_judged(world: World) -> None:
    world.child.deceased = True
    found = await judge(world, [world.child])
    assert {status for status, _ in found.values()} == {Status.NOT_APPLICABLE}


def named(persons: list[Person]) -> dict[str, Person]:
    return {person.name: person for person in persons}
