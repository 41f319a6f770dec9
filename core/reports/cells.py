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
