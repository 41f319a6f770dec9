"""Bulk inserts for the care demo: one statement per batch, the new rows' keys back."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
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
