"""Bulk inserts for demo data (core's care demo and the plugins'): one statement per batch,
the new rows' keys back when asked."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

_BATCH = 1000


async def insert_rows(
    session: AsyncSession, model: type[Any], rows: Sequence[dict[str, Any]]
) -> None:
    """Bulk INSERT without RETURNING (an executemany per batch)."""
    for start in range(0, len(rows), _BATCH):
        await session.execute(
            insert(model).execution_options(render_nulls=True), list(rows[start : start + _BATCH])
        )


async def insert_ids(
    session: AsyncSession, model: type[Any], rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Bulk INSERT returning the new primary keys in the order of ``rows``.

    PostgreSQL: RETURNING sorted by parameter order (SQLAlchemy's sentinel). SQLite would
    fall back to a statement per row for that, so there the rows are inserted with one
    executemany and get the next row IDs in order: the demo is the only writer of its
    transaction, and an INTEGER PRIMARY KEY takes max(id) + 1.
    """
    if session.get_bind().dialect.name != "sqlite":
        ids: list[int] = []
        for start in range(0, len(rows), _BATCH):
            statement = (
                insert(model)
                .returning(model.id, sort_by_parameter_order=True)
                .execution_options(render_nulls=True)
            )
            result = await session.execute(statement, list(rows[start : start + _BATCH]))
            ids += [row[0] for row in result]
        return ids
    before = int(await session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0)
    await insert_rows(session, model, rows)
    ids = list(await session.scalars(select(model.id).where(model.id > before).order_by(model.id)))
    if len(ids) != len(rows):
        raise RuntimeError(f"{model.__tablename__}: another writer inserted rows meanwhile")
    return ids


async def insert_objects(
    session: AsyncSession, objects: Sequence[Any], *, ids: bool = False
) -> None:
    """Bulk INSERT new ORM objects that were built but never added to the session.

    The unit of work inserts one row per statement on SQLite when it needs the keys back
    (every ORM object): a city-scale data set took a quarter of an hour that way. Each
    object's set column attributes become a row; objects of one class with the same
    attributes share a batch. With ``ids`` each object gets its new primary key (for rows
    that others refer to); the objects stay outside the session.
    """
    groups: dict[tuple[type[Any], tuple[str, ...]], list[Any]] = {}
    for obj in objects:
        columns = sa_inspect(type(obj)).column_attrs
        keys = tuple(c.key for c in columns if c.key in obj.__dict__ and c.key != "id")
        groups.setdefault((type(obj), keys), []).append(obj)
    for (model, keys), members in groups.items():
        rows = [{key: getattr(obj, key) for key in keys} for obj in members]
        if not ids:
            await insert_rows(session, model, rows)
            continue
        for obj, new_id in zip(members, await insert_ids(session, model, rows), strict=True):
            obj.id = new_id
