"""Reading a roster file row by row: Excel (.xlsx) or CSV (UTF-8 or GB 18030).

Cells come back as the spreadsheet holds them (text, number, date), so the validation can
tell a number typed as a number from text. A workbook is first checked from its zip
directory and streamed XML (:mod:`bangfu.core.roster.xlsx_check`: size, extent, cell lengths,
formulas), then read with python-calamine (Rust: 20,000 rows in about half a second,
against some ten seconds for openpyxl's read-only mode) in a child process with memory
and time limits (:mod:`bangfu.core.roster.xlsx_reader`), which writes the rows to a temporary
file streamed from here. CSV files are read line by line, within the same limits.
"""

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bangfu.core.i18n import _
from bangfu.core.roster.limits import RosterLimits
from bangfu.core.roster.xlsx_check import (
    WorkbookRefused,
    beyond_columns,
    beyond_rows,
    check_workbook,
    too_long,
)
from bangfu.core.roster.xlsx_reader import ReaderError, read_sheet, rows_of

SUFFIXES = (".xlsx", ".csv")


class RosterFileError(ValueError):
    """The file cannot be read as a roster at all (wrong type, damaged, empty, too large)."""


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        if not suffix:
            raise RosterFileError(
                _(
                    "the file's name has no type: a roster is an Excel workbook (.xlsx) or a "
                    "CSV file (.csv); save it as one of them"
                )
            )
        raise RosterFileError(
            _(
                "a roster is an Excel workbook (.xlsx) or a CSV file (.csv), not a {suffix} "
                "file: open it in Excel and save it as an Excel workbook (.xlsx)",
                suffix=suffix,
            )
        )
    return suffix[1:]


@dataclasses.dataclass
class Sheet:
    """An opened roster file: its rows, and what the checks found on the way."""

    #: ``(row number, cells)`` of every row, blank rows skipped; numbers are the
    #: spreadsheet's (1 = its first row), cells from column A.
    rows: Iterator[tuple[int, tuple[Any, ...]]]
    #: 0-based column -> the rows whose cell there is a formula (workbooks only).
    formulas: Mapping[int, Sequence[int]]
    #: How many rows hold something, when known before reading them (workbooks).
    used_rows: int | None


@contextlib.contextmanager
def open_roster(path: Path, limits: RosterLimits) -> Iterator[Sheet]:
    """The file at ``path`` opened as a :class:`Sheet`, or :class:`RosterFileError`."""
    kind = kind_of(path)
    size = path.stat().st_size
    if size == 0:
        raise RosterFileError(
            _("the file is empty: it needs a header row and the roster's rows below it")
        )
    if size > limits.max_file_bytes:
        raise RosterFileError(
            _(
                "the file has {size:,.1f} MiB, more than the {limit:,.0f} MiB a roster may: "
                "split it into several files",
                size=size / 2**20,
                limit=limits.max_file_bytes / 2**20,
            )
        )
    if kind == "csv":
        yield Sheet(_non_blank(_csv_rows(path, limits)), {}, None)
        return
    try:
        facts = check_workbook(path, limits)
    except WorkbookRefused as exc:
        raise RosterFileError(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="bangfu-sheet-") as folder:
        out = Path(folder) / "rows.jsonl"
        try:
            read_sheet(path, out, limits)
        except ReaderError as exc:
            raise RosterFileError(str(exc)) from None
        yield Sheet(_non_blank(rows_of(out)), facts.formulas, facts.used_rows)


def read_rows(
    path: Path, limits: RosterLimits | None = None
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(row number, cells)`` for every non-blank row of the first sheet."""
    with open_roster(path, limits or RosterLimits()) as sheet:
        yield from sheet.rows


def _non_blank(
    rows: Iterator[tuple[Any, ...]],
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, cells in enumerate(rows, start=1):
        if any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
            yield number, cells


def _csv_rows(path: Path, limits: RosterLimits) -> Iterator[tuple[Any, ...]]:
    encoding = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        try:
            for line, row in enumerate(reader, start=1):
                while row and not row[-1].strip():
                    row.pop()  # trailing empty fields, as spreadsheets export them
                if not row:
                    yield ()
                    continue
                if line > limits.max_rows:
                    raise RosterFileError(beyond_rows(line, 1, limits.max_rows))
                if len(row) > limits.max_columns:
                    raise RosterFileError(beyond_columns(line, len(row), limits.max_columns))
                for column, cell in enumerate(row, start=1):
                    if len(cell) > limits.max_cell_chars:
                        raise RosterFileError(too_long(line, column, limits.max_cell_chars))
                yield tuple(cell if cell else None for cell in row)
        except UnicodeDecodeError as exc:
            raise RosterFileError(
                _(
                    "the CSV file cannot be read after line {line}: it is not {encoding} text "
                    "throughout; open it in Excel and save it as an Excel workbook (.xlsx)",
                    line=reader.line_num,
                    encoding=encoding,
                )
            ) from exc
        except csv.Error as exc:
            # The csv module's own limit on a field (131,072 characters) or a stray quote.
            raise RosterFileError(
                _(
                    "the CSV file cannot be read at line {line}: a cell is longer than a "
                    "roster cell may be, or a quote is not closed; correct that line",
                    line=reader.line_num + 1,
                )
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
    raise RosterFileError(
        _(
            "the CSV file is neither UTF-8 nor GB 18030 text: open it in Excel and save it as "
            "an Excel workbook (.xlsx)"
        )
    )


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
