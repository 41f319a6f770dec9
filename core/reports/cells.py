"""Cells that never come out as formulas, whatever text they hold.

openpyxl writes a string starting with ``=`` as a formula, so a person named
``=HYPERLINK("http://…"&A2, "…")`` became a live link in every workbook that listed them.
Spreadsheet programs also evaluate text starting with ``+``, ``-``, ``@``, a tab or a
carriage return when it is edited or pasted (OWASP, "CSV injection"). Every workbook
Bangfu writes puts text through here: always a string cell, and for text starting with
one of those characters Excel's quote prefix too (the apostrophe Excel shows, which keeps
the cell text when someone edits it).
"""

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell

#: What makes a spreadsheet program read text as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(cell: Cell) -> Cell:
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl made "=..." a formula ("f")
        if cell.value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell


def text_cell(sheet: Any, value: Any) -> Any:
    """A write-only sheet's cell for ``value``: text as a string cell, never a formula;
    anything else (numbers, dates, None, cells already made) as it is."""
    if isinstance(value, str):
        return _as_text(WriteOnlyCell(sheet, value=value))
    return value


def safe_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for a write-only sheet's ``append``: every text value through :func:`text_cell`."""
    return [text_cell(sheet, value) for value in values]


def neutralise(book: Workbook) -> None:
    """Make every text cell of a (not write-only) workbook a string cell, never a formula."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell, Cell):
                    _as_text(cell)


#: Number formats: a day, a share and an amount of money (Excel's codes).
DATE_FORMAT = "yyyy-mm-dd"
SHARE_FORMAT = "0.0%"
FINE_SHARE_FORMAT = "0.00%"
MONEY_FORMAT = "¥#,##0.00"
TEXT_FORMAT = "@"


def display_width(value: Any) -> int:
    """How many character widths ``value`` takes in a cell: a CJK (wide or full-width)
    character counts two, as Excel draws it; a multi-line text its longest line."""
    import unicodedata

    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    return max(
        (
            sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
            for line in text.split("\n")
        ),
        default=0,
    )


def column_width(widths: Iterable[int], *, least: int = 6, most: int = 60) -> float:
    """A column width that fits the widest of ``widths`` (plus a margin), within bounds."""
    return float(min(most, max(least, max(widths, default=0) + 2)))


def fit_columns(sheet: Any, *, least: int = 6, most: int = 60, skip_rows: int = 0) -> None:
    """Set every column of a (not write-only) sheet to fit its widest cell; the first
    ``skip_rows`` rows (a title across the sheet) do not count."""
    from openpyxl.utils import get_column_letter

    widest: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=skip_rows + 1):
        for cell in row:
            if cell.value is None or not hasattr(cell, "column"):
                continue
            width = display_width(_shown(cell))
            if width > widest.get(cell.column, 0):
                widest[cell.column] = width
    for column, width in widest.items():
        sheet.column_dimensions[get_column_letter(column)].width = column_width(
            [width], least=least, most=most
        )


def _shown(cell: Any) -> Any:
    """About what a cell shows: a date as yyyy-mm-dd, a share as 12.3%, money with ¥."""
    import datetime as dt

    value = cell.value
    if isinstance(value, dt.date):
        return "0000-00-00"
    if isinstance(value, float | int) and not isinstance(value, bool):
        if "%" in cell.number_format:
            return f"{value:.2%}"
        if "¥" in cell.number_format:
            return f"¥{value:,.2f}"
    return value
