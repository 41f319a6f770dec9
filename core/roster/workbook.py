"""The workbooks the import writes: the template, and the annotated copy of a roster.

The annotated copy is written in openpyxl's write-only mode, row by row, so a 20,000-row
roster is copied with flat memory; every row keeps its number (blank rows and title rows
are copied too), so a problem reported at row 100 is marked on row 100. Text is written
as text, never as a formula (:mod:`bangfu.core.reports.cells`).
"""

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from bangfu.core.reports.cells import neutralise, text_cell
from bangfu.core.roster.columns import RosterColumns
from bangfu.core.roster.headers import Column, columns_of
from bangfu.core.roster.limits import RosterLimits
from bangfu.core.roster.read import read_rows
from bangfu.core.roster.report import Report

TEXT = "@"  # Excel's text number format
BAD_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
WARN_FILL = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")
HEADER_FONT = Font(bold=True)
PROBLEMS_HEADER = "问题 / problems"
TEMPLATE_ROWS = 2000  # rows pre-formatted as text in the template's ID columns

ID_NOTES = (
    "身份证号请按文本录入：本表的身份证号、户主身份证号、区划代码、联系电话列已设为文本格式。",
    "ID numbers must be text: the ID, head's ID, region code and phone columns are formatted "
    "as text.",
    "Excel 把数字只保留 15 位：18 位身份证号若存为数字，后三位会变成 000，或显示为 1.41023E+17。",
    "A spreadsheet keeps 15 digits of a number: an ID number stored as a number loses its last "
    "three digits (…000) or shows as 1.41023E+17. Such cells are refused, never repaired: "
    "format the column as text and re-enter the number from the ID card.",
    "Full-width digits (１２３), a lowercase x and spaces are refused too; 15-digit "
    "first-generation numbers are upgraded to 18 characters.",
    "One household = the rows that share 户主身份证号 / head_id_number; the head's row has "
    "relation 户主 and carries the region code and address.",
    "Importing the same file again changes nothing. One bad row means nothing is written: "
    "the answer lists every bad cell with the reason.",
)


def template(groups: Sequence[tuple[str, RosterColumns]], path: Path) -> None:
    """Write the template: the roster sheet with its headers, and the instructions."""
    columns = columns_of(groups)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "花名册 roster"
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.title)
        cell.font = HEADER_FONT
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.title) + 6)
        if column.text:
            sheet.column_dimensions[letter].number_format = TEXT
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = TEXT
    sheet.freeze_panes = "A2"
    _instructions(workbook.create_sheet("说明 instructions"), columns)
    neutralise(workbook)  # plugins' descriptions and examples are text, never formulas
    workbook.save(path)


def _instructions(sheet: Worksheet, columns: Sequence[Column]) -> None:
    sheet.append(["列 / column", "key", "必填 / required", "说明 / description", "示例 / example"])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
    for column in columns:
        sheet.append(
            [
                column.header_zh,
                column.key,
                "是 / yes" if column.required else "",
                column.description + (f" ({column.plugin})" if column.plugin else ""),
                column.example,
            ]
        )
        sheet.cell(row=sheet.max_row, column=5).number_format = TEXT
    sheet.append([])
    for note in ID_NOTES:
        sheet.append([note])
    for letter, width in zip("ABCDE", (16, 26, 14, 90, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")


def annotated_copy(
    source: Path, report: Report, path: Path, limits: RosterLimits | None = None
) -> None:
    """Copy the roster with each bad cell marked, its reason as a comment, and a column of
    every reason of the row; a second sheet holds the summary."""
    by_row: dict[int, list[tuple[str | None, str]]] = defaultdict(list)
    for problem in report.problems:
        by_row[problem.row].append((problem.column, problem.reason))
    warned: dict[int, list[tuple[str | None, str]]] = defaultdict(list)
    for warning in report.warnings:
        warned[warning.row].append((warning.column, warning.reason))
    index_of = {}
    if report.headers is not None:
        index_of = {column.key: i for i, column in report.headers.by_index.items()}
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册 roster")
    header_row = report.header_row
    width = 0
    written = 0
    for number, cells in read_rows(source, limits):
        while written < number - 1:  # blank rows too: the row numbers stay the file's
            sheet.append([])
            written += 1
        header_row = header_row or number
        out: list[Any] = []
        bad = {index_of[c]: r for c, r in by_row.get(number, []) if c in index_of}
        warn = {index_of[c]: r for c, r in warned.get(number, []) if c in index_of}
        marked = max([*bad, *warn], default=-1) + 1
        cells = (*cells, *([None] * (marked - len(cells))))  # a blank cell can be the bad one
        width = max(width, len(cells))
        for index, value in enumerate(cells):
            cell = WriteOnlyCell(sheet, value=value) if value is not None else None
            if isinstance(value, str):
                cell = text_cell(sheet, value)
                cell.number_format = TEXT
            if index in bad or index in warn:
                cell = cell or WriteOnlyCell(sheet)
                cell.fill = BAD_FILL if index in bad else WARN_FILL
                cell.comment = Comment(bad.get(index) or warn[index], "bangfu")
            out.append(cell)
        out += [None] * (width - len(cells))
        if number == header_row:
            out.append(WriteOnlyCell(sheet, value=PROBLEMS_HEADER))
        elif number > header_row:
            reasons = [_describe(c, r) for c, r in by_row.get(number, [])]
            reasons += ["(warning) " + _describe(c, r) for c, r in warned.get(number, [])]
            out.append(text_cell(sheet, "; ".join(reasons)) if reasons else None)
        sheet.append(out)
        written = number
    summary = workbook.create_sheet("结果 summary")
    summary.append(["file", text_cell(summary, report.file_name)])
    summary.append(["dry run", "yes" if report.dry_run else "no"])
    summary.append(["committed", "yes" if report.committed else "no"])
    summary.append(["rows", report.rows])
    summary.append(["bad rows", report.bad_rows])
    if report.failure:
        summary.append(["failure", report.failure])
    for problem in report.problems:
        if problem.row in (0, header_row) and problem.column is None:
            summary.append(["file problem", problem.reason])
    for what, counter in report.counts.items():
        summary.append([what, *(f"{c.value}: {n}" for c, n in sorted(counter.items()))])
    workbook.save(path)


def _describe(column: str | None, reason: str) -> str:
    if column is None:
        return reason
    return f"{column}: {reason}"
