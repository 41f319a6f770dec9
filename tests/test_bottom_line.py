"""The bottom line (R3): Person.bottomLine, the at-risk filter and bottomLineSummary."""

import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.calendar import today
from bangfu.core.registry.models import Category, CategoryAssignment, Organisation, Person
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import HONGTONG_VILLAGE, XIANGFEN_VILLAGE, World, id_number, make_world
from tests.test_care_helpers import official, pair, user_gid

pytestmark = pytest.mark.anyio

BOTTOM_LINE = """
query($id: ID!) { person(id: $id) { name bottomLine {
  atRisk indicators { indicator status reasons modules isGoal } } } }"""
SUMMARY = """
query($code: String!) { bottomLineSummary(regionCode: $code) {
  persons region { code }
  indicators { indicator ok atRisk notApplicable unknown }
  regions { region { code } persons indicators { indicator ok atRisk notApplicable unknown } }
} }"""
AT_RISK = """
query($indicator: Indicator!, $after: String) {
  persons(first: 1, after: $after, filter: {atRisk: $indicator}) {
    totalCount nodes { name } pageInfo { hasNextPage endCursor } } }"""


async def grant(
    h: Harness, person: Person, category: Category, allowance: str | None = None
) -> None:
    async with h.session() as session, session.begin():
        certifier = await session.scalar(
            select(Organisation.id).where(
                Organisation.code == f"{person.region_code[:6]}-civil-affairs"
            )
        )
        assert certifier is not None
        session.add(
            CategoryAssignment(
                person_id=person.id,
                category=category,
                valid_from=today() - dt.timedelta(days=100),
                certifying_organisation_id=certifier,
                monthly_allowance=decimal.Decimal(allowance) if allowance else None,
            )
        )


def verdicts(person: dict[str, Any]) -> dict[str, tuple[str, list[str], list[str]]]:
    return {
        v["indicator"]: (v["status"], v["reasons"], v["modules"])
        for v in person["bottomLine"]["indicators"]
    }


async def households(world: World) -> dict[str, Person]:
    """Xiangfen: an elder on special-hardship support, paired; an orphan without an
    allowance or guardian. Hongtong: a poor disabled dibao head with little allowance."""
    h = world.h
    _, (elder,) = await h.household(
        XIANGFEN_VILLAGE, [("HEAD", "孤老甲", id_number(dt.date(1948, 2, 1)))]
    )
    _, (uncle, orphan) = await h.household(
        XIANGFEN_VILLAGE,
        [
            ("HEAD", "伯父乙", id_number(dt.date(1975, 2, 1))),
            ("CHILD", "孤儿乙", id_number(dt.date(2015, 6, 1))),
        ],
    )
    _, (dibao,) = await h.household(
        HONGTONG_VILLAGE, [("HEAD", "低保丙", id_number(dt.date(1980, 1, 1), "141024"))]
    )
    await grant(h, elder, Category.SPECIAL_HARDSHIP, "720.50")
    await grant(h, orphan, Category.ORPHAN)
    await grant(h, dibao, Category.DIBAO, "420.00")
    await grant(h, dibao, Category.POOR_DISABLED)  # needs a pairing of their own
    await official(h, "paired-xf")
    await pair(world, to_global_id("Person", elder.id), await user_gid(h, "paired-xf"))
    return {"elder": elder, "uncle": uncle, "orphan": orphan, "dibao": dibao}


