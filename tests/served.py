"""The real service for tests that talk to it as a client program would: uvicorn on a free
localhost port, with demo data (``bangfu serve --demo`` in one process, a small demo), on
SQLite or on a schema of its own in the PostgreSQL test database."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text

from bangfu.core.db import make_engine

TIMEOUT = 120

SERVE = """
import asyncio, sys
import uvicorn
from bangfu.cli import load_demo, load_host, upgrade
from bangfu.core.config import Settings

settings, host = Settings(), load_host()
asyncio.run(upgrade(settings, host))
asyncio.run(load_demo(settings, host, households=int(sys.argv[2]), seed=2026))
uvicorn.run("bangfu.app:create_app", factory=True, host="127.0.0.1", port=int(sys.argv[1]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _run(url: str, statement: str) -> None:
    admin = make_engine(url, pooled=False)
    async with admin.begin() as connection:
        await connection.execute(text(statement))
    await admin.dispose()


class Served(str):
    """The base URL of a served instance (a ``str``), with the environment it runs in
    (``env``: its ``BANGFU_`` settings, its database and schema), for a command or job
    that a test runs against the same instance."""

    env: dict[str, str]

    def __new__(cls, base: str, env: dict[str, str]) -> "Served":
        served = super().__new__(cls, base)
        served.env = env
        return served


@contextlib.contextmanager
def served(
    tmp_path: Path,
    database_url: str | None,
    *,
    households: int = 120,
    settings: dict[str, str] | None = None,
) -> Iterator[Served]:
    """The base URL (``http://127.0.0.1:PORT``, with its environment ``env``) of the
    service, demo mode, development profile, with ``settings`` (``BANGFU_`` variables) on
    top; stopped (and its PostgreSQL schema dropped) at the end."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANGFU_")}
    env |= {
        "BANGFU_DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp_path / 'bangfu.db'}",
        "BANGFU_SECRET_KEY_FILE": str(tmp_path / "bangfu.key"),
        "BANGFU_PROFILE": "development",
        "BANGFU_DEMO": "true",
    }
    env |= settings or {}
    schema = None
    if database_url is not None:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        asyncio.run(_run(database_url, f'CREATE SCHEMA "{schema}"'))
        env["BANGFU_DATABASE_SCHEMA"] = schema
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port), str(households)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = Served(f"http://127.0.0.1:{port}", env)
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
        if schema is not None and database_url is not None:
            asyncio.run(_run(database_url, f'DROP SCHEMA "{schema}" CASCADE'))
