"""The employment mutations, as the employment department uses them; history is kept."""

import datetime as dt

import pytest

from bangfu.plugins.employment.tests.conftest import (
    PERSON_EMPLOYMENT,
    World,
    days_ago,
    gid,
    mutate,
    row_counts,
)
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio


def iso(day: dt.date) -> str:
    return day.isoformat()


async def test_a_new_status_closes_the_current_one_the_day_before(
    harness: Harness, world: World
) -> None:
    h, token = harness, world.employment_xiangfen
    seeking = await mutate(
        h,
        "employmentStatusRecord",
        {"personId": gid(world.worker), "status": "SEEKING_WORK", "since": iso(days_ago(200))},
        token,
    )
    assert seeking["errors"] == []
    assert seeking["workStatus"]["status"] == "SEEKING_WORK"
    assert seeking["workStatus"]["until"] is None

    employed = await mutate(
        h,
        "employmentStatusRecord",
        {
            "personId": gid(world.worker),
            "status": "EMPLOYED",
            "since": iso(days_ago(20)),
            "employer": "  临汾顺达物流公司 ",
            "monthlyIncome": "3200.5",
        },
        token,
    )
    assert employed["errors"] == []
    assert employed["workStatus"] | {"id": None} == {
        "id": None,
        "status": "EMPLOYED",
        "employer": "临汾顺达物流公司",  # trimmed
        "monthlyIncome": "3200.50",  # exact yuan, to the fen
        "since": iso(days_ago(20)),
        "until": None,
    }

    data = await h.ok(PERSON_EMPLOYMENT, {"id": gid(world.worker)}, token=world.civil_affairs)
    employment = data["person"]["employment"]
    assert employment["currentStatus"]["status"] == "EMPLOYED"
    assert [(s["status"], s["since"], s["until"]) for s in employment["history"]] == [
        ("EMPLOYED", iso(days_ago(20)), None),  # newest first
        ("SEEKING_WORK", iso(days_ago(200)), iso(days_ago(21))),  # closed the day before
    ]


async def test_since_defaults_to_today(harness: Harness, world: World) -> None:
    payload = await mutate(
        harness,
        "employmentStatusRecord",
        {"personId": gid(world.spouse), "status": "SELF_EMPLOYED", "employer": "小卖部"},
        world.employment_city,
    )
    assert payload["errors"] == []
    assert payload["workStatus"]["since"] == iso(days_ago(0))


async def test_unable_to_work_keeps_the_reason_as_an_enum_with_detail(
    harness: Harness, world: World
) -> None:
    h = harness
    payload = await mutate(
        h,
        "employmentStatusRecord",
        {
            "personId": gid(world.spouse),
            "status": "UNABLE_TO_WORK",
            "since": iso(days_ago(30)),
            "unableToWork": {"reason": "DISABILITY", "disabilityGrade": 2, "detail": "肢体残疾"},
        },
        world.employment_xiangfen,
    )
    assert payload["errors"] == []
    query = """query($id: ID!) { person(id: $id) { employment { currentStatus {
        status unableToWork { reason disabilityGrade detail } } } } }"""
    data = await h.ok(query, {"id": gid(world.spouse)}, token=world.employment_xiangfen)
    assert data["person"]["employment"]["currentStatus"] == {
        "status": "UNABLE_TO_WORK",
        "unableToWork": {"reason": "DISABILITY", "disabilityGrade": 2, "detail": "肢体残疾"},
    }


async def test_training_is_recorded_then_completed(harness: Harness, world: World) -> None:
    h, token = harness, world.employment_xiangfen
    recorded = await mutate(
        h,
        "employmentTrainingRecord",
        {
            "personId": gid(world.worker),
            "course": "电工",
            "provider": "临汾市技工学校",
            "startDate": iso(days_ago(60)),
            "endDate": iso(days_ago(5)),
        },
        token,
    )
    assert recorded["errors"] == []
    training = recorded["training"]
    assert training["completed"] is False

    completed = await mutate(h, "employmentTrainingComplete", {"id": training["id"]}, token)
    assert completed["errors"] == []
    assert completed["training"] == training | {"completed": True, "endDate": iso(days_ago(5))}

    again = await mutate(h, "employmentTrainingComplete", {"id": training["id"]}, token)
    assert again["training"] is None
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("input.id", "ALREADY_ENDED")]