async def test_bottom_line_of_a_person_with_reasons_and_modules(world: World) -> None:
    people = await households(world)
    h = world.h
    data = await h.ok(
        BOTTOM_LINE, {"id": to_global_id("Person", people["elder"].id)}, token=world.admin
    )
    elder = verdicts(data["person"])
    assert elder["FOOD"] == ("OK", ["SPECIAL_HARDSHIP allowance ¥720.50 a month"], ["core"])
    assert elder["EAT_WELL"][0] == "OK"
    assert elder["SOMEONE_IN_CHARGE"] == ("OK", ["paired with an official"], ["core"])
    assert elder["SCHOOL"][2] == ["education"]  # the plugins decide the rest
    assert len(elder) == 10
    assert {v["indicator"] for v in data["person"]["bottomLine"]["indicators"] if v["isGoal"]} == {
        "EAT_WELL",
        "ILLNESS_TREATED_WELL",
        "GOOD_SCHOOL",
        "WELL_EMPLOYED",
        "GOOD_HOME",
    }

    data = await h.ok(
        BOTTOM_LINE, {"id": to_global_id("Person", people["orphan"].id)}, token=world.admin
    )
    orphan = verdicts(data["person"])
    assert orphan["FOOD"][0] == "AT_RISK"
    assert "ORPHAN" in orphan["FOOD"][1][0] and "no allowance" in orphan["FOOD"][1][0]
    assert orphan["SOMEONE_IN_CHARGE"] == (
        "AT_RISK",
        [
            "a child without parental care and no guardian recorded",
            "no active pairing with an official (一包一)",
        ],
        ["core"],
    )
    assert {"FOOD", "SOMEONE_IN_CHARGE"} <= set(data["person"]["bottomLine"]["atRisk"])

    data = await h.ok(
        BOTTOM_LINE, {"id": to_global_id("Person", people["uncle"].id)}, token=world.admin
    )
    assert verdicts(data["person"])["FOOD"][0] == "NOT_APPLICABLE"

    data = await h.ok(
        BOTTOM_LINE, {"id": to_global_id("Person", people["dibao"].id)}, token=world.admin
    )
    assert verdicts(data["person"])["EAT_WELL"] == (
        "AT_RISK",
        ["¥420.00 a month, below the ¥500.00 standard"],
        ["core"],
    )


async def test_a_dibao_member_needs_no_pairing_of_their_own(world: World) -> None:
    _, (head,) = await world.h.household(
        HONGTONG_VILLAGE, [("HEAD", "低保丁", id_number(dt.date(1970, 1, 1), "141024"))]
    )
    await grant(world.h, head, Category.DIBAO, "560")
    data = await world.h.ok(
        BOTTOM_LINE, {"id": to_global_id("Person", head.id)}, token=world.hongtong
    )
    line = verdicts(data["person"])
    assert line["SOMEONE_IN_CHARGE"] == (
        "OK",
        ["a dibao household member: no pairing of their own needed"],
        ["core"],
    )
    assert line["EAT_WELL"][0] == "OK"


async def test_at_risk_filter_pages_and_counts_in_the_actor_area(world: World) -> None:
    people = await households(world)
    h = world.h
    data = await h.ok(AT_RISK, {"indicator": "SOMEONE_IN_CHARGE"}, token=world.admin)
    page = data["persons"]
    # The orphan (no guardian, no pairing) and the Hongtong dibao head (no pairing).
    assert page["totalCount"] == 2
    assert page["nodes"] == [{"name": "孤儿乙"}]
    assert page["pageInfo"]["hasNextPage"] is True
    data = await h.ok(
        AT_RISK,
        {"indicator": "SOMEONE_IN_CHARGE", "after": page["pageInfo"]["endCursor"]},
        token=world.admin,
    )
    assert data["persons"]["nodes"] == [{"name": "低保丙"}]
    assert data["persons"]["pageInfo"]["hasNextPage"] is False
    # Xiangfen staff do not see the Hongtong person, nor count them.
    data = await h.ok(AT_RISK, {"indicator": "SOMEONE_IN_CHARGE"}, token=world.xiangfen)
    assert data["persons"]["totalCount"] == 1
    assert people["elder"].name not in str(data)


