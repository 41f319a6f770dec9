"""Logical backup and restore: the rows of every table of core and the enabled plugins
(those their migrations own, :func:`tables`) as JSON lines, database-independent.

A backup taken from SQLite restores into PostgreSQL and the other way round. Encrypted
columns stay encrypted (restore needs the same key file), and the audit trail is copied
row for row, so ``bangfu audit verify`` holds on the restored copy. Every table is read
in one snapshot (PostgreSQL: one REPEATABLE READ transaction; SQLite: one read
transaction, which WAL lets writers work beside), so a backup taken under load is the
database of one moment. The target must be migrated to the same revisions and hold no
rows but the reference data that every ``bangfu db upgrade`` writes (regions and
organisations), which the backup's copy replaces. A restore is one transaction: it
writes everything or nothing, and its errors name the table and the kind of failure,
never a row's values.
"""

import base64
import binascii
import datetime as dt
import decimal
import gzip
import json
import os
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import asyncpg
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bangfu.core.db import Base
from bangfu.core.i18n import _
from bangfu.core.migrate import owned_tables, resolve_plugin_dirs
from bangfu.core.plugins import PluginHost

FORMAT = "bangfu-backup/1"
# Written by every `bangfu db upgrade`: replaced by the backup's copy on restore.
REFERENCE_TABLES = ("core_organisation", "core_region")
BATCH = 2000


class RestoreError(RuntimeError):
    """The backup cannot be restored here; nothing was written. The message names the
    table and the kind of failure, never a row's values."""


def tables(host: PluginHost) -> list[Table]:
    """The tables of core and of ``host``'s plugins, as their migrations own them
    (:func:`bangfu.core.migrate.owned_tables`: the tables a database at their revisions
    holds), in dependency order (parents before children), but those the database derives
    itself (``info={"derived": True}``: the bottom line's tally, which the verdicts'
    triggers fill again as they are restored).

    Not every table of the metadata: a process may have imported other plugins' models
    (a test, a plugin switched off), whose tables this database need not hold."""
    import bangfu.core.models  # noqa: F401  (all core tables are known)

    owned = owned_tables(resolve_plugin_dirs(host.migration_dirs()))
    return [t for t in Base.metadata.sorted_tables if t.name in owned and not t.info.get("derived")]


def _encoder(table: Table) -> dict[str, Callable[[Any], Any]]:
    encoders: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        if isinstance(column.type, LargeBinary):
            encoders[column.name] = lambda v: None if v is None else base64.b64encode(v).decode()
        elif isinstance(column.type, (DateTime, Date, Numeric)):
            encoders[column.name] = lambda v: (
                None if v is None else str(v) if isinstance(v, decimal.Decimal) else v.isoformat()
            )
    return encoders


def _decoder(table: Table) -> dict[str, tuple[str, Callable[[Any], Any]]]:
    """Per column: what its values are, and how to read one from JSON. A value of another
    kind is refused here, on every database alike (SQLite would store it as it is)."""
    decoders: dict[str, tuple[str, Callable[[Any], Any]]] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, LargeBinary):
            decoders[column.name] = ("base64", lambda v: base64.b64decode(v, validate=True))
        elif isinstance(kind, DateTime):
            decoders[column.name] = ("time", lambda v: _aware(dt.datetime.fromisoformat(v)))
        elif isinstance(kind, Date):
            decoders[column.name] = ("date", dt.date.fromisoformat)
        elif isinstance(kind, Numeric):
            decoders[column.name] = ("number", decimal.Decimal)
        elif isinstance(kind, Boolean):
            decoders[column.name] = ("boolean", _exactly(bool))
        elif isinstance(kind, Integer):
            decoders[column.name] = ("whole number", _integer)
        elif isinstance(kind, String):  # also Text and Enum
            decoders[column.name] = ("text", _exactly(str))
    return decoders


def _exactly(kind: type) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if not isinstance(value, kind):
            raise TypeError
        return value

    return read


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
        raise TypeError
    return value


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# -------------------------------------------------------------------------
# Backup
# -------------------------------------------------------------------------


async def backup(
    engine: AsyncEngine, path: Path, revisions: set[str], host: PluginHost
) -> dict[str, int]:
    """Write every row of :func:`tables` to ``path`` (gzip JSON lines); returns the row
    count per table.

    The file appears only when complete: it is written beside ``path`` and renamed.
    """
    counts: dict[str, int] = {}
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    # The file holds encrypted values and the audit trail: readable by its owner only.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with (
            os.fdopen(descriptor, "wb") as raw,
            gzip.open(raw, "wt", encoding="utf-8", compresslevel=6) as out,
        ):
            _write(out, {"format": FORMAT, "revisions": sorted(revisions)})
            async with _snapshot(engine) as connection:
                for table in tables(host):
                    counts[table.name] = await _dump_table(connection, table, out)
            _write(out, {"end": counts})
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts


