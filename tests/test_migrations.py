"""Migrations: core's branch and the built-in plugins' branches build exactly the models.

Runs on SQLite always and on PostgreSQL when ``BANGFU_TEST_DATABASE_URL`` is set
(``postgresql+asyncpg://...``): each test migrates a new schema of that database (its
``search_path``), dropped at the end, so the database is left as it was.
"""

import asyncio
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text

from bangfu.core import migrate
from bangfu.core.db import Base

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ("education", "medical", "housing", "employment")
PLUGIN_DIRS = {name: ROOT / "plugins" / name / "migrations" / "versions" for name in PLUGINS}
ALL_HEADS = migrate.heads(PLUGIN_DIRS)  # the newest core revision and each plugin's

_T = TypeVar("_T")

migrate.import_models(migrate.resolve_plugin_dirs(PLUGIN_DIRS))


def _owned(*owners: str) -> set[str]:
    prefixes = tuple(f"{owner}_" for owner in owners)
    return {name for name in Base.metadata.tables if name.startswith(prefixes)}


ALL_TABLES = _owned("core", *PLUGINS)


@dataclass(frozen=True)
class Db:
    """A database to migrate: a SQLite file, or a fresh schema of a PostgreSQL database."""

    url: str
    schema: str | None = None

    def run(self, fn: Callable[[Connection], _T]) -> _T:
        async def go() -> _T:
            engine = migrate.make_engine(self.url, self.schema)
            try:
                async with engine.begin() as connection:
                    return await connection.run_sync(fn)
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def tables(self) -> set[str]:
        """The tables of core and the plugins (without the job library's queue, which
        core_0006 creates on PostgreSQL only: see test_the_job_queue_tables)."""
        return self.run(lambda c: set(inspect(c).get_table_names())) - migrate.JOB_QUEUE_TABLES

    def all_tables(self) -> set[str]:
        return self.run(lambda c: set(inspect(c).get_table_names()))

    def upgrade(self, plugin_dirs: Any = PLUGIN_DIRS, revision: str = "heads") -> None:
        migrate.upgrade(self.url, plugin_dirs, revision, schema=self.schema)

    def downgrade(self, plugin_dirs: Any = PLUGIN_DIRS, revision: str = "base") -> None:
        migrate.downgrade(self.url, plugin_dirs, revision, schema=self.schema)

    def check(self, plugin_dirs: Any = PLUGIN_DIRS) -> list[Any]:
        return migrate.check(self.url, plugin_dirs, schema=self.schema)

    def current(self, plugin_dirs: Any = PLUGIN_DIRS) -> set[str]:
        return migrate.current(self.url, plugin_dirs, schema=self.schema)

    def pending(self, plugin_dirs: Any = PLUGIN_DIRS) -> bool:
        return migrate.pending(self.url, plugin_dirs, schema=self.schema)


@contextmanager
def _fresh(url: str) -> Iterator[Db]:
    """A new database: a SQLite file's URL is used as is, PostgreSQL gets a new schema."""
    if url.startswith("sqlite"):
        yield Db(url)
        return
    schema = f"bangfu_migrations_{uuid.uuid4().hex[:10]}"
    admin = Db(url)
    admin.run(lambda c: c.execute(text(f'CREATE SCHEMA "{schema}"')))
    try:
        yield Db(url, schema)
    finally:  # leave the database as we found it
        admin.run(lambda c: c.execute(text(f'DROP SCHEMA "{schema}" CASCADE')))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'bangfu.db'}"
    else:
        url = os.environ.get("BANGFU_TEST_DATABASE_URL", "")
        if not url:
            pytest.skip("BANGFU_TEST_DATABASE_URL is not set")
    with _fresh(url) as fresh:
        yield fresh


def test_upgrade_check_downgrade(db: Db, caplog: pytest.LogCaptureFixture) -> None:
    assert db.tables() == set()
    assert db.pending()

    db.upgrade()

    assert db.tables() == ALL_TABLES | {"alembic_version"}
    assert db.check() == []
    assert db.current() == ALL_HEADS
    assert not db.pending()

    with caplog.at_level(logging.INFO, logger="alembic"):
        db.upgrade()
    assert not [r for r in caplog.records if "Running upgrade" in r.getMessage()]
    assert db.current() == ALL_HEADS
    assert db.tables() == ALL_TABLES | {"alembic_version"}

    db.downgrade()

    assert db.tables() == {"alembic_version"}  # Alembic keeps its (empty) table
    assert db.current() == set()


def test_the_job_queue_tables(db: Db) -> None:
    """Huey's queue tables: in the database on PostgreSQL (several machines share them),
    in a file of their own beside the database on SQLite."""
    db.upgrade(revision="core@head")
    queue = migrate.JOB_QUEUE_TABLES if db.url.startswith("postgresql") else set()
    assert db.all_tables() == _owned("core") | {"alembic_version"} | queue
    db.downgrade()
    assert db.all_tables() == {"alembic_version"}


