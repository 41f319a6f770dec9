"""When the database is unavailable, and whether it can write.

:func:`unavailable_reason` tells a failure of the database itself — unreachable, out of
disk, read-only, out of resources, shutting down — from a bug or a bad statement. Such a
failure is the same answer everywhere (GraphQL, login, an ``Idempotency-Key``, the
roster route): HTTP 503 ``SERVICE_UNAVAILABLE``, retryable, masked.

:func:`check_writable` is ``/readyz``'s probe: a query, then a small write that is always
rolled back, so that a database that answers but cannot write (a full disk, a read-only
replica or transaction mode) is reported as not ready.
"""

from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bangfu.core.i18n import N_

UNAVAILABLE_MESSAGE = N_("the service is unavailable, try again later")
#: Seconds a client should wait before it retries a 503 (the ``Retry-After`` header).
RETRY_AFTER_SECONDS = 5

# SQLite's primary result codes (the low byte of an extended code such as
# SQLITE_IOERR_WRITE) that mean the database, not the statement, is at fault.
_SQLITE_UNAVAILABLE = {
    5: "SQLITE_BUSY",
    8: "SQLITE_READONLY",
    10: "SQLITE_IOERR",
    13: "SQLITE_FULL",
    14: "SQLITE_CANTOPEN",
}
# PostgreSQL SQLSTATEs (and classes) of the same kind: connection exceptions, read-only
# transactions, insufficient resources (53100 disk_full, 53200 out_of_memory, 53300
# too_many_connections), the server shutting down, system and I/O errors.
_PG_STATES = {"25006", "57P01", "57P02", "57P03"}
_PG_CLASSES = {"08", "53", "58"}
# SQLite's BUSY on the readiness probe means another connection is writing: it can write.
_WRITING_ELSEWHERE = "SQLITE_BUSY"
# Reasons that mean "answers, but cannot write" rather than "cannot be reached".
_CANNOT_WRITE = {"SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR"}
_CANNOT_WRITE_STATES = {"25006", "53100", "58030"}


class DatabaseUnavailable(Exception):
    """Raised to answer a whole request 503 once the failure behind it has been logged
    (so that an ``Idempotency-Key`` is released, not remembered with the 503)."""


def cannot_write(error: BaseException | None) -> bool:
    """Whether ``error`` says the database answers but cannot write (full, read-only)."""
    reason = unavailable_reason(error)
    if reason is None:
        return False
    return reason in _CANNOT_WRITE or reason.removeprefix("SQLSTATE ") in _CANNOT_WRITE_STATES


def unavailable_reason(error: BaseException | None) -> str | None:
    """A short name of the database failure behind ``error`` (``SQLITE_FULL``,
    ``SQLSTATE 53100``, ``unreachable``), or None when ``error`` is not one."""
    seen = 0
    while error is not None and seen < 8:
        seen += 1
        reason = _own_reason(error)
        if reason is not None:
            return reason
        error = getattr(error, "orig", None) or error.__cause__
    return None


def is_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` is the database being unavailable (see the module docstring)."""
    return unavailable_reason(error) is not None


def _own_reason(error: BaseException) -> str | None:
    if isinstance(error, DatabaseUnavailable):
        return "reported"
    if isinstance(error, sa_exc.TimeoutError):
        return "no free connection"
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return "connection lost"
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _SQLITE_UNAVAILABLE.get(code & 0xFF)
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str):
        if state in _PG_STATES or state[:2] in _PG_CLASSES:
            return f"SQLSTATE {state}"
        return None
    if isinstance(error, OSError | ConnectionError):
        return "unreachable"
    return None


async def check_writable(engine: AsyncEngine) -> None:
    """Raise when the database cannot be reached or cannot write; change nothing."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        if engine.dialect.name == "sqlite":
            await _probe_sqlite(connection)
        else:
            await _probe_postgresql(connection)


async def _probe_sqlite(connection: Any) -> None:
    # A new table takes a page of the file (a full disk, or max_page_count, refuses
    # it) and the write lock (a read-only file refuses it). Explicit statements: the
    # driver would run a CREATE outside any transaction, and keep it. Another writer
    # holding the lock is not waited for long: it shows that the database can write.
    await connection.exec_driver_sql("PRAGMA busy_timeout = 200")
    try:
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            await connection.exec_driver_sql("CREATE TABLE bangfu_readiness_probe (x BLOB)")
            await connection.exec_driver_sql(
                "INSERT INTO bangfu_readiness_probe VALUES (zeroblob(1024))"
            )
        finally:
            await connection.exec_driver_sql("ROLLBACK")
    except sa_exc.DBAPIError as error:
        if unavailable_reason(error) != _WRITING_ELSEWHERE:
            raise
    finally:
        await connection.exec_driver_sql("PRAGMA busy_timeout = 30000")


async def _probe_postgresql(connection: Any) -> None:
    # An update of one reference row, rolled back: refused in a read-only transaction
    # (25006, a standby, default_transaction_read_only) and when a write fails (53100).
    from bangfu.core.registry.models import Region

    first = select(func.min(Region.code)).scalar_subquery()
    try:  # in the transaction the first query began
        await connection.execute(
            update(Region).where(Region.code == first).values(name=Region.name)
        )
    finally:
        await connection.rollback()