@asynccontextmanager
async def _snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection whose reads all see the database at one moment, writers going on."""
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with connection.begin():
                yield connection
        else:
            async with connection.begin():
                # Python's sqlite3 opens no transaction for a SELECT, so each table would
                # be read at a moment of its own: one explicit read transaction instead
                # (in WAL mode, which every engine sets, writers are not blocked by it).
                await connection.exec_driver_sql("BEGIN")
                yield connection


async def _dump_table(connection: AsyncConnection, table: Table, out: IO[str]) -> int:
    encoders = _encoder(table)
    order = list(table.primary_key.columns) or list(table.columns)
    result = await connection.stream(select(table).order_by(*order))
    count = 0
    async for rows in result.partitions(BATCH):
        for row in rows:
            values = {k: encoders[k](v) if k in encoders else v for k, v in row._mapping.items()}
            _write(out, {"table": table.name, "row": values})
        count += len(rows)
    return count


def _write(out: IO[str], record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


# -------------------------------------------------------------------------
# Restore
# -------------------------------------------------------------------------


def _read(path: Path) -> Iterator[dict[str, Any]]:
    """The file's records; a damaged file is a :class:`RestoreError` naming the line."""
    number = 0
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):  # noqa: B007  (the message)
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError
                yield record
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise RestoreError(
            _("{path} is not a readable gzip file (after line {number})", path=path, number=number)
        ) from exc
    except ValueError as exc:
        raise RestoreError(
            _("{path}: line {number} is not a backup record", path=path, number=number)
        ) from exc


