"""The one ORM ``Base`` (one MetaData with a naming convention), engines and sessions.

Plugins put their models on ``Base.metadata`` too, with tables prefixed ``<plugin>_``;
the host checks both at start.
"""

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import ColumnElement, DateTime, MetaData, String, and_, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute
from sqlalchemy.pool import NullPool

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


def path_within(
    column: "ColumnElement[str] | QueryableAttribute[str]", prefix: str
) -> ColumnElement[bool]:
    """``column`` lies in the subtree whose path is ``prefix`` (which ends with ``/``)."""
    if not prefix.endswith("/"):
        raise ValueError("a region path ends with '/'")
    upper = prefix[:-1] + chr(ord("/") + 1)
    return and_(column >= prefix, column < upper)


def utcnow() -> dt.datetime:
    """Now, timezone-aware, in UTC (stored instants are always UTC)."""
    return dt.datetime.now(dt.UTC)


def make_engine(
    url: str, *, echo: bool = False, schema: str | None = None, pooled: bool = True
) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys, WAL and a busy timeout; PostgreSQL may
    be given the schema that holds the tables."""
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        if ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:"):
            raise ValueError("use a SQLite file, not :memory: (each connection would see its own)")
        kwargs["connect_args"] = {"timeout": 30}
    else:
        if schema is not None:
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        if pooled:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    if not pooled:
        kwargs["poolclass"] = NullPool
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


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
