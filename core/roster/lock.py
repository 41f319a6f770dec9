"""One roster import at a time per database.

Two imports of overlapping rows would each find a person unregistered and each insert
them: the second then failed on the unique ID-number key. So each import takes a lock as
the first statement of its transaction, held to its end: a PostgreSQL advisory lock (per
schema), or SQLite's write lock (``BEGIN IMMEDIATE``). The next import waits, then checks
the rows against what the first one committed (an identical file is then all
``UNCHANGED``). An import that waits longer than ``BANGFU_ROSTER_IMPORT_WAIT_SECONDS``
gets :class:`ImportBusy`, a retryable answer.
"""

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

#: SQLite's default wait for a lock (``connect(timeout=30)`` in :func:`bangfu.core.db.make_engine`).
_SQLITE_BUSY_MS = 30_000
_PG_LOCK_NOT_AVAILABLE = "55P03"


class ImportBusy(Exception):
    """Another import held the lock for longer than this one may wait."""


async def import_lock(session: AsyncSession, wait_seconds: int) -> None:
    """Take the import lock in ``session``'s transaction (its first statement)."""
    connection = await session.connection()
    wait_ms = wait_seconds * 1000
    if connection.dialect.name == "postgresql":
        before = await connection.scalar(text("SELECT current_setting('lock_timeout')"))
        await connection.execute(
            text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": f"{wait_ms}ms"}
        )
        try:
            await connection.execute(
                text(
                    "SELECT pg_advisory_xact_lock(hashtext('bangfu roster import ' "
                    "|| current_schema()))"
                )
            )
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
                raise ImportBusy from exc
            raise
        await connection.execute(
            text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": before}
        )
        return
    await connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_ms)}")
    try:
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
    except DBAPIError as exc:
        if "locked" in str(exc.orig):
            raise ImportBusy from exc
        raise
    finally:
        await connection.exec_driver_sql(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
