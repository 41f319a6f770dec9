"""Bad input gets a clear code naming the field, and changes nothing (row counts)."""

import datetime as dt
from typing import Any

import pytest

from bangfu.core.registry.models import Person
from bangfu.plugins.employment.tests.conftest import (
    MUTATIONS,
    World,
    days_ago,
    gid,
    mutate,
    row_counts,
)
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio


def iso(day: dt.date) -> str:
    return day.isoformat()


def codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def refused(
    h: Harness, name: str, input: dict[str, Any], token: str
) -> list[tuple[str, str]]:
    """The (field, code) pairs of a refused mutation; asserts nothing changed."""
    before = await row_counts(h)
    payload = await mutate(h, name, input, token)
    assert all(value is None for key, value in payload.items() if key != "errors"), payload
    assert payload["errors"], payload
    assert all(e["message"] for e in payload["errors"])
    assert await row_counts(h) == before
    return codes(payload)


def placement(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "personId": gid(world.worker),
        "employer": "襄汾县食品厂",
        "post": "包装工",
        "startDate": iso(days_ago(30)),
        "monthlyWage": "2350.00",
    } | fields


def welfare_post(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "personId": gid(world.worker),
        "post": "护林员",
        "monthlySubsidy": "1100.00",
        "startDate": iso(days_ago(30)),
        "endDate": iso(days_ago(30) + dt.timedelta(days=365)),
    } | fields


def training(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "personId": gid(world.worker),
        "course": "电工",
        "provider": "临汾市技工学校",
        "startDate": iso(days_ago(30)),
        "endDate": iso(days_ago(1)),
    } | fields


# -- dates -----------------------------------------------------------------------------


async def test_an_end_before_the_start_is_refused(harness: Harness, world: World) -> None:
    h, token = harness, world.employment_xiangfen
    early = iso(days_ago(31))
    assert await refused(h, "employmentTrainingRecord", training(world, endDate=early), token) == [
        ("input.endDate", "INVALID_DATE_RANGE")
    ]
    assert await refused(
        h, "employmentPlacementRecord", placement(world, endDate=early), token
    ) == [("input.endDate", "INVALID_DATE_RANGE")]
    assert await refused(
        h, "employmentWelfarePostAssign", welfare_post(world, endDate=early), token
    ) == [("input.endDate", "INVALID_DATE_RANGE")]


async def test_completing_a_training_before_it_began_is_refused(
    harness: Harness, world: World
) -> None:
    h, token = harness, world.employment_xiangfen
    recorded = await mutate(h, "employmentTrainingRecord", training(world, endDate=None), token)
    training_id = recorded["training"]["id"]
    assert await refused(
        h, "employmentTrainingComplete", {"id": training_id, "endDate": iso(days_ago(40))}, token
    ) == [("input.endDate", "INVALID_DATE_RANGE")]
    assert await refused(
        h,
        "employmentTrainingComplete",
        {"id": training_id, "endDate": iso(days_ago(-3))},
        token,
    ) == [("input.endDate", "FUTURE_DATE")]


async def test_a_start_after_today_is_refused_today_and_earlier_accepted(
    harness: Harness, world: World
) -> None:
    """Core's rule for every start date (docs/api.md, "Dates"): FUTURE_DATE on startDate."""
    h, token = harness, world.employment_xiangfen
    tomorrow = iso(days_ago(-1))
    for name, build in (
        ("employmentTrainingRecord", lambda **f: training(world, endDate=None, **f)),
        ("employmentPlacementRecord", lambda **f: placement(world, **f)),
        (
            "employmentWelfarePostAssign",
            lambda **f: welfare_post(world, endDate=iso(days_ago(-400)), **f),
        ),
    ):
        assert await refused(h, name, build(startDate=tomorrow), token) == [
            ("input.startDate", "FUTURE_DATE")
        ]
    accepted = await mutate(
        h,
        "employmentTrainingRecord",
        training(world, startDate=iso(days_ago(0)), endDate=None),
        token,
    )
    assert accepted["errors"] == []
    accepted = await mutate(h, "employmentPlacementRecord", placement(world), token)
    assert accepted["errors"] == []


async def test_a_status_must_begin_after_the_current_one_and_not_in_the_future(
    harness: Harness, world: World
) -> None:
    h, token = harness, world.employment_xiangfen
    person = gid(world.worker)
    await mutate(
        h,
        "employmentStatusRecord",
        {"personId": person, "status": "SEEKING_WORK", "since": iso(days_ago(100))},
        token,
    )
    for since in (days_ago(100), days_ago(101)):
        assert await refused(
            h,
            "employmentStatusRecord",
            {"personId": person, "status": "EMPLOYED", "employer": "x", "since": iso(since)},
            token,
        ) == [("input.since", "OUT_OF_ORDER")]
    assert await refused(
        h,
        "employmentStatusRecord",
        {"personId": person, "status": "SEEKING_WORK", "since": iso(days_ago(-1))},
        token,
    ) == [("input.since", "FUTURE_DATE")]


# -- overlaps --------------------------------------------------------------------------


