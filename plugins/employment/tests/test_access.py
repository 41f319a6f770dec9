"""Who writes and who reads: the employment department (and city administrators) write;
anyone whose area covers the person reads the non-sensitive fields."""

from typing import Any

import pytest

from bangfu.core.security import Role
from bangfu.plugins.employment.tests.conftest import (
    MUTATIONS,
    PERSON_EMPLOYMENT,
    World,
    days_ago,
    gid,
    mutate,
    row_counts,
)
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio


def inputs(world: World) -> dict[str, dict[str, Any]]:
    start, end = days_ago(30).isoformat(), days_ago(1).isoformat()
    person = gid(world.worker)
    return {
        "employmentStatusRecord": {"personId": person, "status": "SEEKING_WORK"},
        "employmentTrainingRecord": {
            "personId": person,
            "course": "电工",
            "provider": "临汾市技工学校",
            "startDate": start,
        },
        "employmentTrainingComplete": {"id": to_global_id("EmploymentTraining", 1)},
        "employmentPlacementRecord": {
            "personId": person,
            "employer": "襄汾县食品厂",
            "post": "包装工",
            "startDate": start,
            "monthlyWage": "2350.00",
        },
        "employmentWelfarePostAssign": {
            "personId": person,
            "post": "护林员",
            "monthlySubsidy": "1100",
            "startDate": start,
            "endDate": end,
        },
    }


async def test_other_departments_and_civil_affairs_may_not_write(
    harness: Harness, world: World
) -> None:
    h = harness
    await mutate(
        h,
        "employmentTrainingRecord",
        inputs(world)["employmentTrainingRecord"],
        world.employment_city,
    )
    before = await row_counts(h)
    for token in (world.civil_affairs, world.education):
        for name, input in inputs(world).items():
            answer = await h.gql(MUTATIONS[name], {"input": input}, token=token)
            assert answer.get("data") is None, name
            assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"], name
            assert "employment:write" in answer["errors"][0]["message"]
    assert await row_counts(h) == before


async def test_without_a_login_nothing_is_written_or_read(harness: Harness, world: World) -> None:
    h = harness

    async def refused(query: str, variables: dict[str, Any] | None = None) -> None:
        response = await h.post(query, variables)
        if response.status_code == 200:  # or the transport refuses it outright (401)
            codes = [e["extensions"]["code"] for e in response.json()["errors"]]
            assert codes == ["UNAUTHENTICATED"]
        else:
            assert response.status_code == 401

    for name, input in inputs(world).items():
        await refused(MUTATIONS[name], {"input": input})
    await refused("{ employmentJobSeekers(first: 5) { totalCount } }")
    assert sum((await row_counts(h)).values()) == 0


async def test_the_department_and_city_administrators_write(harness: Harness, world: World) -> None:
    h = harness
    for token, person, status, since in (
        (world.employment_xiangfen, world.worker, "SEEKING_WORK", days_ago(50)),
        (world.employment_city, world.worker, "IN_TRAINING", days_ago(5)),
        (world.admin, world.spouse, "SEEKING_WORK", days_ago(0)),
    ):
        payload = await mutate(
            h,
            "employmentStatusRecord",
            {"personId": gid(person), "status": status, "since": since.isoformat()},
            token,
        )
        assert payload["errors"] == []
        assert payload["workStatus"]["status"] == status
    assert (await row_counts(h))["employment_work_status"] == 3


async def record_unable_to_work(h: Harness, world: World) -> None:
    payload = await mutate(
        h,
        "employmentStatusRecord",
        {
            "personId": gid(world.spouse),
            "status": "UNABLE_TO_WORK",
            "since": days_ago(100).isoformat(),
            "unableToWork": {"reason": "ILLNESS", "detail": "尘肺病"},
        },
        world.employment_city,
    )
    assert payload["errors"] == []


UNABLE = """query($id: ID!) { person(id: $id) { name employment { currentStatus {
    status since unableToWork { reason detail } } } } }"""


async def test_anyone_in_the_area_reads_but_the_reason_is_sensitive(
    harness: Harness, world: World
) -> None:
    h = harness
    await record_unable_to_work(h, world)
    variables = {"id": gid(world.spouse)}

    # The education department reads the status, but not why the person cannot work.
    answer = await h.gql(UNABLE, variables, token=world.education)
    status = answer["data"]["person"]["employment"]["currentStatus"]
    assert status["status"] == "UNABLE_TO_WORK"
    assert status["unableToWork"] is None
    assert [(e["path"][-1], e["extensions"]["code"]) for e in answer["errors"]] == [
        ("unableToWork", "FORBIDDEN")
    ]
    # Without the sensitive part, no error at all.
    data = await h.ok(PERSON_EMPLOYMENT, variables, token=world.education)
    assert data["person"]["employment"]["currentStatus"]["status"] == "UNABLE_TO_WORK"

    # The department and civil affairs (whose duty needs it) read the reason.
    for token in (world.employment_xiangfen, world.civil_affairs):
        data = await h.ok(UNABLE, variables, token=token)
        assert data["person"]["employment"]["currentStatus"]["unableToWork"] == {
            "reason": "ILLNESS",
            "detail": "尘肺病",
        }


async def test_a_child_s_employment_needs_the_sensitive_action(
    harness: Harness, world: World
) -> None:
    h = harness
    await mutate(
        h,
        "employmentStatusRecord",
        {"personId": gid(world.child), "status": "STUDENT"},
        world.employment_city,
    )
    answer = await h.gql(PERSON_EMPLOYMENT, {"id": gid(world.child)}, token=world.education)
    assert answer["data"]["person"]["employment"] is None
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for token in (world.employment_city, world.civil_affairs):
        data = await h.ok(PERSON_EMPLOYMENT, {"id": gid(world.child)}, token=token)
        assert data["person"]["employment"]["currentStatus"]["status"] == "STUDENT"


async def test_outside_the_area_the_person_is_not_there(harness: Harness, world: World) -> None:
    h = harness
    await mutate(
        h,
        "employmentStatusRecord",
        {"personId": gid(world.outsider), "status": "SEEKING_WORK"},
        world.employment_city,
    )
    reader = await h.actor("xiangfen-reader", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")
    data = await h.ok(PERSON_EMPLOYMENT, {"id": gid(world.outsider)}, token=reader)
    assert data["person"] is None
    data = await h.ok(
        "{ employmentJobSeekers(first: 10) { totalCount nodes { name } } }", token=reader
    )
    assert data["employmentJobSeekers"] == {"totalCount": 0, "nodes": []}
