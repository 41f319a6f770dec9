"""The roster import speaks the clerk's language: problems naming row, column and cell, in
Chinese by default and in English on request; the template and the import agree (names or
numbers); the template and the annotated copy are written in the request's language."""

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bangfu.cli import main
from bangfu.core import i18n
from bangfu.core.registry.models import Person
from bangfu.core.roster.columns import RosterValueError
from bangfu.core.roster.rows import (
    DISABILITY_CATEGORIES,
    DISABILITY_GRADES,
    disability_category,
    disability_grade,
)
from bangfu.core.roster.workbook import template
from tests.helpers import XIANGFEN_VILLAGE, World, id_number
from tests.roster_files import HEADERS_EN, HEADERS_ZH, XLSX, household, workbook
from tests.test_cli import env as env
from tests.test_roster_import import checksum_wrong

pytestmark = pytest.mark.anyio

DISABILITY_HEADERS = [*HEADERS_ZH, "残疾类别", "残疾等级"]


async def upload(world: World, content: bytes, language: str | None = None, **params: str) -> Any:
    headers = {"Content-Type": XLSX, "Authorization": f"Bearer {world.xiangfen}"}
    if language:
        headers["Accept-Language"] = language
    return await world.h.client.post(
        "/import/roster", content=content, headers=headers, params=params
    )


# -- the cell parsers: names as the template lists them, or numbers ---------------------


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" else c for c in text)


@given(st.sampled_from(sorted(DISABILITY_CATEGORIES)), st.data())
def test_a_disability_category_reads_by_name_or_number(number: int, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(DISABILITY_CATEGORIES[number]))
    padding = data.draw(st.sampled_from(["", " ", "\u3000"]))
    assert disability_category(f"{padding}{name}{padding}") == number
    assert disability_category(str(number)) == number
    assert disability_category(full_width(str(number))) == number


@given(st.sampled_from(sorted(DISABILITY_GRADES)), st.data())
def test_a_disability_grade_reads_by_name_or_number(number: int, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(DISABILITY_GRADES[number]))
    assert disability_grade(name) == number
    assert disability_grade(f" {number} ") == number
    assert disability_grade(full_width(f"{number}级")) == number


@given(st.text(max_size=12))
def test_any_text_is_a_category_1_to_7_or_a_reason(text: str) -> None:
    try:
        assert disability_category(text) in range(1, 8)
    except RosterValueError as exc:
        assert "disability category" in exc.reason and "1 to 7" in exc.reason


@given(st.text(max_size=12))
def test_any_text_is_a_grade_1_to_4_or_a_reason(text: str) -> None:
    try:
        assert disability_grade(text) in range(1, 5)
    except RosterValueError as exc:
        assert "disability grade" in exc.reason and "1 to 4" in exc.reason


@given(st.integers().filter(lambda n: not 1 <= n <= 7))
def test_a_category_number_out_of_range_is_refused(number: int) -> None:
    with pytest.raises(RosterValueError):
        disability_category(str(number))


@given(st.integers().filter(lambda n: not 1 <= n <= 4))
def test_a_grade_number_out_of_range_is_refused(number: int) -> None:
    with pytest.raises(RosterValueError):
        disability_grade(str(number))


def test_the_reasons_in_chinese() -> None:
    with i18n.speaking("zh"), pytest.raises(RosterValueError) as caught:
        disability_grade("五级")
    assert caught.value.reason == (
        "「五级」不是残疾等级：请按残疾证填写等级（一级、二级、三级或四级），或填 1 至 4"
    )


# -- the import: names and numbers, and the grade's own cell ----------------------------


def disabled_household(category: Any, grade: Any, name: str = "王小明") -> list[list[Any]]:
    rows = household(XIANGFEN_VILLAGE, (id_number(), "王建国"), (id_number(), name, "子女"))
    rows[0] += [None, None]
    rows[1] += [category, grade]
    return rows


