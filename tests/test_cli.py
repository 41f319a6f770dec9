"""The ``bangfu`` command: migrate, demo data, schema."""

import asyncio
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bangfu.cli import main
from bangfu.core.db import make_engine
from bangfu.core.registry.models import Household, Person, Region
from bangfu.core.security.models import User

SNAPSHOT = Path(__file__).parent.parent / "schema.graphql"


@pytest.fixture
def env(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str | None]]:
    """Run the command in an empty folder against a fresh database."""
    monkeypatch.chdir(tmp_path)
    schema = None
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'bangfu.db'}"
    else:
        schema = f"cli_{uuid.uuid4().hex[:10]}"
        asyncio.run(_execute(database_url, None, f'CREATE SCHEMA "{schema}"'))
        monkeypatch.setenv("BANGFU_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("BANGFU_DATABASE_URL", database_url)
    yield {"url": database_url, "schema": schema}
    if schema is not None:
        asyncio.run(_execute(database_url, None, f'DROP SCHEMA "{schema}" CASCADE'))


async def _execute(url: str, schema: str | None, sql: str) -> None:
    engine = make_engine(url, pooled=False, schema=schema)
    async with engine.begin() as connection:
        await connection.execute(text(sql))
    await engine.dispose()


async def _count(url: str, schema: str | None, model: type, *where: object) -> int:
    engine = make_engine(url, pooled=False, schema=schema)
    async with engine.connect() as connection:
        value = await connection.scalar(select(func.count()).select_from(model).where(*where))  # type: ignore[arg-type]
    await engine.dispose()
    return int(value or 0)


def test_db_upgrade_then_demo(
    env: dict[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    url, schema = env["url"], env["schema"]
    assert url is not None
    assert main(["db", "upgrade"]) == 0
    assert asyncio.run(_count(url, schema, Region)) == 21  # Linfen, 17 divisions, 2 zones, Hukou
    assert main(["db", "upgrade"]) == 0  # twice is harmless
    assert asyncio.run(_count(url, schema, Region)) == 21

    assert main(["demo", "--households", "60"]) == 0
    out = capsys.readouterr().out
    assert "Demo logins (password for all: Demo-2026!linfen)" in out
    for username in (
        "admin",
        "xiangfen",
        "hongtong",
        "education",
        "medical",
        "housing",
        "employment",
        "paired",
        "supervisor",
        "township",
        "village",
    ):
        assert f"  {username} " in out
    assert asyncio.run(_count(url, schema, Household)) >= 60
    assert asyncio.run(_count(url, schema, User, User.is_demo.is_(True))) == 11
    persons = asyncio.run(_count(url, schema, Person))

    assert main(["demo", "--households", "60"]) == 0
    assert "not loading again" in capsys.readouterr().out
    assert asyncio.run(_count(url, schema, Person)) == persons

    key = Path("bangfu.key")
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_schema_command_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--builtin"]) == 0
    assert capsys.readouterr().out == SNAPSHOT.read_text(encoding="utf-8")