async def test_overlapping_placements_posts_and_trainings_are_refused(
    harness: Harness, world: World
) -> None:
    h, token = harness, world.employment_xiangfen
    await mutate(h, "employmentPlacementRecord", placement(world), token)  # open-ended
    await mutate(h, "employmentWelfarePostAssign", welfare_post(world), token)
    await mutate(h, "employmentTrainingRecord", training(world), token)

    later = iso(days_ago(2))
    assert await refused(
        h, "employmentPlacementRecord", placement(world, employer="别家", startDate=later), token
    ) == [("input.startDate", "OVERLAP")]
    assert await refused(
        h,
        "employmentWelfarePostAssign",
        welfare_post(world, post="公路养护员", startDate=later),
        token,
    ) == [("input.startDate", "OVERLAP")]
    assert await refused(
        h,
        "employmentTrainingRecord",
        training(world, course="育婴员", startDate=iso(days_ago(40)), endDate=iso(days_ago(30))),
        token,
    ) == [("input.startDate", "OVERLAP")]

    # Before the first one began, they do not overlap: fine.
    earlier = await mutate(
        h,
        "employmentPlacementRecord",
        placement(world, startDate=iso(days_ago(300)), endDate=iso(days_ago(31))),
        token,
    )
    assert earlier["errors"] == []


# -- amounts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wage", "message"),
    [
        ("-1.00", "negative"),
        ("0", "more than 0"),
        ("2350.005", "two decimal places"),
        ("NaN", "number"),
        ("Infinity", "number"),
        ("1e12", "exceed"),
    ],
)
async def test_a_bad_wage_or_subsidy_is_refused(
    harness: Harness, world: World, wage: str, message: str
) -> None:
    h, token = harness, world.employment_xiangfen
    before = await row_counts(h)
    payload = await mutate(
        h, "employmentPlacementRecord", placement(world, monthlyWage=wage), token
    )
    assert codes(payload) == [("input.monthlyWage", "INVALID_AMOUNT")]
    assert message in payload["errors"][0]["message"]
    payload = await mutate(
        h, "employmentWelfarePostAssign", welfare_post(world, monthlySubsidy=wage), token
    )
    assert codes(payload) == [("input.monthlySubsidy", "INVALID_AMOUNT")]
    assert await row_counts(h) == before


async def test_a_negative_income_is_refused(harness: Harness, world: World) -> None:
    assert await refused(
        harness,
        "employmentStatusRecord",
        {
            "personId": gid(world.worker),
            "status": "SELF_EMPLOYED",
            "monthlyIncome": "-300",
        },
        world.employment_xiangfen,
    ) == [("input.monthlyIncome", "INVALID_AMOUNT")]


async def test_a_non_numeric_wage_is_refused_by_the_schema(harness: Harness, world: World) -> None:
    """Not a number at all: the GraphQL layer refuses the variable before anything runs,
    naming the field."""
    h = harness
    before = await row_counts(h)
    answer = await h.gql(
        MUTATIONS["employmentPlacementRecord"],
        {"input": placement(world, monthlyWage="两千")},
        token=world.employment_xiangfen,
    )
    assert answer.get("data") is None
    (error,) = answer["errors"]
    assert "monthlyWage" in error["message"] and "Decimal" in error["message"]
    assert await row_counts(h) == before


async def test_an_unknown_status_is_refused_by_the_schema(harness: Harness, world: World) -> None:
    h = harness
    before = await row_counts(h)
    answer = await h.gql(
        MUTATIONS["employmentStatusRecord"],
        {"input": {"personId": gid(world.worker), "status": "FARMING"}},
        token=world.employment_xiangfen,
    )
    assert answer.get("data") is None
    (error,) = answer["errors"]
    assert "status" in error["message"] and "EmploymentWorkStatus" in error["message"]
    assert await row_counts(h) == before


# -- what a status needs ---------------------------------------------------------------


async def test_each_status_gets_the_fields_it_needs_and_no_others(
    harness: Harness, world: World
) -> None:
    h, token = harness, world.employment_xiangfen
    person = gid(world.worker)

    async def status(**fields: Any) -> list[tuple[str, str]]:
        return await refused(h, "employmentStatusRecord", {"personId": person} | fields, token)

    assert await status(status="EMPLOYED", employer="  ") == [("input.employer", "REQUIRED")]
    assert await status(status="EMPLOYED", employer="x" * 201) == [("input.employer", "TOO_LONG")]
    assert await status(status="EMPLOYED", employer="食品\x00厂") == [
        ("input.employer", "INVALID_INPUT")
    ]
    assert await status(status="SEEKING_WORK", employer="x", monthlyIncome="100") == [
        ("input.employer", "NOT_APPLICABLE"),
        ("input.monthlyIncome", "NOT_APPLICABLE"),
    ]
    assert await status(status="UNABLE_TO_WORK") == [("input.unableToWork", "REQUIRED")]
    assert await status(status="UNABLE_TO_WORK", unableToWork={"reason": "DISABILITY"}) == [
        ("input.unableToWork.disabilityGrade", "INVALID_DISABILITY_GRADE")
    ]
    assert await status(
        status="UNABLE_TO_WORK", unableToWork={"reason": "DISABILITY", "disabilityGrade": 5}
    ) == [("input.unableToWork.disabilityGrade", "INVALID_DISABILITY_GRADE")]
    assert await status(
        status="UNABLE_TO_WORK", unableToWork={"reason": "ILLNESS", "disabilityGrade": 2}
    ) == [("input.unableToWork.disabilityGrade", "NOT_APPLICABLE")]
    assert await status(status="RETIRED", unableToWork={"reason": "AGE"}) == [
        ("input.unableToWork", "NOT_APPLICABLE")
    ]


