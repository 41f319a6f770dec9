"""What a workbook really holds, found before anything is materialised.

An ``.xlsx`` file is a zip of XML parts. Its zip directory states how large each part
unpacks; its first sheet's XML places each cell by reference (``XFD1048576``). A reader
such as calamine allocates the rectangle from the first to the last cell that holds a
value, so one far cell costs rows × columns × 32 bytes whatever the file's size. This
module reads the directory and then streams the parts through expat, keeping counters
only: it refuses, with the cell named, a file whose cells reach beyond the row or column
limit, a cell longer than the limit, parts that unpack beyond the limit, or a part that
does not match the size its directory states (what a zip bomb does).

It also lists the cells that hold a formula, so the import can refuse them by name
instead of taking a formula's cached value silently.
"""

import dataclasses
import posixpath
import struct
import zipfile
from array import array
from pathlib import Path
from typing import Any, TypeVar
from xml.parsers import expat

from bangfu.core.i18n import N_, _
from bangfu.core.roster.limits import MAX_PARTS, RosterLimits

_CHUNK = 1 << 20
_EOCD = b"PK\x05\x06"
UNREADABLE = N_(
    "the file is not a readable Excel workbook (.xlsx): open it in Excel and save it again "
    "as an Excel workbook (.xlsx)"
)
DAMAGED = N_(
    "the workbook is damaged (its part {part} does not unpack to the size it states): open "
    "it in Excel and save it again as an Excel workbook (.xlsx)"
)


class WorkbookRefused(ValueError):
    """The workbook is refused before it is read; the message says why and what to do."""


@dataclasses.dataclass
class SheetFacts:
    """What the first sheet holds, counted while streaming it."""

    #: Rows holding at least one value.
    used_rows: int = 0
    #: 0-based column index -> the spreadsheet rows whose cell in that column is a formula.
    formulas: "dict[int, array[int]]" = dataclasses.field(default_factory=dict)