async def test_the_template_s_words_are_what_the_import_takes(world: World) -> None:
    cases = (
        ("肢体", "二级", (4, 2)),
        (4, 2, (4, 2)),
        ("视力残疾", "一", (1, 1)),
        ("6", "4级", (6, 4)),
    )
    for index, (category, grade, expected) in enumerate(cases):
        name = f"王小明{index}"
        content = workbook(disabled_household(category, grade, name), headers=DISABILITY_HEADERS)
        response = await upload(world, content)
        assert response.status_code == 200, response.text
        async with world.h.session() as session:
            person = await session.scalar(select(Person).where(Person.name == name))
            assert person is not None
            assert (person.disability_category, person.disability_grade) == expected


async def test_a_bad_grade_flags_the_grade_cell_not_the_category(world: World) -> None:
    rows = disabled_household("肢体", "五级")
    response = await upload(world, workbook(rows, headers=DISABILITY_HEADERS), language="en")
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem == {
        "row": 3,
        "column": "disability_grade",
        "columnName": "disability_grade",
        "cell": "I3",
        "reason": "「五级」 is not a disability grade: write the grade as on the disability "
        "certificate (一级, 二级, 三级 or 四级), or its number from 1 to 4",
        "message": 'Row 3, column "disability_grade" (cell I3): 「五级」 is not a disability '
        "grade: write the grade as on the disability certificate (一级, 二级, 三级 or 四级), "
        "or its number from 1 to 4",
    }
    # A category without its grade: the missing grade's cell is the one to fill.
    rows = disabled_household("肢体", None)
    response = await upload(world, workbook(rows, headers=DISABILITY_HEADERS), language="zh-CN")
    [problem] = response.json()["problems"]
    assert (problem["column"], problem["cell"], problem["columnName"]) == (
        "disability_grade",
        "I3",
        "残疾等级",
    )
    assert problem["message"] == (
        "第 3 行「残疾等级」列（I3 单元格）：填了残疾类别，但没有填残疾等级：请按残疾证填写"
        "等级（一级至四级），或清空残疾类别"
    )


# -- problems in Chinese and in English, with row and column ---------------------------


async def test_a_mistyped_id_number_says_compare_it_with_the_card(world: World) -> None:
    rows = household(XIANGFEN_VILLAGE, (id_number(), "王建国"), (id_number(), "王小明", "子女"))
    rows[1][1] = checksum_wrong(rows[1][1])
    content = workbook(rows)
    chinese = (await upload(world, content, language="zh-CN")).json()
    [problem] = chinese["problems"]
    assert (problem["row"], problem["column"], problem["cell"]) == (3, "id_number", "B3")
    assert problem["columnName"] == "身份证号"
    assert problem["reason"] == (
        "身份证号最后一位（校验码）与前 17 位对不上：很可能有一位数字录错了，或两位数字颠倒了；"
        "请对照身份证逐位核对"
    )
    assert problem["message"] == f"第 3 行「身份证号」列（B3 单元格）：{problem['reason']}"
    english = (await upload(world, content, language="en-US,en;q=0.9")).json()
    [problem] = english["problems"]
    assert problem["message"] == (
        'Row 3, column "id_number" (cell B3): the ID number\'s last character (the check '
        "character) does not fit the 17 digits before it: one digit was probably mistyped, or "
        "two were swapped; compare the number with the ID card digit by digit"
    )


async def test_a_bad_birth_date_names_the_digits(world: World) -> None:
    rows = household(XIANGFEN_VILLAGE, (id_number(), "王建国"), (id_number(), "王小明", "子女"))
    rows[1][1] = rows[1][1][:10] + "13" + rows[1][1][12:]  # month 13
    [problem] = (await upload(world, workbook(rows), language="zh-CN")).json()["problems"]
    birth = rows[1][1][6:14]
    assert problem["reason"] == (
        f"身份证号中的出生日期（{birth}，即年月日）不是真实存在的日期：很可能有一位数字录错了；"
        "请对照身份证核对"
    )


