"""The medical branch builds exactly the medical models, and goes down and up again."""

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bangfu.core import migrate

pytestmark = pytest.mark.anyio

DIRS = {"medical": Path(__file__).resolve().parent.parent / "migrations" / "versions"}
# The enum's CHECK is rendered by SQLAlchemy from the enum, the same on both sides.
ENUM_CHECK = "insurance_scheme"
MEDICAL = ("medical_insurance_enrolment", "medical_hospitalisation", "medical_aid_claim")


@pytest.fixture
def database(tmp_path: Path, database_url: str | None) -> Iterator[tuple[str, str | None]]:
    if database_url is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'medical.db'}", None
        return
    schema = f"medical_{uuid.uuid4().hex[:10]}"
    _run(database_url, None, f'CREATE SCHEMA "{schema}"')
    try:
        yield database_url, schema
    finally:
        _run(database_url, None, f'DROP SCHEMA "{schema}" CASCADE')


def _run(url: str, schema: str | None, *statements: str) -> None:
    async def go() -> None:
        engine = migrate.make_engine(url, schema)
        try:
            async with engine.begin() as connection:
                for statement in statements:
                    await connection.execute(sa.text(statement))
        finally:
            await engine.dispose()

    asyncio.run(go())


def _medical_drift(url: str, schema: str | None) -> list[object]:
    """Differences that concern the medical tables (core's own are core's business)."""
    return [d for d in migrate.check(url, DIRS, schema=schema) if "medical_" in repr(d)]


def test_upgrade_matches_the_models_and_downgrade_undoes_it(
    database: tuple[str, str | None],
) -> None:
    url, schema = database
    migrate.upgrade(url, DIRS, schema=schema)
    assert "medical_0002" in migrate.current(url, DIRS, schema=schema)
    assert _medical_drift(url, schema) == []

    migrate.downgrade(url, DIRS, "medical_0001", schema=schema)
    assert "medical_0001" in migrate.current(url, DIRS, schema=schema)
    migrate.upgrade(url, DIRS, schema=schema)
    assert _medical_drift(url, schema) == []


def test_the_migrated_checks_are_the_models_checks(database: tuple[str, str | None]) -> None:
    """Autogenerate does not compare CHECK constraints: compare them here."""
    url, schema = database
    migrate.upgrade(url, DIRS, schema=schema)

    def normal(text: str) -> str:
        """Without PostgreSQL's casts and parentheses: ``(total_cost > (0)::numeric)``."""
        text = re.sub(r"::\w+", "", text).replace("(", " ").replace(")", " ")
        return " ".join(text.split()).lower()

    async def migrated() -> dict[str, set[tuple[str, str]]]:
        engine = migrate.make_engine(url, schema)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda c: {
                        table: {
                            (ck["name"], normal(ck["sqltext"]))
                            for ck in sa.inspect(c).get_check_constraints(table)
                            if not ck["name"].endswith(ENUM_CHECK)
                        }
                        for table in MEDICAL
                    }
                )
        finally:
            await engine.dispose()

    from bangfu.plugins.medical import models

    expected = {
        table: {
            (ck.name, normal(str(ck.sqltext)))
            for ck in models.Base.metadata.tables[table].constraints
            if isinstance(ck, sa.CheckConstraint) and not str(ck.name).endswith(ENUM_CHECK)
        }
        for table in MEDICAL
    }
    found = asyncio.run(migrated())
    assert found == expected
    assert any(name.endswith("parts_add_up") for name, _ in found["medical_aid_claim"])