async def test_completing_an_open_training_ends_it_today_by_default(
    harness: Harness, world: World
) -> None:
    h, token = harness, world.employment_city
    recorded = await mutate(
        h,
        "employmentTrainingRecord",
        {
            "personId": gid(world.spouse),
            "course": "育婴员",
            "provider": "临汾市职业技能培训中心",
            "startDate": iso(days_ago(10)),
        },
        token,
    )
    completed = await mutate(
        h, "employmentTrainingComplete", {"id": recorded["training"]["id"]}, token
    )
    assert completed["training"]["endDate"] == iso(days_ago(0))


async def test_a_placement_makes_the_person_employed_from_its_start(
    harness: Harness, world: World
) -> None:
    h, token = harness, world.employment_xiangfen
    await mutate(
        h,
        "employmentStatusRecord",
        {"personId": gid(world.worker), "status": "SEEKING_WORK", "since": iso(days_ago(150))},
        token,
    )
    payload = await mutate(
        h,
        "employmentPlacementRecord",
        {
            "personId": gid(world.worker),
            "employer": "襄汾县食品厂",
            "post": "包装工",
            "startDate": iso(days_ago(14)),
            "monthlyWage": "2350.00",
        },
        token,
    )
    assert payload["errors"] == []
    assert payload["placement"]["monthlyWage"] == "2350.00"
    assert payload["placement"]["endDate"] is None
    status = payload["workStatus"]
    assert (status["status"], status["employer"], status["monthlyIncome"], status["since"]) == (
        "EMPLOYED",
        "襄汾县食品厂",
        "2350.00",
        iso(days_ago(14)),
    )

    data = await h.ok(PERSON_EMPLOYMENT, {"id": gid(world.worker)}, token=token)
    employment = data["person"]["employment"]
    assert employment["currentPlacement"] == {"employer": "襄汾县食品厂"}
    assert [s["until"] for s in employment["history"]] == [None, iso(days_ago(15))]


async def test_a_placement_leaves_a_newer_status_alone(harness: Harness, world: World) -> None:
    h, token = harness, world.employment_xiangfen
    await mutate(
        h,
        "employmentStatusRecord",
        {"personId": gid(world.worker), "status": "IN_TRAINING", "since": iso(days_ago(10))},
        token,
    )
    payload = await mutate(
        h,
        "employmentPlacementRecord",
        {
            "personId": gid(world.worker),
            "employer": "临汾钢铁有限公司",
            "post": "炉前工",
            "startDate": iso(days_ago(400)),
            "endDate": iso(days_ago(100)),
            "monthlyWage": "4100",
        },
        token,
    )
    assert payload["errors"] == []
    assert payload["workStatus"]["status"] == "IN_TRAINING"  # a past job changes nothing
    assert (await row_counts(h))["employment_work_status"] == 1


async def test_a_welfare_post_is_assigned_for_a_period(harness: Harness, world: World) -> None:
    h, token = harness, world.admin  # city administrators write too
    payload = await mutate(
        h,
        "employmentWelfarePostAssign",
        {
            "personId": gid(world.spouse),
            "post": "村保洁员",
            "monthlySubsidy": "1200",
            "startDate": iso(days_ago(30)),
            "endDate": iso(days_ago(30) + dt.timedelta(days=3 * 365)),
        },
        token,
    )
    assert payload["errors"] == []
    assert payload["welfarePost"]["monthlySubsidy"] == "1200.00"
    assert payload["workStatus"]["status"] == "EMPLOYED"
    assert payload["workStatus"]["employer"] == "公益性岗位：村保洁员"

    data = await h.ok(PERSON_EMPLOYMENT, {"id": gid(world.spouse)}, token=world.civil_affairs)
    assert data["person"]["employment"]["currentWelfarePost"] == {"post": "村保洁员"}
    assert len(data["person"]["employment"]["welfarePosts"]) == 1


async def test_update_status_false_records_only_the_placement(
    harness: Harness, world: World
) -> None:
    h = harness
    payload = await mutate(
        h,
        "employmentPlacementRecord",
        {
            "personId": gid(world.worker),
            "employer": "侯马市汽车修理厂",
            "post": "修理工",
            "startDate": iso(days_ago(3)),
            "monthlyWage": "2800",
            "updateStatus": False,
        },
        world.employment_city,
    )
    assert payload["errors"] == [] and payload["workStatus"] is None
    counts = await row_counts(h)
    assert counts["employment_job_placement"] == 1
    assert counts["employment_work_status"] == 0
