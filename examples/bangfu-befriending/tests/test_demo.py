"""The demo with befriending installed, as ``python3 dev.py run`` serves it: ``bangfu demo``
loads it, ``bangfu serve --demo`` serves it, and the members of the city trade union, women's
federation and youth league log in over HTTP and read their own organisation's befriending
(on SQLite, and on PostgreSQL with ``BANGFU_TEST_DATABASE_URL``)."""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bangfu.plugin import Role
from bangfu.testing import Harness, PluginHost, get_plugin_manager

PASSWORD = "Demo-2026!linfen"
#: Demo user, organisation, and the organisation's name (core's reference data).
MEMBERS = {
    "befriending-union": "临汾市总工会",
    "befriending-women": "临汾市妇女联合会",
    "befriending-youth": "共青团临汾市委员会",
}
LOGIN = """mutation($username: String!, $password: String!) {
  login(username: $username, password: $password) { token errors { code message } } }"""
MINE = """{
  me { username roles }
  befriendingRelationships { id personId since until volunteer organisation { name } }
  befriendingOpenFlags { note personId organisation { name } } }"""
PERSON = """query($id: ID!) { node(id: $id) { ... on Person { befriending {
  relationships { volunteer organisation { name } }
  contacts { contactedOn kind emotionalState organisation { name } }
  openFlags { note } } } } }"""


def bangfu() -> str:
    """The ``bangfu`` command beside this Python (the environment the plugin is in)."""
    found = Path(sys.executable).with_name("bangfu")
    return str(found) if found.exists() else shutil.which("bangfu") or "bangfu"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_sql(url: str, statement: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(run())


@pytest.fixture
def demo_env(tmp_path: Path, database_url: str | None) -> Iterator[dict[str, str]]:
    """The environment of a demo on a fresh database: a SQLite file, or a new PostgreSQL
    schema (dropped afterwards). Every installed plugin is enabled (BANGFU_PLUGINS unset)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANGFU_")}
    env |= {
        "BANGFU_LANGUAGE": "en",
        "BANGFU_SECRET_KEY_FILE": str(tmp_path / "bangfu.key"),
        "BANGFU_PORT": str(free_port()),
    }
    if database_url is None:
        env["BANGFU_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
        yield env
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    env |= {"BANGFU_DATABASE_URL": database_url, "BANGFU_DATABASE_SCHEMA": schema}
    run_sql(database_url, f'CREATE SCHEMA "{schema}"')
    try:
        yield env
    finally:
        run_sql(database_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def serve(env: dict[str, str], tmp_path: Path) -> Iterator[httpx.Client]:
    """``bangfu serve --demo`` on the loaded database, until the test ends."""
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [bangfu(), "serve", "--demo"], env=env, cwd=tmp_path, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{env['BANGFU_PORT']}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(600):
                if server.poll() is not None:
                    pytest.fail((tmp_path / "serve.log").read_text())
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def ask(client: httpx.Client, query: str, variables: Any = None, token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


def test_the_three_organisations_log_in_and_read_their_befriending(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    loaded = subprocess.run(
        [bangfu(), "demo", "--households", "150"],
        env=demo_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert loaded.returncode == 0, loaded.stderr
    for username in MEMBERS:  # the printed demo logins name them
        assert username in loaded.stdout
    for client in serve(demo_env, tmp_path):
        seen_persons: set[str] = set()
        emotional_states: list[str] = []
        for username, organisation in MEMBERS.items():
            login = ask(client, LOGIN, {"username": username, "password": PASSWORD})["login"]
            assert login["errors"] == [] and login["token"].startswith("bfu_")
            mine = ask(client, MINE, token=login["token"])
            assert mine["me"] == {"username": username, "roles": ["MASS_ORGANISATION_MEMBER"]}
            relationships = mine["befriendingRelationships"]
            assert relationships, f"{username} befriends nobody in the demo"
            assert {r["organisation"]["name"] for r in relationships} == {organisation}
            assert all(r["until"] is None for r in relationships)
            flags = mine["befriendingOpenFlags"]
            assert flags, f"{username} has no open flag in the demo"
            assert {f["organisation"]["name"] for f in flags} == {organisation}
            # A flagged person's contacts: the member's own organisation's, with the
            # emotional-state notes (readable by members, every read audited).
            for flag in flags:
                person = ask(client, PERSON, {"id": flag["personId"]}, login["token"])["node"]
                contacts = person["befriending"]["contacts"]
                assert contacts
                assert {c["organisation"]["name"] for c in contacts} == {organisation}
                assert {"note": flag["note"]} in person["befriending"]["openFlags"]
                emotional_states += [c["emotionalState"] for c in contacts if c["emotionalState"]]
            seen_persons |= {r["personId"] for r in relationships}
        assert len(seen_persons) > 3
        assert emotional_states
        # A city administrator reads all three organisations' befriending.
        admin = ask(client, LOGIN, {"username": "admin", "password": PASSWORD})["login"]
        everyone = ask(client, MINE, token=admin["token"])
        flagged = {f["organisation"]["name"] for f in everyone["befriendingOpenFlags"]}
        assert flagged == set(MEMBERS.values())


def test_bangfu_plugins_switches_befriending_off_and_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANGFU_PLUGINS", raising=False)  # every installed plugin
    assert "befriending" in PluginHost(get_plugin_manager()).plugins
    monkeypatch.setenv("BANGFU_PLUGINS", "education,medical")
    assert set(PluginHost(get_plugin_manager()).plugins) == {"education", "medical"}
    monkeypatch.setenv("BANGFU_PLUGINS", "befriending")
    assert set(PluginHost(get_plugin_manager()).plugins) == {"befriending"}


@pytest.mark.anyio
@pytest.mark.parametrize("enabled", ["education", "education,befriending"])
async def test_the_api_has_befriending_only_when_enabled(
    tmp_path: Path, database_url: str | None, enabled: str
) -> None:
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"plugins": enabled}
    ) as h:
        token = await h.actor("wf", roles=[Role.MASS_ORGANISATION_MEMBER])
        answer = await h.gql("{ befriendingRelationships { id } }", token=token)
        if "befriending" in enabled:
            assert answer == {"data": {"befriendingRelationships": []}}
        else:
            (error,) = answer["errors"]
            assert "befriendingRelationships" in error["message"]