async def test_both_header_languages_are_accepted(world: World) -> None:
    for headers in (
        HEADERS_ZH,
        HEADERS_EN,
        [f"{z} / {e}" for z, e in zip(HEADERS_ZH, HEADERS_EN, strict=True)],
    ):
        rows = household(XIANGFEN_VILLAGE, (id_number(), "王建国"), (id_number(), "王小明", "子女"))
        response = await upload(world, workbook(rows, headers=headers))
        assert response.status_code == 200, (headers, response.text)
        assert response.json()["counts"]["rows"]["CREATED"] == 2


async def test_a_header_problem_and_the_summary_in_both_languages(world: World) -> None:
    content = workbook(
        [[id_number(), id_number(), "户主"]], headers=["户主身份证号", "身份证号", "与户主关系"]
    )
    chinese = (await upload(world, content, language="zh-CN")).json()
    assert [p["message"] for p in chinese["problems"]] == [
        "第 1 行（表头行）：表头行缺少 姓名 / name 列，每份花名册都必须有这一列：请补上"
        "（模板中各列齐全）"
    ]
    english = (await upload(world, content, language="en")).json()
    assert [p["message"] for p in english["problems"]] == [
        "Header row 1: the column 姓名 / name is missing from the header row, and every roster "
        "needs it: add it (the template has every column)"
    ]
    # Codes and keys stay the same in every language.
    assert [p["column"] for p in chinese["problems"]] == [p["column"] for p in english["problems"]]


# -- the annotated copy and the template, in the request's language --------------------


