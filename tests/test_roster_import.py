"""Roster import through the upload route: a file in, a JSON report and database state out."""

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from bangfu.core import idnumber
from bangfu.core.registry.models import CategoryAssignment, Household, Membership, Person
from bangfu.core.security.models import AuditEvent
from bangfu.testing import Harness
from tests.helpers import HONGTONG_VILLAGE, XIANGFEN_VILLAGE, World, id_number, make_world
from tests.roster_files import XLSX, bare, csv_file, household, read_workbook, workbook

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
        XIANGFEN_VILLAGE,
        (head, "王建国"),
        (spouse, "李秀英", "配偶"),
        (child, "王小明", "子女"),
        categories="低保",
    )
    rows[2][6] = "孤儿、困境儿童"
    response = await upload(h, world.xiangfen, workbook(rows))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] and report["committed"] and report["problems"] == []
    assert report["counts"]["rows"] == {"CREATED": 3, "UPDATED": 0, "UNCHANGED": 0}
    assert report["counts"]["households"]["CREATED"] == 1
    assert report["counts"]["categories"]["CREATED"] == 3
    assert await counts(h) == {
        "Person": 3,
        "Household": 1,
        "Membership": 3,
        "CategoryAssignment": 3,
    }
    data = await h.ok(
        """{ households(first: 5) { nodes { address region { code }
             members { relation person { name sex birthDate categories { category } } } } } }""",
        token=world.xiangfen,
    )
    (found,) = data["households"]["nodes"]
    assert found["address"] == "东关村 1 号" and found["region"]["code"] == XIANGFEN_VILLAGE
    members = {m["person"]["name"]: m for m in found["members"]}
    assert members["王建国"]["relation"] == "HEAD"
    assert (
        members["李秀英"]["relation"] == "SPOUSE" and members["李秀英"]["person"]["sex"] == "FEMALE"
    )
    # Birth date and sex come from the ID number, never typed twice.
    assert (
        members["王小明"]["person"]["birthDate"] == f"{child[6:10]}-{child[10:12]}-{child[12:14]}"
    )
    assert {c["category"] for c in members["王小明"]["person"]["categories"]} == {
        "ORPHAN",
        "CHILD_IN_DIFFICULTY",
    }


def full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))


