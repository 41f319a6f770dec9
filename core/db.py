"""The one ORM ``Base`` (one MetaData with a naming convention), engines and sessions.

Plugins put their models on ``Base.metadata`` too, with tables prefixed ``<plugin>_``;
the host checks both at start.
"""

import base64
import datetime as dt
import re
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, DateTime, MetaData, String, and_, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute
from sqlalchemy.pool import NullPool

from bangfu.core import request_scope

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every core and plugin model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: DateTime(timezone=True)}


# Materialised region paths ("141000/141023/") compare bytewise, so a subtree is a range
# that an ordinary B-tree index serves: PostgreSQL needs the "C" collation for that.
PathString = String(200).with_variant(postgresql.VARCHAR(200, collation="C"), "postgresql")


_T = TypeVar("_T")


def path_within(
    column: "ColumnElement[str] | QueryableAttribute[str]", prefix: str
) -> ColumnElement[bool]:
    """``column`` lies in the subtree whose path is ``prefix`` (which ends with ``/``)."""
    return path_between(column, *path_bounds(prefix))


def path_bounds(prefix: str) -> tuple[str, str]:
    """The half-open range ``[lower, upper)`` of the paths in the subtree ``prefix``."""
    if not prefix.endswith("/"):
        raise ValueError("a region path ends with '/'")
    return prefix, prefix[:-1] + chr(ord("/") + 1)


def path_between(
    column: "ColumnElement[str] | QueryableAttribute[str]",
    lower: "str | ColumnElement[str]",
    upper: "str | ColumnElement[str]",
) -> ColumnElement[bool]:
    """``lower <= column < upper``: the bounds come from :func:`path_bounds`. Each bound is
    compared as it is (no Python operation on it), so inside a SQLAlchemy lambda both stay
    tracked bound parameters."""
    return and_(column >= lower, column < upper)


def utcnow() -> dt.datetime:
    """Now, timezone-aware, in UTC (stored instants are always UTC)."""
    return dt.datetime.now(dt.UTC)


def make_engine(
    url: str,
    *,
    echo: bool = False,
    schema: str | None = None,
    pooled: bool = True,
    statement_timeout: float | None = None,
    hide_parameters: bool = False,
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_timeout: float = 30,
) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys, WAL and a busy timeout; PostgreSQL may
    be given the schema that holds the tables. ``hide_parameters`` keeps a statement's
    values out of its errors (for commands that handle whole tables of personal data).

    Statements honour the request deadline of :mod:`bangfu.core.request_scope`: on SQLite a
    statement still running after it is interrupted (PostgreSQL statements are cancelled
    by asyncpg when the request is). ``statement_timeout`` (seconds, PostgreSQL) is the
    server-side backstop for any one statement.

    A pooled engine keeps ``pool_size`` connections and opens up to ``max_overflow`` more;
    a checkout waits at most ``pool_timeout`` seconds for one.
    """
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": hide_parameters}
    if url.startswith("sqlite"):
        if ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:"):
            raise ValueError("use a SQLite file, not :memory: (each connection would see its own)")
        kwargs["connect_args"] = {"timeout": 30}
    else:
        # asyncpg prepares every statement, and after five runs PostgreSQL may switch a
        # prepared statement to a generic plan: for "person_id IN ($1 ... $330)" that plan
        # scanned instead of probing the index (2.8 ms became 50 ms, every page). Each
        # execution is planned for its own values; planning costs well under a millisecond.
        server_settings: dict[str, str] = {"plan_cache_mode": "force_custom_plan"}
        if schema is not None:
            server_settings["search_path"] = schema
        if statement_timeout is not None:
            server_settings["statement_timeout"] = str(max(1, int(statement_timeout * 1000)))
        kwargs["connect_args"] = {"server_settings": server_settings}
    if pooled:
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout)
    else:
        kwargs["poolclass"] = NullPool
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "connect", _sqlite_functions)
        event.listen(engine.sync_engine, "connect", _sqlite_deadline_handler)
        event.listen(engine.sync_engine, "before_cursor_execute", _sqlite_arm_deadline)
        event.listen(engine.sync_engine.pool, "checkin", _sqlite_disarm_deadline)
    elif pooled:
        event.listen(engine.sync_engine.pool, "checkin", _note_checkin)
        event.listen(engine.sync_engine.pool, "checkout", partial(_ping_if_idle, engine))
    return engine


#: A pooled PostgreSQL connection idle this long is pinged before it is used again.
PING_AFTER_IDLE_SECONDS = 10.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["bangfu_checked_in"] = time.monotonic()


def _ping_if_idle(engine: AsyncEngine, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection that waited in the pool :data:`PING_AFTER_IDLE_SECONDS` or longer;
    a dead one is replaced (``DisconnectionError`` makes the pool connect afresh).

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout, which asyncpg's adapter does in a
    transaction of its own: three round trips before each request's first statement, more
    than a township's count costs. A connection used moments ago is alive unless the
    server went away since; then the statement fails, SQLAlchemy invalidates the whole
    pool, the request is answered 503 ``SERVICE_UNAVAILABLE`` (retryable), and the next
    checkout connects afresh (docs/operations.md).
    """
    checked_in = record.info.get("bangfu_checked_in")
    if checked_in is None or time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS:
        return
    try:
        alive = engine.dialect.do_ping(dbapi_connection)
    except Exception as error:
        raise DisconnectionError(f"an idle pooled connection did not answer: {error}") from error
    if not alive:
        raise DisconnectionError("an idle pooled connection did not answer")