async def test_plugins_are_called_once_per_page_not_per_person(world: World) -> None:
    await households(world)
    calls: list[int] = []
    original = world.h.host.bottom_line

    async def counting(persons: Any, session: Any, as_of: dt.date) -> Any:
        calls.append(len(persons))
        return await original(persons, session, as_of)

    world.h.host.bottom_line = counting  # type: ignore[method-assign]
    data = await world.h.ok(
        "{ persons(first: 10) { nodes { name bottomLine { atRisk } } } }", token=world.admin
    )
    assert len(data["persons"]["nodes"]) == 4
    assert calls == [4]


async def test_summary_per_indicator_and_child_region(world: World) -> None:
    await households(world)
    data = await world.h.ok(SUMMARY, {"code": "141000"}, token=world.admin)
    summary = data["bottomLineSummary"]
    assert summary["persons"] == 3  # the uncle holds no category
    totals = {row["indicator"]: row for row in summary["indicators"]}
    assert totals["FOOD"] == {
        "indicator": "FOOD",
        "ok": 2,
        "atRisk": 1,
        "notApplicable": 0,
        "unknown": 0,
    }
    assert totals["SOMEONE_IN_CHARGE"]["atRisk"] == 2
    by_region = {r["region"]["code"]: r for r in summary["regions"]}
    assert set(by_region) == {"141023", "141024"}
    assert by_region["141023"]["persons"] == 2
    food = {row["indicator"]: row for row in by_region["141024"]["indicators"]}["FOOD"]
    assert (food["ok"], food["atRisk"]) == (1, 0)
    # A county officer's summary of the city counts only their county.
    data = await world.h.ok(SUMMARY, {"code": "141000"}, token=world.xiangfen)
    assert data["bottomLineSummary"]["persons"] == 2
    answer = await world.h.gql(SUMMARY, {"code": "999999"}, token=world.admin)
    assert "regionCode: unknown region code '999999'" in answer["errors"][0]["message"]


async def test_an_indicator_of_a_missing_plugin_is_unknown(
    tmp_path: Path, database_url: str | None
) -> None:
    async with Harness.start(tmp_path, database_url=database_url, plugins=False) as h:
        world = await make_world(h)
        _, (elder,) = await h.household(
            XIANGFEN_VILLAGE, [("HEAD", "孤老丁", id_number(dt.date(1950, 2, 1)))]
        )
        await grant(h, elder, Category.SPECIAL_HARDSHIP, "700")
        data = await h.ok(BOTTOM_LINE, {"id": to_global_id("Person", elder.id)}, token=world.admin)
        line = verdicts(data["person"])
        assert line["SCHOOL"] == ("UNKNOWN", ["no installed module decides this indicator"], [])
        assert line["MEDICAL_CARE"][0] == "UNKNOWN"
        assert line["FOOD"][0] == "OK"
        data = await h.ok(SUMMARY, {"code": "141023"}, token=world.admin)
        school = next(
            r for r in data["bottomLineSummary"]["indicators"] if r["indicator"] == "SCHOOL"
        )
        assert (school["unknown"], school["ok"]) == (1, 0)


async def test_statements_do_not_grow_with_the_page(world: World) -> None:
    await households(world)
    for i in range(4):
        _, (elder,) = await world.h.household(
            XIANGFEN_VILLAGE, [("HEAD", f"老人{i}", id_number(dt.date(1950, 3, 1 + i)))]
        )
        await grant(world.h, elder, Category.SPECIAL_HARDSHIP, "700")
    query = "query($n: Int!) { persons(first: $n) { nodes { name bottomLine { atRisk } } } }"
    # Untimed first: a process asks once in a while whether the stored verdicts are ready
    # (the query limits price the bottom line by it), not on every request.
    await world.h.ok(query, {"n": 1}, token=world.admin)
    counts = []
    for size in (4, 8):  # both pages hold a child and adults (some statements are per kind)
        with world.h.count_statements() as counter:
            data = await world.h.ok(query, {"n": size}, token=world.admin)
        assert len(data["persons"]["nodes"]) == size
        counts.append(counter.count)
    assert counts[0] == counts[1]