def checksum_wrong(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def with_x() -> str:
    while not (number := id_number()).endswith("X"):
        pass
    return number


def all_digits() -> str:
    """An ID number a spreadsheet can take for a number (no check character X)."""
    while not (number := id_number()).isdigit():
        pass
    return number


def lost_digits() -> str:
    """An ID number whose last three digits Excel turned to zeros, and whose check
    character then fails (one in eleven such numbers passes it and is only a warning)."""
    while True:
        candidate = id_number()[:15] + "000"
        try:  # the service's own check: python-stdnum refuses some numbers it accepts
            idnumber.parse(candidate)
        except idnumber.IdNumberError:
            return candidate


async def test_what_spreadsheets_do_to_id_numbers_is_reported_and_nothing_is_written(
    world: World,
) -> None:
    h = world.h
    good, x = id_number(), with_x()
    damaged = {
        3: float(all_digits()),  # a numeric cell: Excel keeps 15 digits
        4: "1.41023E+17",  # scientific notation, as a CSV export writes it
        5: lost_digits(),  # digits lost after the 15th
        6: full_width(id_number()),
        7: x[:17] + "x",
        8: id_number()[:6] + " " + id_number()[6:],
        9: checksum_wrong(id_number()),
    }
    rows = household(XIANGFEN_VILLAGE, (good, "王建国"))
    for _row, cell in damaged.items():
        rows.append([good, cell, "某人", "子女", None, None, None])
    before = await counts(h)
    response = await upload(h, world.xiangfen, workbook(rows))
    assert response.status_code == 422
    report = response.json()
    assert not report["committed"] and report["badRows"] == len(damaged)
    reasons = {p["row"]: p["reason"] for p in report["problems"]}
    assert {p["column"] for p in report["problems"]} == {"id_number"}
    assert "number, not text" in reasons[3] and "format the ID column as text" in reasons[3]
    assert "scientific notation" in reasons[4]
    assert "lost them" in reasons[5] or "check character" in reasons[5]
    assert "full-width" in reasons[6]
    assert "uppercase X" in reasons[7]
    assert "spaces" in reasons[8]
    assert "check character" in reasons[9]
    assert await counts(h) == before

    # The same report as an annotated copy of the workbook.
    response = await upload(h, world.xiangfen, workbook(rows), report="xlsx")
    assert response.status_code == 422
    assert response.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "problems"
    assert sheet.cell(row=2, column=len(header)).value is None  # the head's row is fine
    assert "scientific notation" in sheet.cell(row=4, column=len(header)).value
    marked = sheet.cell(row=4, column=2)
    assert marked.fill.start_color.rgb.endswith("FFC7CE") and "scientific" in marked.comment.text
    assert sheet.cell(row=4, column=3).fill.fill_type is None
    summary = dict(book.worksheets[1].iter_rows(values_only=True, max_col=2))
    assert summary["rows with problems"] == len(damaged) and summary["written"] == "no"
    assert await counts(h) == before


async def test_a_legacy_number_is_upgraded(world: World) -> None:
    legacy = "141023850704123"
    response = await upload(
        world.h, world.xiangfen, workbook(household(XIANGFEN_VILLAGE, (legacy, "老王")))
    )
    assert response.status_code == 200, response.text
    assert "upgraded" in response.json()["warnings"][0]["reason"]
    data = await world.h.ok(
        '{ persons(first: 1, filter: {search: "141023198507041235"}) { nodes { name birthDate } } }',
        token=world.xiangfen,
    )
    assert data["persons"]["nodes"] == [{"name": "老王", "birthDate": "1985-07-04"}]


async def audit_rows(h: Harness) -> list[tuple[str, str, bool]]:
    """The roster.import audit rows: operation, outcome, and whether it was a dry run."""
    async with h.session() as session:
        result = await session.execute(
            select(AuditEvent.operation, AuditEvent.outcome, AuditEvent.details)
            .where(AuditEvent.operation == "roster.import")
            .order_by(AuditEvent.id)
        )
        return [(o, outcome, bool(d.get("dryRun"))) for o, outcome, d in result]


async def test_importing_the_same_file_twice_changes_nothing(world: World) -> None:
    h = world.h
    head, child = id_number(), id_number(dt.date(2012, 1, 1))
    rows = household(
        XIANGFEN_VILLAGE, (head, "王建国"), (child, "王小明", "子女"), categories="低保"
    )
    content = workbook(rows)
    first = (await upload(h, world.xiangfen, content)).json()
    assert first["counts"]["rows"]["CREATED"] == 2
    state = await counts(h)
    second = await upload(h, world.xiangfen, content)
    assert second.status_code == 200
    report = second.json()
    assert report["counts"]["rows"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 2}
    assert report["counts"]["persons"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 2}
    assert report["counts"]["households"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 1}
    assert report["counts"]["categories"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 1}
    assert await counts(h) == state
    # A corrected name and address update in place; the rest stays unchanged.
    rows[0][5], rows[1][2] = "东关村 2 号", "王晓明"
    third = (await upload(h, world.xiangfen, workbook(rows))).json()
    assert third["counts"]["rows"] == {"CREATED": 0, "UPDATED": 2, "UNCHANGED": 0}
    assert third["counts"]["households"]["UPDATED"] == 1
    assert await counts(h) == state
    data = await h.ok(
        "{ households(first: 2) { nodes { address head { name } } } }", token=world.xiangfen
    )
    assert data["households"]["nodes"] == [{"address": "东关村 2 号", "head": {"name": "王建国"}}]
    assert await audit_rows(h) == [("roster.import", "ok", False)] * 3


async def test_a_dry_run_reports_the_same_and_writes_nothing(world: World) -> None:
    h = world.h
    content = workbook(
        household(XIANGFEN_VILLAGE, (id_number(), "王建国"), (id_number(), "王二", "兄弟姐妹"))
    )
    dry = await upload(h, world.xiangfen, content, dryRun="true")
    assert dry.status_code == 200
    assert await counts(h) == {
        "Person": 0,
        "Household": 0,
        "Membership": 0,
        "CategoryAssignment": 0,
    }
    # A dry run is audited like an import (it tells what the registry holds).
    assert await audit_rows(h) == [("roster.import", "ok", True)]
    real = (await upload(h, world.xiangfen, content)).json()
    assert (
        dry.json()["counts"] == real["counts"]
        and dry.json()["dryRun"]
        and not dry.json()["committed"]
    )
    assert real["committed"] and (await counts(h))["Person"] == 2


async def test_one_bad_checksum_in_a_thousand_rows_writes_nothing(world: World) -> None:
    h = world.h
    rows = []
    for _ in range(1000):
        rows += household(XIANGFEN_VILLAGE, (id_number(), "户主"))
    rows[736][0] = rows[736][1] = checksum_wrong(rows[736][1])
    response = await upload(h, world.xiangfen, workbook(rows))
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert {(p["row"], p["column"]) for p in problems} == {
        (738, "id_number"),
        (738, "head_id_number"),
    }
    assert all("check character" in p["reason"] for p in problems)
    assert (await counts(h))["Person"] == 0
    assert await audit_rows(h) == [("roster.import", "failed", False)]


async def test_rows_outside_the_actors_area_are_refused(world: World) -> None:
    h = world.h
    outsider = id_number(county="141024")
    await h.household(HONGTONG_VILLAGE, [("HEAD", "洪洞人", outsider)])
    before = await counts(h)
    rows = household(HONGTONG_VILLAGE, (id_number(), "别县户主"))
    rows += household(XIANGFEN_VILLAGE, (id_number(), "本县户主"), (outsider, "洪洞人", "配偶"))
    report = (await upload(h, world.xiangfen, workbook(rows))).json()
    reasons = {(p["row"], p["column"]): p["reason"] for p in report["problems"]}
    assert "outside your area" in reasons[(2, "region_code")]
    assert "registered outside your area" in reasons[(4, "id_number")]
    assert len(reasons) == 2 and not report["committed"]
    assert await counts(h) == before


async def test_duplicates_in_the_file_and_against_the_database_are_reported(world: World) -> None:
    h = world.h
    member = id_number()
    await h.household(
        XIANGFEN_VILLAGE, [("HEAD", "老户主", id_number()), ("CHILD", "已登记", member)]
    )
    twice = id_number()
    rows = household(
        XIANGFEN_VILLAGE, (id_number(), "新户主"), (twice, "甲", "子女"), (twice, "甲", "子女")
    )
    rows += [[rows[0][0], member, "已登记", "子女", None, None, None]]
    report = (await upload(h, world.xiangfen, workbook(rows))).json()
    reasons = {(p["row"], p["column"]): p["reason"] for p in report["problems"]}
    assert reasons[(4, "id_number")] == (
        "the same ID number is already on row 3: a person is listed once; delete one of the "
        "two rows, or correct the ID number"
    )
    assert "member of another household" in reasons[(5, "id_number")]


async def test_a_csv_in_gb18030_with_english_headers_is_imported(world: World) -> None:
    rows = household(XIANGFEN_VILLAGE, (id_number(), "王建国"), (id_number(), "王小红", "女儿"))
    content = csv_file(rows, encoding="gb18030")
    response = await upload(world.h, world.xiangfen, content, media="text/csv")
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["rows"]["CREATED"] == 2


async def test_a_missing_column_and_bad_cells_are_named(world: World) -> None:
    h = world.h
    no_name = workbook(
        [[id_number(), id_number(), "户主"]], headers=["户主身份证号", "身份证号", "与户主关系"]
    )
    report = (await upload(h, world.xiangfen, no_name)).json()
    assert bare(report["problems"]) == [
        {
            "row": 1,
            "column": None,
            "reason": "the column 姓名 / name is missing from the header row, and every roster "
            "needs it: add it (the template has every column)",
        }
    ]
    head = id_number()
    rows = [
        [head, head, "王", "户主", XIANGFEN_VILLAGE, None, None],
        [head, id_number(), "", "表哥", None, None, "贫困户"],
        [head, id_number(), "王三", "子女", "141023", None, None],
    ]
    report = (await upload(h, world.xiangfen, workbook(rows))).json()
    reasons = {(p["row"], p["column"]): p["reason"] for p in report["problems"]}
    assert reasons[(3, "categories")] == (
        "「贫困户」 is not one of the values this column takes: write one of 孤儿、"
        "事实无人抚养儿童、困境儿童、特困人员、低保、贫困残疾人、困难优抚安置对象"
    )
    assert reasons[(3, "name")] == "the name is empty: write the person's name as on the ID card"
    assert reasons[(3, "relation")].startswith("「表哥」 is not one of the values")
    assert "differs from the one on the head's row 2" in reasons[(4, "region_code")]
    assert len(reasons) == 4


async def test_the_route_needs_a_login_the_permission_and_a_spreadsheet(world: World) -> None:
    h = world.h
    content = workbook(household(XIANGFEN_VILLAGE, (id_number(), "王建国")))
    assert (await upload(h, None, content)).status_code == 401
    assert (await upload(h, "not-a-token", content)).status_code == 401
    assert (await upload(h, world.supervisor, content)).status_code == 403
    assert await audit_rows(h) == [("roster.import", "denied", False)]
    assert (await upload(h, world.xiangfen, content, media="text/plain")).status_code == 415
    assert (await counts(h))["Person"] == 0
    template = await h.client.get(
        "/import/roster/template", headers={"Authorization": f"Bearer {world.xiangfen}"}
    )
    assert template.status_code == 200
    rows = read_workbook(template.content)
    assert rows[0][:3] == ["户主身份证号 / head_id_number", "身份证号 / id_number", "姓名 / name"]


async def test_the_graphql_api_links_to_the_upload_and_lists_the_columns(world: World) -> None:
    data = await world.h.ok(
        "{ rosterImport { uploadUrl templateUrl columns { key headerZh required household plugin } } }",
        token=world.xiangfen,
    )
    info = data["rosterImport"]
    assert (
        info["uploadUrl"] == "/import/roster" and info["templateUrl"] == "/import/roster/template"
    )
    columns = {c["key"]: c for c in info["columns"]}
    assert columns["id_number"] == {
        "key": "id_number",
        "headerZh": "身份证号",
        "required": True,
        "household": False,
        "plugin": None,
    }
    assert (
        columns["housing_safety_grade"]["household"]
        and columns["housing_safety_grade"]["plugin"] == "housing"
    )
    anonymous = await world.h.post("{ rosterImport { uploadUrl } }")
    assert anonymous.status_code == 401


async def test_a_file_over_the_limit_is_refused_before_reading(
    tmp_path: Path, database_url: str | None
) -> None:
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"max_roster_bytes": 4096}
    ) as h:
        world = await make_world(h)
        rows = []
        for _ in range(60):
            rows += household(XIANGFEN_VILLAGE, (id_number(), "户主"))
        content = csv_file(rows)
        assert len(content) > 4096
        response = await upload(h, world.xiangfen, content, media="text/csv")
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
        assert (await counts(h))["Person"] == 0


async def test_a_file_that_is_not_a_workbook_is_refused_with_a_reason(world: World) -> None:
    for params in ({}, {"report": "xlsx"}):  # no copy of an unreadable file: JSON
        response = await upload(world.h, world.xiangfen, b"PK\x03\x04 not a zip", **params)
        assert response.status_code == 422
        assert bare(response.json()["problems"]) == [
            {
                "row": 0,
                "column": None,
                "reason": "the file is not a readable Excel workbook (.xlsx): open it in Excel "
                "and save it again as an Excel workbook (.xlsx)",
            }
        ]
    empty = await upload(world.h, world.xiangfen, b"", media="text/csv")
    assert empty.json()["problems"][0]["reason"].startswith("the file is empty")
    # Valid UTF-8 for the first 64 KiB, then a byte that is not.
    rows = household(XIANGFEN_VILLAGE, (id_number(), "王建国")) * 900
    broken = csv_file(rows) + b"\xff\xfe\xfa,\n"
    assert len(broken) > 1 << 16
    response = await upload(world.h, world.xiangfen, broken, media="text/csv", report="xlsx")
    assert response.status_code == 422
    assert "cannot be read after line" in response.json()["problems"][0]["reason"]