async def test_the_annotated_copy_in_chinese_and_english(world: World) -> None:
    rows = household(XIANGFEN_VILLAGE, (id_number(), "王建国"), (id_number(), "王小明", "表哥"))
    content = workbook(rows)
    response = await upload(world, content, language="zh-CN", report="xlsx")
    assert response.status_code == 422
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["花名册 roster", "汇总"]
    sheet = book.worksheets[0]
    problems = len(HEADERS_ZH) + 1
    assert sheet.cell(row=1, column=problems).value == "问题"
    assert sheet.cell(row=3, column=problems).value == (
        "与户主关系：「表哥」不是这一列可以填写的值：请填写以下之一："
        "户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、其他亲属、其他"
    )
    assert sheet.cell(row=3, column=4).comment.text.startswith("「表哥」不是")
    assert sheet.column_dimensions["B"].width >= 20  # an ID number fits
    assert sheet.column_dimensions[sheet.cell(row=1, column=problems).column_letter].width == 80
    summary = dict(book["汇总"].iter_rows(values_only=True, max_col=2))
    assert summary["有问题的行"] == 1 and summary["已写入"] == "否" and summary["试导入"] == "否"
    assert summary["结果"] == "发现 1 个问题，在第 3 行；未写入任何数据。"

    response = await upload(world, content, language="en", report="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["花名册 roster", "summary"]
    assert book.worksheets[0].cell(row=1, column=problems).value == "problems"
    summary = dict(book["summary"].iter_rows(values_only=True, max_col=2))
    assert summary["rows with problems"] == 1 and summary["written"] == "no"


async def test_the_template_route_speaks_the_request_s_language(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.xiangfen}"}
    zh = await world.h.client.get(
        "/import/roster/template", headers={**headers, "Accept-Language": "zh-CN"}
    )
    en = await world.h.client.get(
        "/import/roster/template", headers={**headers, "Accept-Language": "en"}
    )
    assert zh.headers["content-language"] == "zh-Hans" and en.headers["content-language"] == "en"
    assert openpyxl.load_workbook(io.BytesIO(zh.content)).sheetnames == [
        "花名册 roster",
        "填写说明",
    ]
    assert openpyxl.load_workbook(io.BytesIO(en.content)).sheetnames == [
        "花名册 roster",
        "instructions",
    ]


def instructions_of(path: Path) -> dict[str, tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(path)["填写说明" if "zh" in path.name else "instructions"]
    return {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]}


def test_the_template_in_chinese_cell_by_cell(tmp_path: Path) -> None:
    path = tmp_path / "template-zh.xlsx"
    with i18n.speaking("zh"):
        template([], path)
    book = openpyxl.load_workbook(path)
    roster, instructions = book.worksheets
    # The headers stay bilingual: a partner system reads them back, the import takes either.
    assert [c.value for c in roster[1]][:4] == [
        "户主身份证号 / head_id_number",
        "身份证号 / id_number",
        "姓名 / name",
        "与户主关系 / relation",
    ]
    assert [c.value for c in instructions[1]] == [
        "中文表头",
        "英文表头",
        "必填",
        "填写要求",
        "示例",
    ]
    rows = instructions_of(path)
    assert rows["id_number"][:3] == ("身份证号", "id_number", "是")
    assert rows["disability_category"][3] == (
        "残疾证上的残疾类别（GB/T 26341）：视力、听力、言语、肢体、智力、精神或多重，也可以填"
        "编号 1 至 7；须与残疾等级一起填写。"
    )
    assert rows["disability_category"][4] == "肢体" and rows["disability_grade"][4] == "二级"
    # The ID columns are text, the certification day a date; the ID column fits 18 digits.
    assert roster.cell(row=2, column=2).number_format == "@"
    assert roster.cell(row=2, column=10).value is None
    assert roster.cell(row=2, column=10).number_format == "yyyy-mm-dd"
    assert roster.column_dimensions["B"].width >= 20
    assert instructions.column_dimensions["A"].width >= 14  # 户主身份证号: six wide characters


def test_the_template_in_english(tmp_path: Path) -> None:
    path = tmp_path / "template-en.xlsx"
    with i18n.speaking("en"):
        template([], path)
    instructions = openpyxl.load_workbook(path)["instructions"]
    assert [c.value for c in instructions[1]] == [
        "Chinese header",
        "English header",
        "required",
        "what to write",
        "example",
    ]
    rows = instructions_of(path)
    assert rows["disability_grade"][3] == (
        "The disability grade as on the disability certificate: 一级, 二级, 三级 or 四级, or "
        "its number 1 to 4; together with the category."
    )


async def test_a_filled_template_imports(world: World, tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    template([], path)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    head, child = id_number(), id_number()
    sheet.append([head, head, "王建国", "户主", XIANGFEN_VILLAGE, "东关村 1 号"])
    row = [head, child, "王小明", "子女", None, None, None, "农村", None, None, "肢体", "二级"]
    sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    response = await upload(world, out.getvalue())
    assert response.status_code == 200, response.text


# -- the command line: BANGFU_LANGUAGE -----------------------------------------------


def test_the_command_speaks_chinese_by_default(
    env: dict[str, str | None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BANGFU_LANGUAGE", raising=False)
    assert main(["db", "upgrade"]) == 0
    roster = tmp_path / "roster.xlsx"
    rows = household("141023", (id_number(), "王建国"), (id_number(), "王小明", "表哥"))
    roster.write_bytes(workbook(rows))
    capsys.readouterr()
    assert main(["import", "roster", str(roster)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "第 3 行「与户主关系」列（D3 单元格）：「表哥」不是这一列可以填写的值：请填写以下之一："
        "户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、其他亲属、其他",
        "发现 1 个问题，在第 3 行；未写入任何数据。",
    ]
    rows[1][3] = "子女"
    roster.write_bytes(workbook(rows))
    assert main(["import", "roster", str(roster), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "全部 2 行均无问题；本次为试导入：未写入任何数据。" in out
    assert "行：新增 2，更新 0，未变 0" in out
    monkeypatch.setenv("BANGFU_LANGUAGE", "en")
    assert main(["import", "roster", str(roster), "--dry-run"]) == 0
    assert "All 2 rows are valid; this was a dry run" in capsys.readouterr().out
