"""The ``employment`` branch: employment_0002 moves 0001's free-text reasons into the enum,
builds what the models declare, and downgrades back (SQLite; PostgreSQL with the env var)."""

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, inspect, text

from bangfu.core import migrate

T = TypeVar("T")
BRANCH = {"employment": Path(__file__).resolve().parents[1] / "migrations" / "versions"}


class Database:
    def __init__(self, url: str, schema: str | None = None) -> None:
        self.url, self.schema = url, schema

    def run(self, fn: Callable[[Connection], T]) -> T:
        async def go() -> T:
            engine = migrate.make_engine(self.url, self.schema)
            try:
                async with engine.begin() as connection:
                    return await connection.run_sync(fn)
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def upgrade(self, revision: str) -> None:
        migrate.upgrade(self.url, BRANCH, revision, schema=self.schema)

    def downgrade(self, revision: str) -> None:
        migrate.downgrade(self.url, BRANCH, revision, schema=self.schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database(f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}")
        return
    url = os.environ.get("BANGFU_TEST_DATABASE_URL")
    if not url:
        pytest.skip("BANGFU_TEST_DATABASE_URL is not set: PostgreSQL runs skipped")
    schema = f"employment_{uuid.uuid4().hex[:10]}"
    Database(url).run(lambda c: c.execute(text(f'CREATE SCHEMA "{schema}"')))
    try:
        yield Database(url, schema)
    finally:
        Database(url).run(lambda c: c.execute(text(f'DROP SCHEMA "{schema}" CASCADE')))


def seed_0001(connection: Connection) -> None:
    """A person with three statuses as 0001 stored them (the reason as free text)."""
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    connection.execute(
        text(
            "INSERT INTO core_region (code, name, level, parent_code, path, sort_key) "
            "VALUES ('141000', '临汾市', 'CITY', NULL, '141000/', 0)"
        )
    )
    connection.execute(
        text(
            "INSERT INTO core_person (id, name, id_number_digest, id_number_cipher, "
            "id_number_masked, birth_date, sex, region_code, deceased, is_key_person, version, "
            "created_at, updated_at, area_path) VALUES (1, '孙建军', 'digest', :cipher, "
            "'141023********0011', :born, 'MALE', '141000', false, false, 1, :now, :now, "
            "'141000/')"
        ),
        {"cipher": b"cipher", "born": dt.date(1980, 1, 1), "now": now},
    )
    rows = [
        ("EMPLOYED", None, dt.date(2010, 1, 1), dt.date(2019, 12, 31)),
        ("UNABLE_TO_WORK", "Disability", dt.date(2020, 1, 1), dt.date(2022, 12, 31)),
        ("UNABLE_TO_WORK", "腰伤", dt.date(2023, 1, 1), None),
    ]
    for status, reason, since, until in rows:
        connection.execute(
            text(
                "INSERT INTO employment_work_status (person_id, status, reason, since, until) "
                "VALUES (1, :status, :reason, :since, :until)"
            ),
            {"status": status, "reason": reason, "since": since, "until": until},
        )


def statuses(connection: Connection) -> list[tuple[Any, ...]]:
    columns = {c["name"] for c in inspect(connection).get_columns("employment_work_status")}
    wanted = [c for c in ("status", "unable_reason", "reason_detail", "reason") if c in columns]
    rows = connection.execute(
        text(f"SELECT {', '.join(wanted)} FROM employment_work_status ORDER BY since")
    )
    return [tuple(row) for row in rows]


def test_0002_moves_the_reasons_and_downgrades_back(database: Database) -> None:
    database.upgrade("employment_0001")
    database.run(seed_0001)

    database.upgrade("heads")
    assert database.run(statuses) == [
        ("EMPLOYED", None, None),
        ("UNABLE_TO_WORK", "DISABILITY", None),  # a known reason becomes the enum
        ("UNABLE_TO_WORK", None, "腰伤"),  # anything else stays as the detail
    ]
    tables = database.run(lambda c: set(inspect(c).get_table_names()))
    assert {
        "employment_training",
        "employment_job_placement",
        "employment_welfare_post",
    } <= tables
    drift = migrate.check(database.url, BRANCH, schema=database.schema)
    assert [d for d in drift if "employment_" in repr(d)] == []

    database.downgrade("employment_0001")
    assert database.run(statuses) == [
        ("EMPLOYED", None),
        ("UNABLE_TO_WORK", "disability"),
        ("UNABLE_TO_WORK", "腰伤"),
    ]
    tables = database.run(lambda c: set(inspect(c).get_table_names()))
    assert "employment_training" not in tables
