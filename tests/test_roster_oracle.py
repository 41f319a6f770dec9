"""A roster file learns no more than a few mutations would: "registered outside your
area" is answered for a bounded number of rows per file and per day, each answer
audited, and a file probing more is refused without saying which rows."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.registry.models import Person
from bangfu.core.security import Role
from bangfu.core.security.audit import global_id
from bangfu.core.security.models import AuditEvent
from bangfu.testing import Harness
from tests.helpers import HONGTONG_VILLAGE, XIANGFEN_VILLAGE, World, id_number, make_world
from tests.roster_files import bare, household, workbook
from tests.test_roster_import import audit_rows, upload

pytestmark = pytest.mark.anyio

ANSWER = (
    "this person is registered outside your area: leave the row out, or ask the city's "
    "civil-affairs bureau to move the person's registration to your area first"
)


async def registered_in_hongtong(h: Harness, count: int) -> list[tuple[str, int]]:
    """``count`` heads registered in Hongtong: (ID number, person id)."""
    found = []
    for _ in range(count):
        number = id_number(county="141024")
        _household, (person,) = await h.household(HONGTONG_VILLAGE, [("HEAD", "洪洞人", number)])
        found.append((number, person.id))
    return found


def candidates(numbers: list[str]) -> list[list[Any]]:
    """Each ID number as the head of a new household in Xiangfen."""
    rows: list[list[Any]] = []
    for number in numbers:
        rows += household(XIANGFEN_VILLAGE, (number, "候选人"))
    return rows


async def answers(h: Harness) -> list[tuple[str, str, list[str], dict[str, Any]]]:
    async with h.session() as session:
        rows = await session.execute(
            select(
                AuditEvent.actor_name, AuditEvent.outcome, AuditEvent.targets, AuditEvent.details
            )
            .where(AuditEvent.operation == "roster.outside_area")
            .order_by(AuditEvent.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_dry_run_of_a_thousand_candidates_learns_nothing(world: World) -> None:
    h = world.h
    elsewhere = await registered_in_hongtong(h, 12)
    numbers = [id_number() for _ in range(988)] + [number for number, _id in elsewhere]
    response = await upload(h, world.xiangfen, workbook(candidates(numbers)), dryRun="true")
    assert response.status_code == 422
    report = response.json()
    assert bare(report["problems"]) == [
        {
            "row": 0,
            "column": None,
            "reason": "more than 10 rows of this file name persons registered outside your "
            "area, and a file may be told about at most 10: nothing is said about which rows; "
            "ask the city's civil-affairs bureau to check the file",
        }
    ]
    assert "outside your area" not in str(report["warnings"])
    # The probe itself is audited, as a dry run; no answer was given, so none is recorded.
    assert await audit_rows(h) == [("roster.import", "failed", True)]
    assert await answers(h) == []


async def test_a_few_answers_are_given_each_audited_and_bounded_per_day(
    tmp_path: Path, database_url: str | None
) -> None:
    settings = {"roster_outside_area_per_file": 3, "roster_outside_area_per_day": 5}
    async with Harness.start(tmp_path, database_url=database_url, settings=settings) as h:
        world = await make_world(h)
        elsewhere = await registered_in_hongtong(h, 10)
        first = [id_number(), *(number for number, _id in elsewhere[:3])]
        report = (await upload(h, world.xiangfen, workbook(candidates(first)), dryRun="1")).json()
        assert {(p["row"], p["column"], p["reason"]) for p in report["problems"]} == {
            (3, "id_number", ANSWER),
            (4, "id_number", ANSWER),
            (5, "id_number", ANSWER),
        }
        given = await answers(h)
        assert [(a[0], a[1], a[2]) for a in given] == [
            ("xiangfen", "denied", [global_id("Person", person_id)])
            for _n, person_id in elsewhere[:3]
        ]
        assert [a[3]["row"] for a in given] == [3, 4, 5] and all(a[3]["dryRun"] for a in given)
        # Three more today would make six: more than the five a user gets per day.
        second = [number for number, _id in elsewhere[3:6]]
        report = (await upload(h, world.xiangfen, workbook(candidates(second)))).json()
        assert [p["reason"] for p in report["problems"]] == [
            "the rows of this file that name persons registered outside your area would exceed "
            "the 5 such answers a user gets per day: nothing is said about which rows; ask the "
            "city's civil-affairs bureau to check the file, or import it tomorrow"
        ]
        assert len(await answers(h)) == 3
        # The bound is per user: a colleague still gets answers today.
        other = await h.actor("xiangfen2", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")
        third = [number for number, _id in elsewhere[6:8]]
        report = (await upload(h, other, workbook(candidates(third)))).json()
        assert [(p["row"], p["reason"]) for p in report["problems"]] == [(2, ANSWER), (3, ANSWER)]
        assert [a[0] for a in await answers(h)] == ["xiangfen"] * 3 + ["xiangfen2"] * 2
        assert await audit_rows(h) == [
            ("roster.import", "failed", True),
            ("roster.import", "failed", False),
            ("roster.import", "failed", False),
        ]
        # A file naming more than three is refused whole, whoever sends it.
        fourth = [number for number, _id in elsewhere[6:10]]
        report = (await upload(h, other, workbook(candidates(fourth)))).json()
        assert [p["row"] for p in report["problems"]] == [0]
        assert len(await answers(h)) == 5


async def test_a_member_naming_another_countys_head_reads_as_an_unknown_head(
    world: World,
) -> None:
    h = world.h
    [(hongtong_head, _id)] = await registered_in_hongtong(h, 1)
    rows = [
        [hongtong_head, id_number(), "甲", "子女", None, None, None],
        [id_number(), id_number(), "乙", "子女", None, None, None],  # a head nobody registered
    ]
    report = (await upload(h, world.xiangfen, workbook(rows), dryRun="true")).json()
    reasons = {p["row"]: p["reason"] for p in report["problems"]}
    assert (
        reasons[2]
        == reasons[3]
        == (
            "no head with this head's ID number is registered in your area, and the file has no "
            "row for this head: add the head's own row (relation 户主), or correct the head's ID "
            "number (户主身份证号)"
        )
    )
    assert len(report["problems"]) == 2
    assert await answers(h) == []
    async with h.session() as session:
        assert len((await session.scalars(select(Person))).all()) == 1
