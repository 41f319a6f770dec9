"""Logical backup and restore: every table's rows as JSON lines, database-independent.

A backup taken from SQLite restores into PostgreSQL and the other way round. Encrypted
columns stay encrypted (restore needs the same key file), and the audit trail is copied
row for row, so ``bangfu audit verify`` holds on the restored copy. On PostgreSQL every
table is read in one REPEATABLE READ snapshot; on SQLite take the backup while the service
is stopped (or copy the database file with SQLite's own backup command). The target must
be migrated to the same revisions and hold no rows but the reference data that every
``bangfu db upgrade`` writes (regions and organisations), which the backup's copy replaces.
"""

import base64
import datetime as dt
import decimal
import gzip
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Date, DateTime, LargeBinary, Numeric, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.db import Base

FORMAT = "bangfu-backup/1"
# Written by every `bangfu db upgrade`: replaced by the backup's copy on restore.
REFERENCE_TABLES = ("core_organisation", "core_region")
BATCH = 2000


class RestoreError(RuntimeError):
    """The backup cannot be restored here; nothing was written."""


def tables() -> list[Table]:
    """Every table in dependency order (parents before children)."""
    import core.models  # noqa: F401  (all core tables are known)

    return list(Base.metadata.sorted_tables)


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


def _decoder(table: Table) -> dict[str, Callable[[Any], Any]]:
    decoders: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        if isinstance(column.type, LargeBinary):
            decoders[column.name] = lambda v: None if v is None else base64.b64decode(v)
        elif isinstance(column.type, DateTime):
            decoders[column.name] = lambda v: (
                None if v is None else _aware(dt.datetime.fromisoformat(v))
            )
        elif isinstance(column.type, Date):
            decoders[column.name] = lambda v: None if v is None else dt.date.fromisoformat(v)
        elif isinstance(column.type, Numeric):
            decoders[column.name] = lambda v: None if v is None else decimal.Decimal(v)
    return decoders


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def backup(engine: AsyncEngine, path: Path, revisions: set[str]) -> dict[str, int]:
    """Write every row to ``path`` (gzip JSON lines); returns the row count per table."""
    counts: dict[str, int] = {}
    # The file holds encrypted values and the audit trail: readable by its owner only.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
        _write(out, {"format": FORMAT, "revisions": sorted(revisions)})
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # One snapshot for every table, so the copy is consistent under load.
                connection = await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                for table in tables():
                    counts[table.name] = await _dump_table(connection, table, out)
        _write(out, {"end": counts})
    return counts


async def _dump_table(connection: AsyncConnection, table: Table, out: IO[str]) -> int:
    encoders = _encoder(table)
    order = list(table.primary_key.columns) or list(table.columns)
    result = await connection.stream(select(table).order_by(*order))
    count = 0
    async for row in result:
        values = {k: encoders[k](v) if k in encoders else v for k, v in row._mapping.items()}
        _write(out, {"table": table.name, "row": values})
        count += 1
    return count


def _write(out: IO[str], record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


async def restore(engine: AsyncEngine, path: Path, revisions: set[str]) -> dict[str, int]:
    """Load a backup into an empty database at the same revisions, in one transaction."""
    records = _read(path)
    header = next(records, None)
    if header is None or header.get("format") != FORMAT:
        raise RestoreError(f"{path} is not a Bangfu backup ({FORMAT})")
    if set(header["revisions"]) != revisions:
        raise RestoreError(
            f"the backup is at revisions {sorted(header['revisions'])}, the database at "
            f"{sorted(revisions)}: migrate to the same revisions first"
        )
    by_name = {table.name: table for table in tables()}
    counts: dict[str, int] = {}
    async with engine.begin() as connection:
        for table in by_name.values():
            if table.name in REFERENCE_TABLES:
                continue
            if await connection.scalar(select(func.count()).select_from(table)):
                raise RestoreError(
                    f"table {table.name} is not empty: restore needs an empty database"
                )
        for name in REFERENCE_TABLES:  # children first
            await connection.execute(by_name[name].delete())
        pending: dict[str, list[dict[str, Any]]] = {}
        expected: dict[str, int] | None = None
        for record in records:
            if "end" in record:
                expected = record["end"]
                break
            name = record["table"]
            if name not in by_name:
                raise RestoreError(f"the backup holds table {name}, which this database lacks")
            batch = pending.setdefault(name, [])
            batch.append(record["row"])
            if len(batch) >= BATCH:
                await _insert(connection, by_name[name], batch)
                counts[name] = counts.get(name, 0) + len(batch)
                pending[name] = []
        for name, batch in pending.items():
            if batch:
                await _insert(connection, by_name[name], batch)
                counts[name] = counts.get(name, 0) + len(batch)
        if expected is None:
            raise RestoreError(f"{path} is truncated: its end marker is missing")
        if {k: v for k, v in expected.items() if v} != {k: v for k, v in counts.items() if v}:
            raise RestoreError("the backup's row counts do not match what it holds")
        if connection.dialect.name == "postgresql":
            await _reset_sequences(connection, list(by_name.values()))
    return counts


async def _insert(connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    decoders = _decoder(table)
    decoded = [{k: decoders[k](v) if k in decoders else v for k, v in row.items()} for row in rows]
    await connection.execute(table.insert(), decoded)


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
