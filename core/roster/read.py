"""Reading a roster file row by row: Excel (.xlsx) or CSV (UTF-8 or GB 18030).

Cells come back as the spreadsheet holds them (text, number, date), so the validation can
tell a number typed as a number from text. Workbooks are read with python-calamine (Rust:
20,000 rows in about half a second, against some ten seconds for openpyxl's read-only
mode), which holds the sheet's cells compactly outside Python while rows are handed out
one at a time; CSV files are read line by line.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

SUFFIXES = (".xlsx", ".csv")


class RosterFileError(ValueError):
    """The file cannot be read as a roster at all (wrong type, damaged, empty)."""


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise RosterFileError(
            f"a roster is an Excel workbook (.xlsx) or a CSV file, not {suffix or 'no suffix'}"
        )
    return suffix[1:]


def read_rows(path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(row number, cells)`` for every row of the first sheet, the header row first.

    Row numbers are the spreadsheet's (1 = the header row); blank rows are skipped.
    """
    rows = _xlsx_rows(path) if kind_of(path) == "xlsx" else _csv_rows(path)
    for number, cells in enumerate(rows, start=1):
        if any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
            yield number, cells


def _xlsx_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception as exc:  # calamine raises several kinds for a damaged or foreign file
        raise RosterFileError("the file is not a readable Excel workbook (.xlsx)") from exc
    try:
        for row in rows:
            # calamine gives "" for an empty cell; the importer expects None.
            yield tuple(None if cell == "" else cell for cell in row)
    finally:
        workbook.close()


def _csv_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    encoding = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        try:
            for row in reader:
                yield tuple(row)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise RosterFileError(
                f"the CSV file cannot be read after line {reader.line_num}: "
                f"it is not {encoding} text throughout"
            ) from exc


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB 18030, which Chinese Excel writes."""
    with path.open("rb") as handle:
        sample = handle.read(1 << 16)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is not an error.
            if exc.start < len(sample) - 4:
                continue
            text = sample[: exc.start].decode(encoding)
        try:
            next(csv.reader(io.StringIO(text)))
        except (StopIteration, csv.Error):
            pass
        return encoding
    raise RosterFileError("the CSV file is neither UTF-8 nor GB 18030 text")


def cell_text(value: Any) -> str | None:
    """The text of a non-ID cell: numbers without a spurious ``.0``, dates as ISO days."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None