# Grace after the request deadline before a SQLite statement is interrupted: the request's
# own cancellation comes first, so the client gets the timeout answer, not a driver error.
_SQLITE_GRACE = 0.05


class _SqliteDeadline:
    """Per connection: when its current statement must stop (read in aiosqlite's thread)."""

    def __init__(self) -> None:
        self.at: float | None = None

    def expired(self) -> int:
        # SQLite's progress handler: non-zero interrupts the running statement.
        return 1 if self.at is not None and time.monotonic() > self.at else 0


def _sqlite_deadline_handler(dbapi_connection: Any, record: Any) -> None:
    holder = _SqliteDeadline()
    record.info["bangfu_deadline"] = holder
    dbapi_connection.run_async(lambda driver: driver.set_progress_handler(holder.expired, 1000))


def _sqlite_arm_deadline(connection: Any, *_args: Any) -> None:
    holder = connection.connection.info.get("bangfu_deadline")
    if holder is not None:
        at = request_scope.deadline()
        holder.at = None if at is None else at + _SQLITE_GRACE


def _sqlite_disarm_deadline(_dbapi_connection: Any, record: Any) -> None:
    holder = record.info.get("bangfu_deadline") if record is not None else None
    if holder is not None:
        holder.at = None


def global_id(type_name: str, key: Any) -> str | None:
    """``bangfu_global_id(type, key)`` on SQLite: base64 of ``Type:key`` (a global ID, as
    ``bangfu.schema.relay.to_global_id`` makes it), for plans that build JSON in SQL."""
    if key is None:
        return None
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def _sqlite_functions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.run_async(
        lambda driver: driver.create_function("bangfu_global_id", 2, global_id, deterministic=True)
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession], info: dict[str, Any]
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back everything on any error."""
    async with sessions() as session:
        session.info.update(info)
        async with session.begin():
            yield session


async def flush_or_version_conflict(session: AsyncSession, field: str) -> None:
    """Flush; a versioned row that another transaction changed since it was read becomes
    a ``VERSION_CONFLICT`` on ``field`` naming the version the row has now.

    The check before a write (``expectedVersion`` against the row read) catches a change
    made earlier; this catches one made between that read and the UPDATE, whose
    ``WHERE version = ...`` then matches nothing (SQLAlchemy's ``StaleDataError``).
    """
    from sqlalchemy import inspect, select
    from sqlalchemy.orm.exc import StaleDataError

    from bangfu.core.errors import DomainError, ErrorCode
    from bangfu.core.i18n import _

    # What each versioned row was read as, taken now: after a failed flush the objects
    # are expired and must not be touched.
    versioned = []
    for obj in session.dirty:
        mapper = inspect(obj).mapper
        if mapper.version_id_col is not None:
            key = [getattr(obj, mapper.get_property_by_column(pk).key) for pk in mapper.primary_key]
            was = getattr(obj, mapper.get_property_by_column(mapper.version_id_col).key)
            versioned.append((mapper, key, was))
    try:
        await session.flush()
    except StaleDataError as exc:
        label, current = "record", None
        for mapper, key, was in versioned:
            read = select(mapper.version_id_col).where(
                *(pk == value for pk, value in zip(mapper.primary_key, key, strict=True))
            )
            # A connection of its own: this session's transaction failed its flush.
            async with session.bind.connect() as connection:  # type: ignore[union-attr]
                now = await connection.scalar(read)
            if now is not None and now != was:
                words = re.findall(r"[A-Z][a-z]*", mapper.class_.__name__)
                label, current = " ".join(words).lower(), now
                break
        message = (
            _(
                "the {record} was changed meanwhile: current version is {version}",
                record=label,
                version=current,
            )
            if current is not None
            else _("the record was changed meanwhile: read it again")
        )
        raise DomainError.of(field, message, ErrorCode.VERSION_CONFLICT) from exc


def chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """``items`` in slices of ``size``: an ``IN`` list a statement can take (asyncpg takes
    at most 32,767 parameters; SQLite's limit is lower on old builds)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
