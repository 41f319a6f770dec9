"""The types of the ``bangfu_roster_columns`` hook: columns a plugin reads from a roster.

A plugin declares groups of columns (:class:`RosterColumns`). The importer reads the
whole file first: every non-blank cell of a plugin column goes through the column's
``parse`` (a pure function of the cell's text), then the group's ``check`` sees the
parsed values of one row together. Only when every row of the file is valid does the
importer open its single transaction and call each group's ``write`` once per row that
has a value in the group. A parse or check failure is a reason shown to the user next to
the cell; it never reaches ``write``. A ``write`` that raises :class:`RosterValueError`
refuses its row the same way: the import is rolled back and the reason shown.
"""

import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bangfu.core.idnumber import IdNumber
    from bangfu.core.registry.models import Household, Person
    from bangfu.core.security.actor import Actor

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


class RosterTarget(enum.StrEnum):
    """What a group of columns describes: each member's row, or the household (head's row)."""

    PERSON = "PERSON"
    HOUSEHOLD = "HOUSEHOLD"


class Change(enum.StrEnum):
    """What a write did; re-importing the same file must give ``UNCHANGED`` everywhere."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"


class RosterValueError(ValueError):
    """A cell's value is unacceptable; ``reason`` is the sentence shown beside the cell.

    Say what is wrong and how to fix it, as one whole message through the catalog, e.g.
    ``_("「{text}」 is not a grade: write a whole number from 1 to 6", text=text)``; the
    importer names the row and the column around it, so the reason does not repeat them.

    Raised by ``parse``, it marks the cell being parsed. A group's ``write`` may raise it
    too, for a rule ``check`` cannot decide because it depends on who imports or on the
    database (the importing member's organisation): the importer reports it as a problem
    of the row, beside ``column`` (a key of the group; default: the row's first value of
    the group), carries on validating the other rows, and writes nothing. Raise it before
    changing anything.
    """

    def __init__(self, reason: str, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


@dataclasses.dataclass(frozen=True)
class RosterColumn:
    """One column of the roster.

    :param key: the English header, lower snake case, starting with the plugin's name
        (``education_school``); headers are matched case-insensitively.
    :param header_zh: the Chinese header (``就读学校``); either header is accepted.
    :param parse: turns the text of a non-blank cell (stripped; a whole number typed as a
        number arrives as ``"3"``, a date cell as ``"2024-09-01"``) into a value, or
        raises :class:`RosterValueError` with the reason. Must not touch the database.
    :param description: one sentence for the template's instructions sheet, listing the
        accepted values.
    :param example: an example value for the instructions sheet.
    """

    key: str
    header_zh: str
    parse: Callable[[str], Any]
    description: str = ""
    example: str = ""


@dataclasses.dataclass(frozen=True)
class RosterSubject:
    """What a group's ``check`` may know about the row: its person and the import day."""

    id_number: "IdNumber"
    today: dt.date


@dataclasses.dataclass(frozen=True)
class RosterBatch:
    """The rows written together with this one (up to 1,000), for loading in bulk.

    ``write`` is called once per row, but a query per row is slow: load what you need for
    every person (or household) of the batch at once, the first time, through
    :meth:`once`, and look the row up in the result; and insert new rows with
    :meth:`add`. Each person and each household appears in one row of an import at most.
    """

    person_ids: tuple[int, ...] = ()
    household_ids: tuple[int, ...] = ()
    cache: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Rows to insert in bulk when the batch's writes are done: model -> column values.
    inserts: dict[type, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)

    def add(self, model: type, **values: Any) -> None:
        """Insert a row of ``model`` with the batch, in one statement per model.

        Much faster than ``session.add`` (SQLite cannot return the ids of many inserted
        rows, so the ORM inserts them one by one); use it for rows whose id you do not
        need. The rows are inserted after every ``write`` of the batch has run and the
        session was flushed, so an ended current row never meets its successor.
        """
        self.inserts.setdefault(model, []).append(values)

    async def once(self, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        """``await load()`` the first time ``key`` is asked for in this batch; then its result.

        Name keys ``<plugin>_...``. What you write yourself is not in the result: keep
        it up to date if a later row of the batch may read it.
        """
        if key not in self.cache:
            self.cache[key] = await load()
        return self.cache[key]


@dataclasses.dataclass(frozen=True)
class RosterWriteContext:
    """What a group's ``write`` receives: who imports, when, and the rows to write for.

    ``person`` is the row's person and ``household`` their household (for a HOUSEHOLD
    group, the head's row); both are flushed, so their ``id`` is set. ``batch`` holds the
    ids of every person and household written in the same batch, to load in bulk.
    """

    actor: "Actor"
    today: dt.date
    person: "Person"
    household: "Household"
    batch: RosterBatch = dataclasses.field(default_factory=RosterBatch)


#: ``check(values, subject)`` returns ``(key, reason)`` for each problem of the row.
RosterCheck = Callable[[Mapping[str, Any], RosterSubject], Sequence[tuple[str, str]]]
#: ``await write(session, context, values)`` writes the row's values, returns what it did.
RosterWrite = Callable[["AsyncSession", RosterWriteContext, Mapping[str, Any]], Awaitable[Change]]


@dataclasses.dataclass(frozen=True)
class RosterColumns:
    """A group of columns a plugin reads and writes together (e.g. school, stage, grade).

    :param target: PERSON (every member's row) or HOUSEHOLD (the head's row only; the
        importer refuses a household value on a member's row).
    :param columns: the columns, in the order the template shows them.
    :param write: ``async (session, context, values) -> Change``: writes the parsed
        values of one row inside the import's transaction (``session.add``, no commit).
        ``values`` holds only the non-blank cells of the group, keyed by column key.
        It must be idempotent: the same values again return ``Change.UNCHANGED`` and
        write nothing. It runs only after the whole file validated, so validate in
        ``parse`` and ``check``; a rule that depends on the actor or the database raises
        :class:`RosterValueError`, which is a problem of the row (nothing is written).
        Any other exception aborts the whole import (nothing is kept).
    :param check: optional; ``(values, subject) -> [(key, reason), ...]`` for rules that
        span columns or depend on the person (a grade needs a stage; a child only).
    """

    target: RosterTarget
    columns: tuple[RosterColumn, ...]
    write: RosterWrite
    check: RosterCheck | None = None
