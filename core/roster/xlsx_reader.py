"""Reading a workbook's first sheet in a process of its own, with memory and time limits.

The checks of :mod:`bangfu.core.roster.xlsx_check` refuse what they can name. Whatever they miss
(a reader's quirk, a file crafted against the checks themselves) costs at most this
child process: it runs under ``RLIMIT_AS`` (memory), ``RLIMIT_CPU`` (time),
``RLIMIT_FSIZE`` (what it writes) and no core dump, without the service's secrets in its
environment, and is killed after twice its CPU time in wall time. It reads the sheet
with python-calamine and writes the rows as JSON lines to a file that the import then
streams; a reader that aborts (calamine aborts when an allocation fails) only ends the
child, and the import answers that the workbook could not be read within the limits.

Run as ``python -m bangfu.core.roster.xlsx_reader SOURCE OUT MEMORY SECONDS ROWS COLUMNS CHARS``.
"""

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bangfu.core.i18n import N_, _
from bangfu.core.roster.xlsx_check import UNREADABLE, beyond_columns, beyond_rows, too_long

if TYPE_CHECKING:
    from bangfu.core.roster.limits import RosterLimits

log = logging.getLogger("bangfu.roster")

_UNREADABLE = 3  # exit status: calamine refused the file
_REFUSED = 4  # exit status: a limit, with the message on stderr's last line
LIMITS_EXCEEDED = N_(
    "the workbook could not be read within the memory and time a roster may use: remove "
    "other sheets, pictures and formatting, or split the roster into several files"
)


class ReaderError(ValueError):
    """The child could not read the workbook; the message is for the user."""


def read_sheet(source: Path, out: Path, limits: "RosterLimits") -> None:
    """Write the rows of ``source``'s first sheet to ``out`` (JSON lines), in a child."""
    command = [
        sys.executable,
        "-m",
        __name__,
        str(source),
        str(out),
        str(limits.reader_memory_bytes),
        str(limits.reader_seconds),
        str(limits.max_rows),
        str(limits.max_columns),
        str(limits.max_cell_chars),
    ]
    # The child needs no key, no database URL: nothing of the service's settings.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BANGFU_")}
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=environment,
            timeout=2 * limits.reader_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("the workbook reader ran out of time and was killed")
        raise ReaderError(_(LIMITS_EXCEEDED)) from None
    if done.returncode == 0:
        return
    message = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    if done.returncode == _REFUSED:
        raise ReaderError(_refusal(message[0]))
    if done.returncode == _UNREADABLE:
        raise ReaderError(_(UNREADABLE))
    # One line per refused file (the reader's own words, e.g. a failed allocation).
    log.warning(
        "the workbook reader ended with status %s: %s",
        done.returncode,
        " ".join(done.stderr.decode("utf-8", "replace").split())[:300],
    )
    raise ReaderError(_(LIMITS_EXCEEDED))


def rows_of(out: Path) -> Iterator[tuple[Any, ...]]:
    """The rows the child wrote, cells decoded, from the sheet's first row on."""
    with out.open(encoding="utf-8") as handle:
        for line in handle:
            yield tuple(_decode(cell) for cell in json.loads(line))


# -- the child -----------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value == "" or value is None:
        return None
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"seconds": value.total_seconds()}
    return value


def _decode(cell: Any) -> Any:
    if not isinstance(cell, dict):
        return cell
    if "datetime" in cell:
        return dt.datetime.fromisoformat(cell["datetime"])
    if "date" in cell:
        return dt.date.fromisoformat(cell["date"])
    if "time" in cell:
        return dt.time.fromisoformat(cell["time"])
    return dt.timedelta(seconds=cell["seconds"])


def _limit(memory: int, seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))


_REFUSALS = {"rows": beyond_rows, "columns": beyond_columns, "chars": too_long}


def _refuse(kind: str, row: int, column: int, limit: int) -> int:
    # Which limit and where, not a sentence: the parent writes it in the reader's language.
    print(kind, row, column, limit, file=sys.stderr)
    return _REFUSED


def _refusal(line: str) -> str:
    """The sentence for the child's refusal line (``rows 60001 1 50000``)."""
    kind, *numbers = line.split()
    try:
        row, column, limit = (int(n) for n in numbers)
        return _REFUSALS[kind](row, column, limit)
    except (KeyError, ValueError):
        return _(LIMITS_EXCEEDED)


def main(argv: list[str]) -> int:
    """The child: read the first sheet of ``argv[0]`` into ``argv[1]`` within the limits."""
    source, out = argv[0], Path(argv[1])
    memory, seconds, max_rows, max_columns, max_chars = (int(a) for a in argv[2:7])
    _limit(memory, seconds)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(source)
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises several kinds for a damaged or foreign file
        print(f"{type(exc).__name__}: {exc}"[:500], file=sys.stderr)
        return _UNREADABLE
    if sheet.end is not None:
        # The checks refused these already; this is the same limit, on what was read.
        last_row, last_column = (n + 1 for n in sheet.end)
        if last_row > max_rows:
            return _refuse("rows", last_row, last_column, max_rows)
        if last_column > max_columns:
            return _refuse("columns", last_row, last_column, max_columns)
    # Rows come from the sheet's first row, cells from its first used column (calamine).
    padding: list[Any] = [None] * (sheet.start[1] if sheet.start else 0)
    with out.open("w", encoding="utf-8") as handle:
        for number, row in enumerate(sheet.iter_rows(), start=1):
            cells = [*padding, *(_encode(cell) for cell in row)]
            for column, cell in enumerate(cells, start=1):
                if isinstance(cell, str) and len(cell) > max_chars:
                    return _refuse("chars", number, column, max_chars)
            handle.write(json.dumps(cells, ensure_ascii=False))
            handle.write("\n")
    workbook.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
