"""One plan per household (一户一策, R4, R5): measures, key problems, versioned status."""

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.calendar import today
from bangfu.core.care.plan_models import Measure
from bangfu.core.registry.models import Category
from bangfu.core.security import Role
from bangfu.core.security.models import AuditEvent
from tests.helpers import World
from tests.test_care_helpers import family, organisation_gid

pytestmark = pytest.mark.anyio

ADD = """
mutation($input: AssistanceMeasureAddInput!) {
  assistanceMeasureAdd(input: $input) {
    measure { id status version domain fundingSource problems { id } responsibleOrganisation { code } }
    assistancePlan { id keyProblems { id } unansweredKeyProblems { id } }
    errors { field code }
  }
}"""

CHANGE = """
mutation($input: AssistanceMeasureStatusChangeInput!) {
  assistanceMeasureStatusChange(input: $input) {
    measure { id status statusReason version }
    assistancePlan { unansweredKeyProblems { id } }
    errors { field message code }
  }
}"""

SCREEN = """
mutation($c: ScreeningCampaignCreateInput!) {
  screeningCampaignCreate(input: $c) { screeningCampaign { id } errors { code } }
}"""

VISIT = """
mutation($v: ScreeningVisitRecordInput!) {
  screeningVisitRecord(input: $v) { screeningVisit { problems { id isKey } } errors { code } }
}"""


async def screened(world: World) -> tuple[Any, list[dict[str, Any]]]:
    """A household screened with two key problems and one ordinary problem."""
    f = await family(world.h, categories=(Category.SPECIAL_HARDSHIP, Category.ORPHAN))
    start = today() - dt.timedelta(days=5)
    created = await world.h.ok(
        SCREEN,
        {
            "c": {
                "name": "排查",
                "regionCode": "141023",
                "startsOn": start.isoformat(),
                "endsOn": (start + dt.timedelta(days=30)).isoformat(),
            }
        },
        token=world.xiangfen,
    )
    campaign = created["screeningCampaignCreate"]["screeningCampaign"]["id"]
    problems = [
        {
            "domain": "EDUCATION",
            "description": "辍学",
            "severity": "HIGH",
            "isKey": True,
            "personId": f.person_gids[1],
        },
        {"domain": "MEDICAL", "description": "慢性病无人照料", "severity": "HIGH", "isKey": True},
        {"domain": "HOUSING", "description": "门窗破损", "severity": "LOW"},
    ]
    visited = await world.h.ok(
        VISIT,
        {
            "v": {
                "campaignId": campaign,
                "householdId": f.gid,
                "visitedOn": today().isoformat(),
                "outcome": "VISITED",
                "problems": problems,
            }
        },
        token=world.xiangfen,
    )
    return f, visited["screeningVisitRecord"]["screeningVisit"]["problems"]


async def add(world: World, household: str, problems: list[str], **extra: Any) -> dict[str, Any]:
    payload = {
        "householdId": household,
        "domain": "EDUCATION",
        "description": "联系学校复学，落实教育资助",
        "problemIds": problems,
        "responsibleOrganisationId": await organisation_gid(world.h, "141000-education"),
        "deadline": (today() + dt.timedelta(days=30)).isoformat(),
        "fundingSource": "GOVERNMENT_PROGRAMME",
        **extra,
    }
    data = await world.h.ok(ADD, {"input": payload}, token=world.xiangfen)
    return data["assistanceMeasureAdd"]  # type: ignore[no-any-return]


async def test_every_key_problem_needs_a_measure(world: World) -> None:
    f, problems = await screened(world)
    key = [p["id"] for p in problems if p["isKey"]]
    unanswered = await world.h.ok(
        "{ unansweredKeyProblems(first: 10) { totalCount nodes { id description } } }",
        token=world.xiangfen,
    )
    assert [n["id"] for n in unanswered["unansweredKeyProblems"]["nodes"]] == key
    first = await add(world, f.gid, [key[0]])
    assert first["errors"] == []
    assert first["measure"]["status"] == "PLANNED"
    assert first["measure"]["responsibleOrganisation"]["code"] == "141000-education"
    plan = first["assistancePlan"]
    assert [p["id"] for p in plan["keyProblems"]] == key
    assert [p["id"] for p in plan["unansweredKeyProblems"]] == [key[1]]
    second = await add(world, f.gid, [key[1], problems[2]["id"]], domain="MEDICAL")
    assert second["assistancePlan"]["id"] == plan["id"]  # one plan per household
    assert second["assistancePlan"]["unansweredKeyProblems"] == []
    assert len(second["measure"]["problems"]) == 2
    # Cancelling the only measure that answers a key problem leaves it unanswered.
    cancelled = await change(world, second["measure"]["id"], 1, "CANCELLED", "患者已转院")
    assert cancelled["errors"] == []
    assert [p["id"] for p in cancelled["assistancePlan"]["unansweredKeyProblems"]] == [key[1]]
    other = await family(world.h)
    foreign = await add(world, other.gid, [key[0]])
    assert foreign["errors"] == [{"field": "input.problemIds.0", "code": "NOT_FOUND"}]
    plans = await world.h.ok(
        "{ assistancePlans(first: 5) { totalCount nodes { household { id } measures { status } } } }",
        token=world.xiangfen,
    )
    assert plans["assistancePlans"]["totalCount"] == 1
    assert plans["assistancePlans"]["nodes"][0]["household"]["id"] == f.gid
    assert (await world.h.ok("{ assistancePlans(first: 5) { totalCount } }", token=world.hongtong))[
        "assistancePlans"
    ]["totalCount"] == 0