async def restore(
    engine: AsyncEngine, path: Path, revisions: set[str], host: PluginHost
) -> dict[str, int]:
    """Load a backup into the :func:`tables` of an empty database at the same revisions,
    in one transaction.

    Returns the rows restored per table. Any failure rolls everything back and raises
    :class:`RestoreError`.
    """
    records = _read(path)
    header = next(records, None)
    if header is None or header.get("format") != FORMAT:
        raise RestoreError(_("{path} is not a Bangfu backup ({format})", path=path, format=FORMAT))
    if set(header.get("revisions", ())) != revisions:
        raise RestoreError(
            _(
                "the backup is at revisions {backup}, the database at {database}: migrate to "
                "the same revisions first",
                backup=sorted(header.get("revisions", ())),
                database=sorted(revisions),
            )
        )
    by_name = {table.name: table for table in tables(host)}
    loader: _Loader | None = None
    try:
        async with engine.connect() as connection, connection.begin():
            if connection.dialect.name == "sqlite":
                # Take the write lock now: nobody writes between the check and the load.
                await connection.exec_driver_sql("BEGIN IMMEDIATE")
            await _check_empty(connection, by_name)
            for name in REFERENCE_TABLES:  # children first
                await connection.execute(by_name[name].delete())
            loader = _Loader(connection, by_name)
            expected: dict[str, int] | None = None
            for record in records:
                if "end" in record:
                    expected = record["end"]
                    break
                await loader.add(record)
            await loader.finish()
            if expected is None:
                raise RestoreError(_("{path} is truncated: its end marker is missing", path=path))
            _check_counts(expected, loader.counts)
            if connection.dialect.name == "postgresql":
                await _reset_sequences(connection, list(by_name.values()))
    except (StatementError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        where = loader.where if loader is not None else "preparing the database"
        raise RestoreError(f"{where}: {_failure(exc)}") from exc
    return loader.counts


async def _check_empty(connection: AsyncConnection, by_name: dict[str, Table]) -> None:
    for table in by_name.values():
        if table.name in REFERENCE_TABLES:
            continue
        if await connection.scalar(select(func.count()).select_from(table)):
            raise RestoreError(
                _("table {name} is not empty: restore needs an empty database", name=table.name)
            )


def _check_counts(expected: Any, counts: dict[str, int]) -> None:
    if not isinstance(expected, dict):
        raise RestoreError(_("the backup's end marker is damaged"))
    for name in sorted(set(expected) | set(counts)):
        if (expected.get(name) or 0) != counts.get(name, 0):
            raise RestoreError(
                _(
                    "table {name}: the backup's end marker counts {expected} rows, the file "
                    "holds {found}",
                    name=name,
                    expected=expected.get(name) or 0,
                    found=counts.get(name, 0),
                )
            )


@dataclass
class _Deferred:
    """Rows whose references were inserted as NULL, and the values to set afterwards."""

    table: Table
    columns: tuple[str, ...]  # the references, and the columns an UPDATE would touch
    rows: list[dict[str, Any]] = field(default_factory=list)


class _Loader:
    """Inserts a backup's rows in batches, one table after another as the file lists them.

    A backup lists parents before children. A reference that cannot hold yet is inserted
    as NULL and set once every row is in: a reference to a row further down its own
    table (a guardian registered after the ward), or to a table the file lists later
    (a cycle between tables).
    """

    def __init__(self, connection: AsyncConnection, by_name: dict[str, Table]) -> None:
        self.connection = connection
        self.by_name = by_name
        self.counts: dict[str, int] = {}
        self.table: Table | None = None
        self.batch: list[dict[str, Any]] = []
        self.done: set[str] = set()
        self.deferred: dict[tuple[str, tuple[str, ...]], _Deferred] = {}
        self.where = "reading the backup"
        # Of the table being loaded: its columns, how to read them, the columns an UPDATE
        # would change by itself (updated_at ...), its references to tables not loaded
        # yet, and its references to itself with the keys loaded so far.
        self.columns: set[str] = set()
        self.decoders: dict[str, tuple[str, Callable[[Any], Any]]] = {}
        self.keep: tuple[str, ...] = ()
        self.later: list[ForeignKeyConstraint] = []
        self.own: list[tuple[ForeignKeyConstraint, set[tuple[Any, ...]]]] = []

    async def add(self, record: dict[str, Any]) -> None:
        name, row = record.get("table"), record.get("row")
        if not isinstance(name, str) or not isinstance(row, dict):
            raise RestoreError(_("the backup holds a line that is not a table's row"))
        if self.table is None or name != self.table.name:
            await self._flush()
            self._start(name)
        self.batch.append(self._prepare(row))
        if len(self.batch) >= BATCH:
            await self._flush()

    async def finish(self) -> None:
        """Insert what is left, then set the references that were held back."""
        await self._flush()
        for deferred in self.deferred.values():
            table = deferred.table
            self.where = f"table {table.name}"
            keys = [column.name for column in table.primary_key.columns]
            statement = (
                update(table)
                .where(*(table.c[k] == bindparam(f"key_{k}") for k in keys))
                .values({c: bindparam(f"new_{c}") for c in deferred.columns})
            )
            for start in range(0, len(deferred.rows), BATCH):
                await self.connection.execute(statement, deferred.rows[start : start + BATCH])

    def _start(self, name: str) -> None:
        table = self.by_name.get(name)
        if table is None:
            raise RestoreError(
                _("the backup holds table {name}, which this database lacks", name=name)
            )
        if name in self.done:
            raise RestoreError(
                _("table {name}: its rows are not together in the backup", name=name)
            )
        if self.table is not None:
            self.done.add(self.table.name)
        self.table = table
        self.where = f"table {name}"
        self.columns = set(table.columns.keys())
        self.decoders = _decoder(table)
        self.keep = tuple(c.name for c in table.columns if c.onupdate is not None)
        self.later, self.own = [], []
        for constraint in table.foreign_key_constraints:
            referred = constraint.referred_table
            if referred is table:
                self.own.append((constraint, set()))
            elif referred.name not in self.done:
                self.later.append(constraint)

    def _prepare(self, row: dict[str, Any]) -> dict[str, Any]:
        assert self.table is not None
        if row.keys() != self.columns:
            odd = sorted(row.keys() - self.columns) or sorted(self.columns - row.keys())
            if row.keys() - self.columns:
                message = _(
                    "table {name}: this database lacks column {column}",
                    name=self.table.name,
                    column=odd[0],
                )
            else:
                message = _(
                    "table {name}: the backup lacks column {column}",
                    name=self.table.name,
                    column=odd[0],
                )
            raise RestoreError(message)
        values = dict(row)
        for name, (kind, decode) in self.decoders.items():
            if values[name] is not None:
                try:
                    values[name] = decode(values[name])
                except (ValueError, TypeError, ArithmeticError, binascii.Error) as exc:
                    raise RestoreError(
                        _(
                            "table {name}: column {column} holds a value that is not a {kind}; "
                            "nothing was restored",
                            name=self.table.name,
                            column=name,
                            kind=kind,
                        )
                    ) from exc
        held: list[str] = []
        for constraint in self.later:
            held += self._hold(values, constraint)
        for constraint, present in self.own:
            if tuple(values[c.name] for c in constraint.columns) not in present:
                held += self._hold(values, constraint)
            present.add(tuple(values[e.column.name] for e in constraint.elements))
        if held:
            self._defer(values, held)
            values = values | dict.fromkeys(held)
        return values

    def _hold(self, values: dict[str, Any], constraint: ForeignKeyConstraint) -> list[str]:
        """The columns of ``constraint`` to insert as NULL for now (none if all are)."""
        names = [column.name for column in constraint.columns]
        if all(values[name] is None for name in names):
            return []
        required = [column.name for column in constraint.columns if not column.nullable]
        if required:
            assert self.table is not None
            raise RestoreError(
                _(
                    "table {name}: column {column} refers to {referred} rows the backup lists "
                    "after it",
                    name=self.table.name,
                    column=required[0],
                    referred=constraint.referred_table.name,
                )
            )
        return names

    def _defer(self, values: dict[str, Any], held: list[str]) -> None:
        assert self.table is not None
        columns = tuple(dict.fromkeys([*held, *self.keep]))
        deferred = self.deferred.setdefault(
            (self.table.name, columns), _Deferred(self.table, columns)
        )
        keys = {f"key_{c.name}": values[c.name] for c in self.table.primary_key.columns}
        deferred.rows.append(keys | {f"new_{c}": values[c] for c in columns})

    async def _flush(self) -> None:
        if self.table is not None and self.batch:
            if self.connection.dialect.name == "postgresql":
                await self._copy(self.table)
            else:
                await self.connection.execute(self.table.insert(), self.batch)
            self.counts[self.table.name] = self.counts.get(self.table.name, 0) + len(self.batch)
            self.batch = []

    async def _copy(self, table: Table) -> None:
        """PostgreSQL: COPY the batch in this transaction, twice as fast as INSERTs (the
        constraints are checked all the same). Values go through the column types' own
        conversions, as an INSERT's would (enums, JSON)."""
        dialect = self.connection.dialect
        names = [column.name for column in table.columns]
        converters = [
            column.type.dialect_impl(dialect).bind_processor(dialect) for column in table.columns
        ]
        records = [
            tuple(
                value if convert is None or value is None else convert(value)
                for value, convert in zip((row[n] for n in names), converters, strict=True)
            )
            for row in self.batch
        ]
        driver = (await self.connection.get_raw_connection()).driver_connection
        assert driver is not None
        # The table is found on the connection's search_path, as every statement's is.
        await driver.copy_records_to_table(table.name, records=records, columns=names)


def _failure(exc: StatementError | asyncpg.PostgresError | asyncpg.InterfaceError) -> str:
    """What the database refused, in words that quote no value: a database's own message
    may (PostgreSQL's DETAIL line does), so only its error code and constraint are used.

    ``exc`` is SQLAlchemy's error, or asyncpg's own (from COPY)."""
    if isinstance(exc, ValueError) or (
        isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)
    ):  # refused by the driver or SQLAlchemy before it was sent
        return "a value does not fit its column; nothing was restored"
    driver = exc.orig if isinstance(exc, DBAPIError) else exc
    # SQLAlchemy's asyncpg adapter keeps asyncpg's error as the cause.
    detailed = getattr(driver, "__cause__", None) or driver
    state = getattr(driver, "sqlstate", None) or ""
    name = getattr(driver, "sqlite_errorname", None) or ""
    constraint = getattr(detailed, "constraint_name", None)
    if not constraint and name.startswith("SQLITE_CONSTRAINT"):
        # SQLite's messages name columns or a constraint, never values.
        constraint = str(driver).partition(": ")[2] or None
    for words, codes in _REFUSALS:
        if state in codes or name in codes:
            return f"{words}{f' ({constraint})' if constraint else ''}; nothing was restored"
    if isinstance(exc, IntegrityError) or state.startswith("23"):
        return f"a row breaks a constraint ({constraint or name or state}); nothing was restored"
    if isinstance(exc, DataError) or state.startswith("22"):
        return "a value does not fit its column; nothing was restored"
    return f"the database refused a statement ({type(exc).__name__}); nothing was restored"


_REFUSALS = (
    (
        "a row refers to a row that the backup does not hold (foreign key)",
        {"23503", "SQLITE_CONSTRAINT_FOREIGNKEY"},
    ),
    (
        "two rows have the same key (unique)",
        {"23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"},
    ),
    ("a required value is missing (not null)", {"23502", "SQLITE_CONSTRAINT_NOTNULL"}),
    ("a value breaks a check constraint", {"23514", "SQLITE_CONSTRAINT_CHECK"}),
)


async def _reset_sequences(connection: AsyncConnection, all_tables: list[Table]) -> None:
    for table in all_tables:
        if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto"):
            await connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                ),
                {"t": table.name},
            )
