"""The workbooks the import writes: the template, and the annotated copy of a roster.

The annotated copy is written in openpyxl's write-only mode, row by row, so a 20,000-row
roster is copied with flat memory; every row keeps its number (blank rows and title rows
are copied too), so a problem reported at row 100 is marked on row 100. Text is written
as text, never as a formula (:mod:`bangfu.core.reports.cells`).

Both are written in the language being written (the request's ``Accept-Language``, or
``BANGFU_LANGUAGE`` on the command line); the roster's headers stay bilingual
(``身份证号 / id_number``), because a partner system reads them back and the import takes
either.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bangfu.core.i18n import N_, _
from bangfu.core.reports.cells import (
    DATE_FORMAT,
    TEXT_FORMAT,
    column_width,
    display_width,
    neutralise,
    text_cell,
)
from bangfu.core.roster.columns import Change, RosterColumns
from bangfu.core.roster.headers import Column, columns_of
from bangfu.core.roster.limits import RosterLimits
from bangfu.core.roster.read import read_rows
from bangfu.core.roster.report import Report

TEXT = TEXT_FORMAT  # Excel's text number format
BAD_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
WARN_FILL = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")
HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
#: The roster sheet of the template and of the annotated copy: both languages, since the
#: file goes back and forth between a clerk and a partner system.
ROSTER_SHEET = "花名册 roster"
TEMPLATE_ROWS = 2000  # rows pre-formatted as text in the template's ID columns
#: Roster columns holding a day: formatted as dates in the template.
DATE_COLUMNS = frozenset({"category_valid_from"})
#: How wide a column's values usually are (an ID number has 18 characters).
TYPICAL_WIDTH = {
    "head_id_number": 20,
    "id_number": 20,
    "name": 10,
    "region_code": 14,
    "address": 24,
    "phone": 14,
    "categories": 16,
    "category_valid_from": 12,
}

ID_NOTES = (
    N_(
        "ID numbers must be text: the ID number, head's ID number, region code and phone "
        "columns of this template are formatted as text."
    ),
    N_(
        "A spreadsheet keeps 15 digits of a number: an 18-digit ID number stored as a number "
        "loses its last three digits (…000) or shows as 1.41023E+17. Such cells are refused, "
        "never repaired: format the column as text and re-enter the number from the ID card."
    ),
    N_(
        "Full-width digits (１２３), a lowercase x and spaces are refused too; 15-digit "
        "first-generation numbers are upgraded to 18 characters."
    ),
    N_(
        "One household = the rows that share the head's ID number (户主身份证号); the head's "
        "own row has relation 户主 and carries the region code and the address."
    ),
    N_(
        "Either header is accepted: the Chinese one (身份证号) or the English one (id_number); "
        "the template writes both. Values may be written in Chinese (肢体, 二级, 低保) or as "
        "the codes the instructions give."
    ),
    N_(
        "Importing the same file again changes nothing. One bad row means nothing is written: "
        "the answer lists every bad cell with its row, column and the fix."
    ),
)


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def template(groups: Sequence[tuple[str, RosterColumns]], path: Path) -> None:
    """Write the template: the roster sheet with its headers (Chinese and English, which a
    partner system reads back), and the instructions in the language being written."""
    columns = columns_of(groups)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = ROSTER_SHEET
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.title)
        cell.font = HEADER_FONT
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = column_width(
            [display_width(column.title), TYPICAL_WIDTH.get(column.key, 0)]
        )
        fmt = TEXT if column.text else DATE_FORMAT if column.key in DATE_COLUMNS else None
        if fmt is not None:
            sheet.column_dimensions[letter].number_format = fmt
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = fmt
    sheet.freeze_panes = "A2"
    _instructions(workbook.create_sheet(_("instructions")), columns)
    neutralise(workbook)  # plugins' descriptions and examples are text, never formulas
    workbook.save(path)


def _instructions(sheet: Worksheet, columns: Sequence[Column]) -> None:
    sheet.append(
        [
            _("Chinese header"),
            _("English header"),
            _("required"),
            _("what to write"),
            _("example"),
        ]
    )
    for cell in sheet[1]:
        cell.font = HEADER_FONT
    for column in columns:
        described = column.explained
        if column.plugin:
            described = _(
                "{description} (plugin {plugin})", description=described, plugin=column.plugin
            )
        sheet.append(
            [
                column.header_zh,
                column.key,
                _yes_no(True) if column.required else "",
                described,
                column.example,
            ]
        )
        sheet.cell(row=sheet.max_row, column=5).number_format = TEXT
    sheet.append([])
    for note in ID_NOTES:
        sheet.append([_(note)])
    widths = [
        column_width(
            [display_width(c.header_zh) for c in columns] + [display_width(_("Chinese header"))]
        ),
        column_width([display_width(c.key) for c in columns]),
        column_width([display_width(_("required"))]),
        90.0,
        column_width([display_width(c.example) for c in columns], most=30),
    ]
    for letter, width in zip("ABCDE", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")


def annotated_copy(
    source: Path, report: Report, path: Path, limits: RosterLimits | None = None
) -> None:
    """Copy the roster with each bad cell marked, its reason as a comment, and a column of
    every problem of the row (named by its column); a second sheet holds the summary.
    Written in the language being written (the request's, or BANGFU_LANGUAGE)."""
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
    sheet = workbook.create_sheet(ROSTER_SHEET)
    problems_header = _("problems")
    if report.headers is not None:
        for index, column in report.headers.by_index.items():
            sheet.column_dimensions[get_column_letter(index + 1)].width = column_width(
                [display_width(column.title), TYPICAL_WIDTH.get(column.key, 0)], most=40
            )
        problems_at = max(report.headers.by_index, default=-1) + 2
        sheet.column_dimensions[get_column_letter(problems_at)].width = 80
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
            elif isinstance(value, dt.date):
                assert cell is not None
                cell.number_format = DATE_FORMAT
            if index in bad or index in warn:
                cell = cell or WriteOnlyCell(sheet)
                cell.fill = BAD_FILL if index in bad else WARN_FILL
                cell.comment = Comment(bad.get(index) or warn[index], "bangfu")
            out.append(cell)
        out += [None] * (width - len(cells))
        if number == header_row:
            header = WriteOnlyCell(sheet, value=problems_header)
            header.font = HEADER_FONT
            out.append(header)
        elif number > header_row:
            reasons = [_describe(report, c, r) for c, r in by_row.get(number, [])]
            reasons += [_describe(report, c, r, warning=True) for c, r in warned.get(number, [])]
            listed = None
            if reasons:
                listed = text_cell(sheet, "\n".join(reasons))
                listed.alignment = WRAP
            out.append(listed)
        sheet.append(out)
        written = number
    _summary(workbook.create_sheet(_("summary")), report, header_row)
    workbook.save(path)


def _summary(summary: Any, report: Report, header_row: int | None) -> None:
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 80
    lines: list[tuple[str, Any]] = [
        (_("file"), report.file_name),
        (_("result"), report.summary().split("\n")[0]),
        (_("dry run"), _yes_no(report.dry_run)),
        (_("written"), _yes_no(report.committed)),
        (_("rows"), report.rows),
        (_("rows with problems"), report.bad_rows),
    ]
    if report.failure:
        lines.append((_("failure"), report.failure))
    for problem in report.problems:
        if problem.row in (0, header_row) and problem.column is None:
            lines.append((_("problem of the file"), report.describe(problem)))
    for label, value in lines:
        summary.append([_bold(summary, label), text_cell(summary, value)])
    for what, counter in report.counts.items():
        created, updated, unchanged = (counter.get(c, 0) for c in Change)
        summary.append(
            [
                _bold(summary, report.counted(what)),
                text_cell(
                    summary,
                    _(
                        "created {created}, updated {updated}, unchanged {unchanged}",
                        created=created,
                        updated=updated,
                        unchanged=unchanged,
                    ),
                ),
            ]
        )


def _bold(sheet: Any, value: str) -> Any:
    cell = text_cell(sheet, value)
    cell.font = HEADER_FONT
    return cell


def _describe(report: Report, column: str | None, reason: str, *, warning: bool = False) -> str:
    name = report.column_name(column)
    if warning:
        if name is None:
            return _("(warning) {reason}", reason=reason)
        return _("(warning) {column}: {reason}", column=name, reason=reason)
    if name is None:
        return reason
    return _("{column}: {reason}", column=name, reason=reason)