async def change(
    world: World, measure: str, version: int, status: str, reason: str | None = None
) -> dict[str, Any]:
    payload = {"id": measure, "expectedVersion": version, "status": status, "reason": reason}
    data = await world.h.ok(CHANGE, {"input": payload}, token=world.xiangfen)
    return data["assistanceMeasureStatusChange"]  # type: ignore[no-any-return]


async def test_status_changes_are_versioned_and_audited(world: World) -> None:
    f, problems = await screened(world)
    measure = (await add(world, f.gid, [problems[0]["id"]]))["measure"]["id"]
    moved = await change(world, measure, 1, "UNDER_WAY")
    assert moved["measure"] == {
        "id": measure,
        "status": "UNDER_WAY",
        "statusReason": None,
        "version": 2,
    }
    stale = await change(world, measure, 1, "DONE")
    assert stale["measure"] is None
    assert stale["errors"][0]["code"] == "VERSION_CONFLICT"
    assert "current version is 2" in stale["errors"][0]["message"]
    no_reason = await change(world, measure, 2, "CANCELLED")
    assert no_reason["errors"] == [
        {
            "field": "input.reason",
            "message": "say why the measure is cancelled",
            "code": "REQUIRED",
        }
    ]
    done = await change(world, measure, 2, "DONE")
    assert done["measure"]["status"] == "DONE"
    final = await change(world, measure, 3, "UNDER_WAY")
    assert final["errors"][0]["code"] == "INVALID_STATUS_CHANGE"
    async with world.h.session() as session:
        stored = await session.scalar(select(Measure))
        rows = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.operation == "mutation:assistanceMeasureStatusChange")
                .order_by(AuditEvent.id)
            )
        ).all()
    assert stored is not None and (stored.status.value, stored.version) == ("DONE", 3)
    assert [r.outcome for r in rows] == ["ok", "failed", "failed", "ok", "failed"]
    change_row = rows[0].details["changes"][0]
    assert (
        change_row["before"]["status"] == "PLANNED" and change_row["after"]["status"] == "UNDER_WAY"
    )
    assert change_row["after"]["version"] == 2


async def test_concurrent_status_changes_with_one_version(world: World) -> None:
    f, problems = await screened(world)
    measure = (await add(world, f.gid, [problems[0]["id"]]))["measure"]["id"]
    answers = await asyncio.gather(
        change(world, measure, 1, "UNDER_WAY"), change(world, measure, 1, "DONE")
    )
    won = [a for a in answers if a["measure"] is not None]
    assert len(won) == 1
    lost = next(a for a in answers if a["measure"] is None)
    assert lost["errors"][0]["code"] == "VERSION_CONFLICT"
    async with world.h.session() as session:
        stored = await session.scalar(select(Measure))
    assert stored is not None and stored.version == 2
    assert stored.status.value == won[0]["measure"]["status"]


async def test_who_may_plan(world: World) -> None:
    f, problems = await screened(world)
    department = await world.h.actor(
        "edu", roles=[Role.DEPARTMENT_OFFICER], region="141000", department="education"
    )
    payload = {
        "householdId": f.gid,
        "domain": "EDUCATION",
        "description": "助学金",
        "problemIds": [problems[0]["id"]],
        "responsibleOrganisationId": await organisation_gid(world.h, "141000-education"),
        "deadline": "2030-01-01",
        "fundingSource": "GOVERNMENT_PROGRAMME",
    }
    ok = await world.h.ok(ADD, {"input": payload}, token=department)
    assert ok["assistanceMeasureAdd"]["errors"] == []
    denied = await world.h.gql(ADD, {"input": payload}, token=world.supervisor)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    read = await world.h.ok(
        "query($h: ID!) { assistancePlan(householdId: $h) { measures { description } } }",
        {"h": f.gid},
        token=world.supervisor,
    )
    assert read["assistancePlan"]["measures"] == [{"description": "助学金"}]
