"""Roster import through the upload route: a file in, a JSON report and database state out."""

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from bangfu.testing import Harness
from core.registry.models import CategoryAssignment, Household, Membership, Person
from core.security.models import AuditEvent
from tests.helpers import HONGTONG_VILLAGE, XIANGFEN_VILLAGE, World, id_number
from tests.roster_files import XLSX, csv_file, household, read_workbook, workbook

pytestmark = pytest.mark.anyio


async def upload(
    h: Harness, token: str | None, content: bytes, *, media: str = XLSX, **params: str
) -> Any:
    headers = {"Content-Type": media}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await h.client.post("/import/roster", content=content, headers=headers, params=params)


async def counts(h: Harness) -> dict[str, int]:
    async with h.session() as session:
        return {
            model.__name__: await session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Person, Household, Membership, CategoryAssignment)
        }


async def test_a_roster_is_imported_with_households_members_and_categories(world: World) -> None:
    h = world.h
    head, spouse, child = id_number(), id_number(male=False), id_number(dt.date(2014, 3, 1))
    rows = household(
        XIANGFEN_VILLAGE, (head, "王建国"), (spouse, "李秀英", "配偶"), (child, "王小明", "子女"), categories="低保"
    )
    rows[2][6] = "孤儿、困境儿童"
    response = await upload(h, world.xiangfen, workbook(rows))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] and report["committed"] and report["problems"] == []
    assert report["counts"]["rows"] == {"CREATED": 3, "UPDATED": 0, "UNCHANGED": 0}
    assert report["counts"]["households"]["CREATED"] == 1
    assert report["counts"]["categories"]["CREATED"] == 3
    assert await counts(h) == {"Person": 3, "Household": 1, "Membership": 3, "CategoryAssignment": 3}
    data = await h.ok(
        """{ households(first: 5) { nodes { address region { code }
             members { relation person { name sex birthDate categories { category } } } } } }""",
        token=world.xiangfen,
    )
    (found,) = data["households"]["nodes"]
    assert found["address"] == "东关村 1 号" and found["region"]["code"] == XIANGFEN_VILLAGE
    members = {m["person"]["name"]: m for m in found["members"]}
    assert members["王建国"]["relation"] == "HEAD"
    assert members["李秀英"]["relation"] == "SPOUSE" and members["李秀英"]["person"]["sex"] == "FEMALE"
    assert members["王小明"]["person"]["birthDate"] == "2014-03-01"
    assert {c["category"] for c in members["王小明"]["person"]["categories"]} == {
        "ORPHAN",
        "CHILD_IN_DIFFICULTY",
    }
