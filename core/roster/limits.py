"""What one roster file may hold and cost, from the ``BANGFU_*ROSTER*`` settings.

A workbook is a zip of XML: 5 KB of it can describe a sheet whose one far cell makes a
reader allocate half a terabyte. Every limit here is checked twice: from the file itself
before anything is materialised (:mod:`bangfu.core.roster.xlsx_check`, with a message naming the
cell), and by the operating system around the process that materialises it
(:mod:`bangfu.core.roster.xlsx_reader`), so that a file the checks missed still ends in a clear
answer and never takes the server down.
"""

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the workbook reader's child process imports this module: keep it light
    from bangfu.core.config import Settings

#: The first rows searched for the header row (a title row and notes may come above it).
HEADER_SEARCH_ROWS = 10
#: More parts than any workbook Excel writes; a zip of many tiny parts is refused unread.
MAX_PARTS = 10_000


@dataclasses.dataclass(frozen=True)
class RosterLimits:
    """The limits of one import; the defaults are the settings' defaults."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_rows: int = 50_000
    max_columns: int = 100
    max_cell_chars: int = 2_000
    max_unpacked_bytes: int = 100 * 1024 * 1024
    reader_memory_bytes: int = 1024 * 1024 * 1024
    reader_seconds: int = 120
    wait_seconds: int = 120
    outside_area_per_file: int = 10
    outside_area_per_day: int = 50

    @classmethod
    def of(cls, settings: "Settings") -> "RosterLimits":
        """The limits the settings give."""
        return cls(
            max_file_bytes=settings.max_roster_bytes,
            max_rows=settings.max_roster_rows,
            max_columns=settings.max_roster_columns,
            max_cell_chars=settings.max_roster_cell_chars,
            max_unpacked_bytes=settings.max_roster_unpacked_bytes,
            reader_memory_bytes=settings.roster_reader_memory_mb * 1024 * 1024,
            reader_seconds=settings.roster_reader_seconds,
            wait_seconds=settings.roster_import_wait_seconds,
            outside_area_per_file=settings.roster_outside_area_per_file,
            outside_area_per_day=settings.roster_outside_area_per_day,
        )
