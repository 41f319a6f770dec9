"""The root queries: educationEnrolments (a filtered connection) and
educationUnaccountedChildren (persons of compulsory age without a school place)."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update

from bangfu.core.calendar import today
from bangfu.core.registry.models import Person
from bangfu.core.security import Role
from bangfu.plugins.education.models import Enrolment, EnrolmentStatus, SchoolStage
from bangfu.plugins.education.rules import born_on_or_before, school_year
from bangfu.plugins.education.tests.conftest import World, born, id_number

pytestmark = pytest.mark.anyio

SCHOOL_START = school_year(today())[0]

ENROLMENTS = """query($first: Int!, $after: String, $filter: EducationEnrolmentFilter) {
  educationEnrolments(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { schoolName stage status current person { ... on Person { name } } } } }"""
UNACCOUNTED = """query($first: Int!, $after: String, $regionCode: String) {
  educationUnaccountedChildren(first: $first, after: $after, regionCode: $regionCode) {
    totalCount pageInfo { hasNextPage endCursor } nodes { name age } } }"""


def period(person: Person, school: str | None, status: EnrolmentStatus, **fields: Any) -> Enrolment:
    values: dict[str, Any] = {
        "person_id": person.id,
        "school_name": school,
        "stage": SchoolStage.PRIMARY if school else None,
        "status": status,
        "start_date": SCHOOL_START,
        "school_region_code": "141023",
    }
    values.update(fields)
    return Enrolment(**values)


async def add(world: World, *rows: Any) -> None:
    async with world.h.session() as session, session.begin():
        session.add_all(rows)


async def names(world: World, query: str, token: str, **variables: Any) -> list[str]:
    data = await world.ok(query, {"first": 100, **variables}, token)
    (connection,) = data.values()
    assert connection["totalCount"] == len(connection["nodes"])
    return sorted(
        (n["person"]["name"] if "person" in n else n["name"]) for n in connection["nodes"]
    )


async def test_enrolments_are_filtered_in_sql_and_paged(world: World) -> None:
    h = world.h
    await h.region("141024100", "大槐树镇", "141024")
    _, (_, hongtong_child) = await h.household(
        "141024100",
        [
            ("HEAD", "张父", id_number(born(38), "141024")),
            ("CHILD", "张小", id_number(born(9), "141024")),
        ],
    )
    await add(
        world,
        period(world.child, "襄汾县实验小学", EnrolmentStatus.ENROLLED),
        period(
            world.teen,
            "襄汾县实验小学",
            EnrolmentStatus.GRADUATED,
            start_date=SCHOOL_START - dt.timedelta(days=6 * 365),
            end_date=SCHOOL_START - dt.timedelta(days=60),
        ),
        period(
            world.teen,
            "襄汾县第二初级中学",
            EnrolmentStatus.ENROLLED,
            stage=SchoolStage.JUNIOR_SECONDARY,
        ),
        period(world.toddler, None, EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE, school_region_code=None),
        period(
            hongtong_child,
            "洪洞县大槐树小学",
            EnrolmentStatus.ENROLLED,
            school_region_code="141024",
        ),
    )
    city = world.education
    assert len(await names(world, ENROLMENTS, city)) == 5
    assert await names(world, ENROLMENTS, city, filter={"schoolName": "实验"}) == [
        "王小明",
        "王小红",
    ]
    assert await names(world, ENROLMENTS, city, filter={"stage": "JUNIOR_SECONDARY"}) == ["王小红"]
    assert await names(world, ENROLMENTS, city, filter={"status": "GRADUATED"}) == ["王小红"]
    assert await names(world, ENROLMENTS, city, filter={"current": False}) == ["王小红"]
    assert await names(world, ENROLMENTS, city, filter={"regionCode": "141024"}) == ["张小"]
    assert await names(world, ENROLMENTS, city, filter={"schoolRegionCode": "141024100"}) == []
    assert await names(
        world,
        ENROLMENTS,
        city,
        filter={"schoolRegionCode": "141000", "status": "ENROLLED", "current": True},
    ) == ["张小", "王小明", "王小红"]
    # A literal match: % and _ are not wildcards.
    assert await names(world, ENROLMENTS, city, filter={"schoolName": "%"}) == []

    first = await world.ok(ENROLMENTS, {"first": 2}, city)
    page = first["educationEnrolments"]
    assert page["totalCount"] == 5 and page["pageInfo"]["hasNextPage"]
    rest = await world.ok(ENROLMENTS, {"first": 100, "after": page["pageInfo"]["endCursor"]}, city)
    assert len(rest["educationEnrolments"]["nodes"]) == 3

    # Area scoping applies by itself: Xiangfen's officer sees Xiangfen's children only.
    assert len(await names(world, ENROLMENTS, world.civil_affairs)) == 4
    answer = await h.gql(ENROLMENTS, {"first": 10, "filter": {"regionCode": "999999"}}, token=city)
    assert "filter.regionCode: unknown region code" in answer["errors"][0]["message"]


async def test_root_queries_need_the_right_to_read_childrens_data(world: World) -> None:
    for query in (ENROLMENTS, UNACCOUNTED):
        for token in (world.supervisor, world.medical):
            answer = await world.h.gql(query, {"first": 10}, token=token)
            assert answer.get("data") is None
            assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    paired = await world.h.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023")
    # A paired official reads children's data, but sees only the persons paired with them.
    assert await names(world, UNACCOUNTED, paired) == []


async def test_unaccounted_children_are_of_compulsory_age_without_a_school_place(
    world: World,
) -> None:
    h = world.h
    day = today()
    six_today = born_on_or_before(day, 6)
    sixteen_today = born_on_or_before(day, 16)
    _, members = await h.household(
        "141023",
        [
            ("HEAD", "李父", id_number(born(45))),
            ("CHILD", "刚满六岁", id_number(six_today)),
            ("CHILD", "差一天六岁", id_number(six_today + dt.timedelta(days=1))),
            ("CHILD", "刚满十六岁", id_number(sixteen_today)),
            ("CHILD", "差一天十六岁", id_number(sixteen_today + dt.timedelta(days=1))),
            ("CHILD", "辍学", id_number(born(13))),
            ("CHILD", "休学", id_number(born(13))),
            ("CHILD", "毕业未升学", id_number(born(12))),
            ("CHILD", "下学期入学", id_number(born(7))),
            ("CHILD", "已故", id_number(born(8))),
        ],
    )
    by_name = {p.name: p for p in members}
    await add(
        world,
        period(world.teen, "襄汾县第二初级中学", EnrolmentStatus.ENROLLED),
        period(by_name["辍学"], "襄汾县第二初级中学", EnrolmentStatus.DROPPED_OUT, end_date=None),
        period(by_name["休学"], "襄汾县第二初级中学", EnrolmentStatus.SUSPENDED),
        period(
            by_name["毕业未升学"],
            "新城小学",
            EnrolmentStatus.GRADUATED,
            start_date=SCHOOL_START - dt.timedelta(days=6 * 365),
            end_date=SCHOOL_START - dt.timedelta(days=60),
        ),
        period(
            by_name["下学期入学"],
            "新城小学",
            EnrolmentStatus.ENROLLED,
            start_date=day + dt.timedelta(days=30),
        ),
    )
    async with h.session() as session, session.begin():
        await session.execute(
            update(Person).where(Person.id == by_name["已故"].id).values(deceased=True)
        )
    expected = ["下学期入学", "刚满六岁", "差一天十六岁", "毕业未升学", "王小明", "辍学"]
    assert await names(world, UNACCOUNTED, world.education) == expected
    assert await names(world, UNACCOUNTED, world.education, regionCode="141023") == expected
    assert await names(world, UNACCOUNTED, world.education, regionCode="141024") == []
    assert await names(world, UNACCOUNTED, world.hongtong_education) == []
    page = await world.ok(UNACCOUNTED, {"first": 4}, world.education)
    connection = page["educationUnaccountedChildren"]
    assert connection["totalCount"] == 6 and connection["pageInfo"]["hasNextPage"]
    answer = await h.gql(UNACCOUNTED, {"first": 10, "regionCode": "1"}, token=world.education)
    assert "regionCode: unknown region code" in answer["errors"][0]["message"]

    # The same judgement per person, on Person.education.
    data = await world.ok(
        "{ persons(first: 100) { nodes { name education { unaccountedFor } } } }",
        {},
        world.education,
    )
    flagged = sorted(
        n["name"] for n in data["persons"]["nodes"] if n["education"]["unaccountedFor"]
    )
    assert flagged == expected
