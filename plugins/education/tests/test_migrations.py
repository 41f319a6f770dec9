"""The education branch: education_0002 upgrades a database with enrolments in it, builds
exactly the models, and downgrades again (on SQLite, and PostgreSQL when configured)."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from bangfu.core import migrate
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.registry.reference import ensure_reference_data
from bangfu.core.registry.service import MemberData, PersonData, Registry
from bangfu.core.security import SYSTEM
from bangfu.core.security.crypto import FieldCipher
from bangfu.plugins.education.tests.conftest import born, id_number

pytestmark = pytest.mark.anyio

DIRS = {"education": Path(__file__).resolve().parent.parent / "migrations" / "versions"}


@pytest.fixture
async def db(tmp_path: Path, database_url: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """A new database: a SQLite file, or a fresh schema of the PostgreSQL database."""
    if database_url is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}", None
        return
    schema = f"edu_{uuid.uuid4().hex[:10]}"
    admin = make_engine(database_url, pooled=False)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield database_url, schema
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def education_drift(url: str, schema: str | None) -> list[Any]:
    """Differences between the database and the models, for the education tables only."""
    return [d for d in migrate.check(url, DIRS, schema=schema) if "education_" in repr(d)]


async def sql(url: str, schema: str | None, statement: str, **values: Any) -> list[Any]:
    engine = make_engine(url, schema=schema, pooled=False)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), values)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def tables(url: str, schema: str | None) -> set[str]:
    engine = make_engine(url, schema=schema, pooled=False)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        return {name for name in names if name.startswith("education_")}
    finally:
        await engine.dispose()


async def test_upgrade_keeps_enrolments_and_downgrade_undoes_it(
    db: tuple[str, str | None],
) -> None:
    url, schema = db
    migrate.upgrade(url, DIRS, "core@head", schema=schema)
    migrate.upgrade(url, DIRS, "education_0001", schema=schema)
    engine = make_engine(url, schema=schema, pooled=False)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            session.info["actor"] = SYSTEM
            await ensure_reference_data(session)
            registry = Registry(session, SYSTEM, FieldCipher(b"k" * 32))
            household = await registry.create_household(
                "141023",
                None,
                [
                    MemberData("HEAD", PersonData("王建国", id_number(born(40)))),  # type: ignore[arg-type]
                    MemberData("CHILD", PersonData("王小明", id_number(born(10)))),  # type: ignore[arg-type]
                ],
                None,
            )
            child = (await registry.current_members(household.id))[1].person_id
    finally:
        await engine.dispose()
    await sql(
        url,
        schema,
        "INSERT INTO education_enrolment (person_id, school_name, stage, status, start_date)"
        " VALUES (:child, '襄汾县实验小学', 'PRIMARY', 'ENROLLED', '2022-09-01')",
        child=child,
    )

    migrate.upgrade(url, DIRS, "heads", schema=schema)
    assert await tables(url, schema) == {"education_enrolment", "education_aid"}
    assert education_drift(url, schema) == []
    rows = await sql(url, schema, "SELECT school_name, end_reason FROM education_enrolment")
    assert [tuple(r) for r in rows] == [("襄汾县实验小学", None)]
    # What 0002 allows: a period without a school; the old table cannot hold it.
    await sql(
        url,
        schema,
        "INSERT INTO education_enrolment (person_id, status, start_date, end_date)"
        " VALUES (:child, 'NOT_YET_OF_SCHOOL_AGE', '2016-09-01', '2022-09-01')",
        child=child,
    )

    migrate.downgrade(url, DIRS, "education_0001", schema=schema)
    assert await tables(url, schema) == {"education_enrolment"}
    rows = await sql(url, schema, "SELECT school_name FROM education_enrolment")
    assert [tuple(r) for r in rows] == [("襄汾县实验小学",)]

    migrate.upgrade(url, DIRS, "heads", schema=schema)
    assert education_drift(url, schema) == []
    migrate.downgrade(url, DIRS, "education@base", schema=schema)
    assert await tables(url, schema) == set()