async def test_work_before_16_is_refused(harness: Harness, world: World) -> None:
    h, token = harness, world.employment_xiangfen
    child = gid(world.child)
    assert await refused(
        h, "employmentStatusRecord", {"personId": child, "status": "SEEKING_WORK"}, token
    ) == [("input.status", "UNDER_WORKING_AGE")]
    assert await refused(
        h, "employmentPlacementRecord", placement(world, personId=child), token
    ) == [("input.startDate", "UNDER_WORKING_AGE")]
    assert await refused(h, "employmentTrainingRecord", training(world, personId=child), token) == [
        ("input.startDate", "UNDER_WORKING_AGE")
    ]
    # A schoolchild is a STUDENT, though.
    payload = await mutate(
        h, "employmentStatusRecord", {"personId": child, "status": "STUDENT"}, token
    )
    assert payload["errors"] == []


async def test_every_problem_is_named_at_once(harness: Harness, world: World) -> None:
    assert await refused(
        harness,
        "employmentPlacementRecord",
        placement(world, employer="", post=" ", monthlyWage="-5", endDate=iso(days_ago(40))),
        world.employment_xiangfen,
    ) == [
        ("input.employer", "REQUIRED"),
        ("input.post", "REQUIRED"),
        ("input.monthlyWage", "INVALID_AMOUNT"),
        ("input.endDate", "INVALID_DATE_RANGE"),
    ]


# -- persons ---------------------------------------------------------------------------


async def test_a_person_outside_the_area_is_not_found(harness: Harness, world: World) -> None:
    h, token = harness, world.employment_xiangfen  # Xiangfen; the outsider lives in Hongdong
    outsider = gid(world.outsider)
    for name, input in [
        ("employmentStatusRecord", {"personId": outsider, "status": "SEEKING_WORK"}),
        ("employmentTrainingRecord", training(world, personId=outsider)),
        ("employmentPlacementRecord", placement(world, personId=outsider)),
        ("employmentWelfarePostAssign", welfare_post(world, personId=outsider)),
    ]:
        assert await refused(h, name, input, token) == [("input.personId", "NOT_FOUND")]

    # The same input works for the city's employment officer.
    payload = await mutate(
        h,
        "employmentStatusRecord",
        {"personId": outsider, "status": "SEEKING_WORK"},
        world.employment_city,
    )
    assert payload["errors"] == []


async def test_a_training_outside_the_area_is_not_found(harness: Harness, world: World) -> None:
    h = harness
    recorded = await mutate(
        h, "employmentTrainingRecord", training(world, personId=gid(world.outsider)), world.admin
    )
    assert await refused(
        h,
        "employmentTrainingComplete",
        {"id": recorded["training"]["id"]},
        world.employment_xiangfen,
    ) == [("input.id", "NOT_FOUND")]


async def test_unknown_and_malformed_ids_are_not_found(harness: Harness, world: World) -> None:
    h, token = harness, world.employment_city
    for person in (
        "not-an-id",
        to_global_id("Household", world.worker.id),
        to_global_id("Person", 999999),
    ):
        assert await refused(
            h, "employmentStatusRecord", {"personId": person, "status": "SEEKING_WORK"}, token
        ) == [("input.personId", "NOT_FOUND")]
    assert await refused(
        h, "employmentTrainingComplete", {"id": to_global_id("EmploymentTraining", 424242)}, token
    ) == [("input.id", "NOT_FOUND")]


async def test_nothing_is_recorded_for_a_deceased_person(harness: Harness, world: World) -> None:
    h = harness
    async with h.session() as session, session.begin():
        person = await session.get_one(Person, world.elder.id)
        person.deceased = True
    assert await refused(
        h,
        "employmentStatusRecord",
        {"personId": gid(world.elder), "status": "RETIRED"},
        world.employment_xiangfen,
    ) == [("input.personId", "PERSON_DECEASED")]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-CN", "结束日期早于开始日期（{start}），请核对"),
        ("en", "ends before it starts ({start})"),
    ],
)
async def test_an_error_reads_in_the_language_asked_for(
    harness: Harness, world: World, language: str, message: str
) -> None:
    start = days_ago(30)
    response = await harness.post(
        MUTATIONS["employmentTrainingRecord"],
        {"input": training(world, endDate=iso(days_ago(31)))},
        token=world.employment_xiangfen,
        language=language,
    )
    assert response.json()["data"]["employmentTrainingRecord"] == {
        "training": None,
        "errors": [
            {
                "field": "input.endDate",
                "message": message.format(start=iso(start)),
                "code": "INVALID_DATE_RANGE",
            }
        ],
    }