def test_each_branch_creates_only_its_own_tables(db: Db) -> None:
    db.upgrade(revision="core@head")
    assert db.tables() == _owned("core") | {"alembic_version"}
    assert db.check({}) == []  # core alone is a consistent schema
    assert db.pending()
    assert not db.pending({})

    db.upgrade(revision="education@head")
    assert db.tables() == _owned("core", "education") | {"alembic_version"}
    assert db.check({"education": PLUGIN_DIRS["education"]}) == []

    for name in PLUGINS:
        db.upgrade(revision=f"{name}@head")
    assert db.tables() == ALL_TABLES | {"alembic_version"}

    db.downgrade(revision="housing@base")
    assert db.tables() == (ALL_TABLES - _owned("housing")) | {"alembic_version"}
    assert db.pending()

    db.downgrade()
    assert db.tables() == {"alembic_version"}


def _snapshot(connection: Connection, tables: set[str]) -> dict[str, Any]:
    """What reflection sees of ``tables``: enough to tell two schemas apart."""
    inspector = inspect(connection)
    snapshot: dict[str, Any] = {}
    for table in sorted(tables):
        snapshot[table] = {
            "columns": [
                (
                    c["name"],
                    str(c["type"]),
                    c["nullable"],
                    getattr(c["type"], "collation", None) or "",
                )
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["name"],
            "foreign_keys": sorted(
                (
                    fk["name"] or "",
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(sorted(fk.get("options", {}).items())),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique": sorted(
                (u["name"] or "", *u["column_names"])
                for u in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (
                    i["name"] or "",
                    bool(i["unique"]),
                    *(str(column) for column in i["column_names"]),
                    str(i.get("dialect_options", {}).get(f"{connection.dialect.name}_where", "")),
                )
                for i in inspector.get_indexes(table)
            ),
            "checks": sorted(
                (c["name"] or "", c["sqltext"]) for c in inspector.get_check_constraints(table)
            ),
        }
    return snapshot


def test_migrations_build_what_the_models_declare(db: Db, tmp_path: Path) -> None:
    """Beyond autogenerate's diff: CHECKs, partial indexes, collations, constraint names."""
    db.upgrade()
    migrated = db.run(lambda c: _snapshot(c, ALL_TABLES))

    tables = [Base.metadata.tables[name] for name in ALL_TABLES]
    reference_url = db.url
    if db.url.startswith("sqlite"):
        reference_url = f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}"
    with _fresh(reference_url) as reference:
        reference.run(lambda c: Base.metadata.create_all(c, tables=tables))
        declared = reference.run(lambda c: _snapshot(c, ALL_TABLES))

    assert migrated == declared
    membership = migrated["core_membership"]["indexes"]
    assert {index[0] for index in membership if index[1]} >= {
        "uq_core_membership_current_head",
        "uq_core_membership_current_person",
    }
    if db.schema is not None:
        paths = [c for c in migrated["core_person"]["columns"] if c[0] == "area_path"]
        assert paths[0][3] == "C"

    db.downgrade()


def test_callable_inside_an_event_loop_and_on_a_given_connection(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bangfu.db'}"
    # Plain folders: each plugin's name is its package folder's name.
    folders = [ROOT / "plugins" / name / "migrations" for name in PLUGINS]

    async def lifespan() -> set[str]:
        migrate.upgrade(url, folders)  # a running loop: runs in a worker thread
        return migrate.current(url, folders)

    assert asyncio.run(lifespan()) == ALL_HEADS
    assert migrate.check(url, folders) == []

    def downgrade_on(connection: Connection) -> None:
        command.downgrade(migrate.make_config(None, folders, connection=connection), "base")

    Db(url).run(downgrade_on)
    assert Db(url).tables() == {"alembic_version"}


def test_plugin_dirs_are_checked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        migrate.resolve_plugin_dirs([tmp_path / "nowhere"])
    with pytest.raises(ValueError, match="given twice"):
        migrate.resolve_plugin_dirs([PLUGIN_DIRS["education"], PLUGIN_DIRS["education"]])
    branches = migrate.resolve_plugin_dirs([ROOT / "plugins" / "medical" / "migrations"])
    assert branches["medical"].versions == PLUGIN_DIRS["medical"]
    assert branches["medical"].models_module == "bangfu.plugins.medical.models"


def test_an_uninstalled_plugins_revision_does_not_stop_the_upgrade(tmp_path: Path) -> None:
    """After ``pip uninstall`` of a plugin its tables and version row stay; core and the
    other plugins still upgrade, and reinstalling picks the branch up again."""
    from bangfu.plugins.education.plugin import bangfu_migrations as education_migrations

    url = f"sqlite+aiosqlite:///{tmp_path / 'uninstall.db'}"
    education = {"education": education_migrations()}
    migrate.upgrade(url, education)
    with_education = migrate.current(url)
    assert any(v.startswith("education_") for v in with_education)
    migrate.upgrade(url)  # the education plugin is gone
    assert migrate.current(url) == with_education  # its row is kept, nothing else changed
    assert migrate.pending(url) is False
    migrate.upgrade(url, education)  # reinstalled
    assert migrate.current(url) == with_education
    assert migrate.check(url, education) == []
