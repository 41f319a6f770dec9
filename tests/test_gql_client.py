"""docs/api.md's worked example, a partner's program written with Python's ``gql``, runs
as it is printed there against the real service: uvicorn on a free localhost port, demo
data, on SQLite and PostgreSQL. It logs in, pages through a township with cursors and
checks the count against ``totalCount``, updates a person and handles
``VERSION_CONFLICT``."""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bangfu.core.db import make_engine

API_GUIDE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
MARKER = "<!-- the script that tests/test_gql_client.py runs -->"
TIMEOUT = 120

# What ``bangfu serve --demo`` does, with a small demo, in one process.
SERVE = """
import asyncio, sys
import uvicorn
from bangfu.cli import load_demo, load_host, upgrade
from bangfu.core.config import Settings

settings, host = Settings(), load_host()
asyncio.run(upgrade(settings, host))
asyncio.run(load_demo(settings, host, households=120, seed=2026))
uvicorn.run("bangfu.app:create_app", factory=True, host="127.0.0.1", port=int(sys.argv[1]))
"""


def the_script() -> str:
    """The Python block that follows the marker in docs/api.md."""
    guide = API_GUIDE.read_text(encoding="utf-8")
    found = re.search(re.escape(MARKER) + r"\n```python\n(.*?)```", guide, re.S)
    assert found, "docs/api.md has no gql example after its marker"
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _schema(url: str, statement: str) -> None:
    admin = make_engine(url, pooled=False)
    async with admin.begin() as connection:
        await connection.execute(text(statement))
    await admin.dispose()


@pytest.fixture
def service(tmp_path: Path, database_url: str | None) -> Iterator[str]:
    """The service with the demo data and users on a free localhost port."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANGFU_")}
    env |= {
        "BANGFU_DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp_path / 'bangfu.db'}",
        "BANGFU_SECRET_KEY_FILE": str(tmp_path / "bangfu.key"),
        "BANGFU_PROFILE": "development",
        "BANGFU_DEMO": "true",
    }
    schema = None
    if database_url is not None:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        asyncio.run(_schema(database_url, f'CREATE SCHEMA "{schema}"'))
        env["BANGFU_DATABASE_SCHEMA"] = schema
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "serve.log").read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        if database_url is not None:
            asyncio.run(_schema(database_url, f'DROP SCHEMA "{schema}" CASCADE'))


def test_the_guide_s_gql_script_runs_against_the_service(service: str, tmp_path: Path) -> None:
    script = tmp_path / "client.py"
    script.write_text(the_script(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANGFU_")}
    env["BANGFU_URL"] = f"{service}/graphql"
    run = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert re.fullmatch(r".+: (\d+) persons in (\d+) pages", lines[0]), lines
    total, pages = map(int, re.findall(r"\d+", lines[0]))
    assert total > 10 and pages == -(-total // 10)
    assert re.fullmatch(r".+: phone 13900000001, version (\d+)", lines[1]), lines
    first_version = int(lines[1].rsplit(" ", 1)[1])
    assert re.fullmatch(r"version \d+ is stale: reading the person again", lines[2]), lines
    assert lines[3].endswith(f"phone 13900000002, version {first_version + 1}"), lines
    assert lines[4:] == ["refused: GRAPHQL_VALIDATION_FAILED"]