def column_letters(column: int) -> str:
    """``1`` is ``A``, ``16384`` is ``XFD``."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """The cell reference of a 1-based row and column: ``cell_name(5, 2) == "B5"``."""
    return f"{column_letters(column)}{row}"


def beyond_rows(row: int, column: int, limit: int) -> str:
    """The refusal of a value below the last row a roster may use."""
    return _(
        "cell {cell} holds a value on row {row:,}, but a roster has at most {limit:,} rows: "
        "delete everything below the roster's last row, or split the roster into several files",
        cell=cell_name(row, column),
        row=row,
        limit=limit,
    )


def beyond_columns(row: int, column: int, limit: int) -> str:
    """The refusal of a value right of the last column a roster may use."""
    return _(
        "cell {cell} holds a value in column {column:,}, but a roster has at most {limit:,} "
        "columns: delete the columns to the right of the roster",
        cell=cell_name(row, column),
        column=column,
        limit=limit,
    )


def too_long(row: int, column: int, limit: int) -> str:
    """The refusal of a cell longer than a roster cell may be."""
    return _(
        "cell {cell} holds more than the {limit:,} characters a roster cell may hold: shorten "
        "it, or keep long notes in another file",
        cell=cell_name(row, column),
        limit=limit,
    )


def sniff(path: Path) -> None:
    """Refuse a file that is no zip at all, saying what it seems to be instead."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise WorkbookRefused(
            _("the file is empty: it needs a header row and the roster's rows below it")
        )
    if head.startswith(b"%PDF"):
        raise WorkbookRefused(
            _(
                "the file is a PDF document, not an Excel workbook: send the roster itself, "
                "saved from Excel as an Excel workbook (.xlsx)"
            )
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise WorkbookRefused(
            _(
                "the file is an Excel 97-2003 workbook (.xls) or a workbook with a password: "
                "open it in Excel, remove any password, and save it as an Excel workbook (.xlsx)"
            )
        )
    if not head.startswith(b"PK"):
        raise WorkbookRefused(_(UNREADABLE))


def check_workbook(path: Path, limits: RosterLimits) -> SheetFacts:
    """The facts of the first sheet of the workbook at ``path``, or :class:`WorkbookRefused`."""
    sniff(path)
    _check_part_count(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return _check_archive(archive, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError):
        raise WorkbookRefused(_(UNREADABLE)) from None


def _check_part_count(path: Path) -> None:
    """The zip directory's entry count, read from its end record before the directory is:
    a zip of a million empty parts would cost memory to list."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - (1 << 16) - 22))
        tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        raise WorkbookRefused(_(UNREADABLE))
    (entries,) = struct.unpack_from("<H", tail, at + 10)
    if entries > MAX_PARTS:  # 0xFFFF (a ZIP64 directory) is more than that too
        raise WorkbookRefused(
            _(
                "the workbook is made of more than {limit:,} parts, far more than a roster "
                "needs: copy the roster into a new workbook and save that",
                limit=MAX_PARTS,
            )
        )


def _check_archive(archive: zipfile.ZipFile, limits: RosterLimits) -> SheetFacts:
    parts = archive.infolist()
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_unpacked_bytes:
        raise WorkbookRefused(
            _(
                "the workbook unpacks to {size:,.0f} MiB, more than the {limit:,.0f} MiB a "
                "roster may: remove other sheets, pictures and formatting, or split the roster "
                "into several files",
                size=unpacked / 2**20,
                limit=limits.max_unpacked_bytes / 2**20,
            )
        )
    if any(part.flag_bits & 0x1 for part in parts):
        raise WorkbookRefused(
            _("the workbook is encrypted: remove its password in Excel and save it again")
        )
    names = {part.filename for part in parts}
    sheet = _first_sheet(archive, names)
    strings = {n for n in names if posixpath.basename(n).lower() == "sharedstrings.xml"}
    long_strings: set[int] = set()
    # Shared strings before the sheet: a cell names its string by number.
    for name in sorted(strings):
        long_strings |= _scan(archive, name, _SharedStrings(limits)).long
    facts = SheetFacts()
    scan = _SheetScan(limits, long_strings, facts)
    for part in parts:
        if part.filename == sheet:
            _scan(archive, sheet, scan)
        elif part.filename not in strings:
            _drain(archive, part.filename)
    return facts


def _first_sheet(archive: zipfile.ZipFile, names: set[str]) -> str:
    """The part of the workbook's first sheet (the order of ``<sheets>``, as readers do)."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        raise WorkbookRefused(_(UNREADABLE))
    first = _scan(archive, "xl/workbook.xml", _FirstSheet()).relationship
    targets = _scan(archive, "xl/_rels/workbook.xml.rels", _Relationships()).targets
    target = targets.get(first or "")
    if target is None:
        raise WorkbookRefused(_("the workbook has no worksheet: put the roster on its first sheet"))
    part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    part = posixpath.normpath(part)
    if part not in names:
        raise WorkbookRefused(_(UNREADABLE))
    return part


# -- streaming the parts ---------------------------------------------------------------


class _Handler:
    """Receives expat's events for one part; local names, namespaces stripped."""

    def start(self, name: str, attributes: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass

    def finish(self) -> None:
        """The part ended."""


def _local(name: str) -> str:
    """``x:c`` (a prefixed name, as some writers use) is ``c``."""
    return name.rpartition(":")[2] if ":" in name else name


def _refuse_doctype(*_args: Any) -> None:
    # Excel never writes a DTD; one is how entity-expansion bombs begin.
    raise WorkbookRefused(_(UNREADABLE))


H = TypeVar("H", bound=_Handler)


def _scan(archive: zipfile.ZipFile, name: str, handler: H) -> H:
    # Handlers are called with the names as written (``c`` or ``x:c``) and strip a prefix
    # themselves: one Python call per event, for a sheet of a million events.
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.StartElementHandler = handler.start
    if type(handler).end is not _Handler.end:
        parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    parser.buffer_text = True
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
        handler.finish()
    except expat.ExpatError:
        raise WorkbookRefused(_(UNREADABLE)) from None
    except zipfile.BadZipFile:  # the CRC or the size differs from the directory's
        raise WorkbookRefused(_(DAMAGED, part=name)) from None
    return handler


def _drain(archive: zipfile.ZipFile, name: str) -> None:
    """Unpack a part the checks do not read, so that it is known to be the size it states."""
    try:
        with archive.open(name) as stream:
            while stream.read(_CHUNK):
                pass
    except zipfile.BadZipFile:
        raise WorkbookRefused(_(DAMAGED, part=name)) from None


class _FirstSheet(_Handler):
    def __init__(self) -> None:
        self.relationship: str | None = None

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if _local(name) == "sheet" and self.relationship is None:
            # r:id, whatever the prefix (namespaces are not resolved, for speed).
            ids = [v for k, v in attributes.items() if _local(k) == "id"]
            self.relationship = ids[0] if ids else None


class _Relationships(_Handler):
    def __init__(self) -> None:
        self.targets: dict[str, str] = {}

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if _local(name) == "Relationship" and "Id" in attributes and "Target" in attributes:
            self.targets[attributes["Id"]] = attributes["Target"]


class _SharedStrings(_Handler):
    """The numbers of the shared strings longer than a cell may be."""

    def __init__(self, limits: RosterLimits) -> None:
        self.limit = limits.max_cell_chars
        self.index = -1
        self.length = 0
        self.inside = False
        self.long: set[int] = set()

    def start(self, name: str, attributes: dict[str, str]) -> None:
        name = _local(name)
        if name == "si":
            self.index += 1
            self.length = 0
        elif name == "t":
            self.inside = True

    def end(self, name: str) -> None:
        if _local(name) == "t":
            self.inside = False

    def text(self, data: str) -> None:
        if self.inside and self.length <= self.limit:
            self.length += len(data)
            if self.length > self.limit:
                self.long.add(self.index)


class _SheetScan(_Handler):
    """Places every cell as a reader does (``r`` when given, else the next row or column)
    and refuses, as soon as it is met, a value beyond the limits.

    Only start tags and text are handled (a 20,000-row sheet is a million events): a
    value's text ends where the next element starts, or with the sheet.
    """

    def __init__(self, limits: RosterLimits, long_strings: set[int], facts: SheetFacts) -> None:
        self.limits = limits
        self.long_strings = long_strings
        self.facts = facts
        self.row = 0
        self.column = 0
        self.row_used = False
        self.cell_type = ""
        self.used = False
        self.inline = False  # inside an inline string (<is>)
        self.counting = False  # inside <v> or an inline string's <t>
        self.length = 0
        self.value = ""  # a shared string's number

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if self.counting:
            self._value_ended()
        if name == "c":
            reference = attributes.get("r")
            if reference is None:
                self.column += 1
            else:
                self.row, self.column = _reference(reference)
            self.cell_type = attributes.get("t", "n")
            self.used = self.inline = False
            self.length = 0
            self.value = ""
        elif name == "row":
            self._end_row()
            self.row = _number(attributes.get("r"), self.row + 1)
            self.column = 0
            self.inline = False
        elif name == "v":
            self._use()
            self.counting = True
        elif name == "t":
            self.counting = self.inline
        elif name == "is":
            self._use()
            self.inline = True
        elif name == "f":
            self._use()
            rows = self.facts.formulas.setdefault(self.column - 1, array("I"))
            if not rows or rows[-1] != self.row:
                rows.append(self.row)

    def finish(self) -> None:
        if self.counting:
            self._value_ended()
        self._end_row()

    def text(self, data: str) -> None:
        if not self.counting:
            return
        self.length += len(data)
        if self.cell_type == "s":
            if len(self.value) < 12:
                self.value += data.strip()
        elif self.length > self.limits.max_cell_chars:
            self._too_long()

    def _value_ended(self) -> None:
        self.counting = False
        if self.cell_type == "s" and self.value.isdigit() and int(self.value) in self.long_strings:
            self._too_long()

    def _use(self) -> None:
        if self.used:
            return
        self.used = self.row_used = True
        limits = self.limits
        if self.row > limits.max_rows:
            raise WorkbookRefused(beyond_rows(self.row, self.column, limits.max_rows))
        if self.column > limits.max_columns:
            raise WorkbookRefused(beyond_columns(self.row, self.column, limits.max_columns))

    def _too_long(self) -> None:
        raise WorkbookRefused(too_long(self.row, self.column, self.limits.max_cell_chars))

    def _end_row(self) -> None:
        if self.row_used:
            self.facts.used_rows += 1
        self.row_used = False


def _number(text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text.isascii() or not text.isdigit():
        raise WorkbookRefused(_(UNREADABLE))
    return int(text)


def _reference(text: str) -> tuple[int, int]:
    """``"B5"`` is (5, 2). Excel's own limits are not assumed: a reader accepts ``ZZZZ2``."""
    letters = text.rstrip("0123456789")
    digits = text[len(letters) :]
    if not letters or not digits or not letters.isascii() or not letters.isalpha():
        raise WorkbookRefused(_(UNREADABLE))
    if len(letters) > 7 or len(digits) > 12:  # no arithmetic on absurd references
        return 10**12, 10**12
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(digits), column
