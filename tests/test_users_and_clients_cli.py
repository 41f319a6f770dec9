"""``bangfu user ...``, ``bangfu client ...`` and the administrator created on first start."""

import asyncio
import io
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text, update

from bangfu import accounts_cli
from bangfu.cli import main
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker, utcnow
from bangfu.core.registry.models import Organisation
from bangfu.core.security import SYSTEM
from bangfu.core.security.models import AccessToken, ApiClient, AuditEvent, LoginFailure, User
from bangfu.core.security.passwords import check_policy, verify_password
from bangfu.core.security.tokens import token_digest

PASSWORD = "Tiger-lily-2026"
CREATE = [
    "user",
    "create",
    "wangwei",
    "--organisation",
    "141023-civil-affairs",
    "--region",
    "141023",
    "--role",
    "CIVIL_AFFAIRS_OFFICER",
    "--role",
    "supervisor",
    "--display-name",
    "王伟",
    "--password-stdin",
]


@pytest.fixture
def env(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str | None]]:
    """A migrated, empty database (SQLite file or PostgreSQL schema) in an empty folder."""
    monkeypatch.chdir(tmp_path)
    schema = None
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'bangfu.db'}"
    else:
        schema = f"cli_{uuid.uuid4().hex[:10]}"
        asyncio.run(_execute(database_url, f'CREATE SCHEMA "{schema}"'))
        monkeypatch.setenv("BANGFU_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("BANGFU_DATABASE_URL", database_url)
    for name in ("BANGFU_DEMO", "BANGFU_HOST", "BANGFU_PORT"):
        # `serve` sets these in os.environ: setenv first, so that monkeypatch restores
        # them (delenv of an absent variable records nothing to undo).
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)
    assert main(["db", "upgrade"]) == 0
    yield {"url": database_url, "schema": schema}
    if schema is not None:
        asyncio.run(_execute(database_url, f'DROP SCHEMA "{schema}" CASCADE'))


async def _execute(url: str, sql: str) -> None:
    engine = make_engine(url, pooled=False)
    async with engine.begin() as connection:
        await connection.execute(text(sql))
    await engine.dispose()


def query(statement: Any, *, scalars: bool = True) -> Any:
    """Run one SELECT on the configured database as the system actor."""

    async def go() -> Any:
        settings = Settings()
        engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
        try:
            async with make_sessionmaker(engine)() as session:
                session.info["actor"] = SYSTEM
                if scalars:
                    return list(await session.scalars(statement))
                return await session.scalar(statement)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def run_sql(statement: Any) -> None:
    async def go() -> None:
        settings = Settings()
        engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                session.info["actor"] = SYSTEM
                await session.execute(statement)
        finally:
            await engine.dispose()

    asyncio.run(go())


def the_user(username: str) -> User:
    found = query(select(User).where(User.username == username))
    assert len(found) == 1
    return found[0]  # type: ignore[no-any-return]


def stdin(monkeypatch: pytest.MonkeyPatch, text: str, *, tty: bool = False) -> None:
    stream = io.StringIO(text)
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stdin", stream)


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run a command that must be refused with status 2; its one-line error."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("bangfu: error: argument ") and err.count("\n") == 1
    return err


# --- users --------------------------------------------------------------------------------


def test_user_create_disable_and_reset_password(
    env: dict[str, str | None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stdin(monkeypatch, PASSWORD + "\n")
    assert main(CREATE) == 0
    assert "created user wangwei" in capsys.readouterr().out
    user = the_user("wangwei")
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)
    assert user.roles == ["CIVIL_AFFAIRS_OFFICER", "SUPERVISOR"]
    assert (user.region_code, user.display_name, user.is_active, user.is_demo) == (
        "141023",
        "王伟",
        True,
        False,
    )
    organisation = query(select(Organisation).where(Organisation.id == user.organisation_id))
    assert organisation[0].code == "141023-civil-affairs"

    # Disable: the account's tokens are revoked at once.
    run_sql(
        insert(AccessToken).values(
            digest=token_digest("bfu_x"),
            user_id=user.id,
            created_at=utcnow(),
            last_used_at=utcnow(),
            expires_at=utcnow().replace(year=utcnow().year + 1),
        )
    )
    assert main(["user", "disable", "wangwei"]) == 0
    assert "revoked 1 token" in capsys.readouterr().out
    assert the_user("wangwei").is_active is False
    tokens = query(select(AccessToken).where(AccessToken.user_id == user.id))
    assert [t.revoked_at is not None for t in tokens] == [True]

    # Reset: a new password (policy checked), the lock lifted, failures forgotten.
    run_sql(update(User).values(locked_until=utcnow().replace(year=2100)))
    run_sql(insert(LoginFailure).values(username="wangwei", at=utcnow()))
    stdin(monkeypatch, "short\n")
    assert "argument password: the password must have at least 8" in refused(
        capsys, ["user", "reset-password", "wangwei", "--password-stdin"]
    )
    stdin(monkeypatch, "Second-Secret-99\n")
    assert main(["user", "reset-password", "wangwei", "--password-stdin"]) == 0
    user = the_user("wangwei")
    assert verify_password(user.password_hash, "Second-Secret-99")
    assert user.locked_until is None
    assert query(select(func.count()).select_from(LoginFailure), scalars=False) == 0

    assert "argument USERNAME: no user named 'nobody'" in refused(
        capsys, ["user", "disable", "nobody"]
    )
    operations = [e.operation for e in query(select(AuditEvent).order_by(AuditEvent.id))]
    assert operations == ["cli:user.create", "cli:user.disable", "cli:user.reset-password"]
    for event in query(select(AuditEvent)):
        assert PASSWORD not in str(event.details) and "Second-Secret" not in str(event.details)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({2: "wangwei"}, "argument USERNAME: a user named 'wangwei' exists already"),
        ({4: "no-such-bureau"}, "argument --organisation: unknown organisation 'no-such-bureau'"),
        ({6: "999999"}, "argument --region: unknown region '999999'"),
        ({6: "141024"}, "argument --region: region 141024 lies outside"),
        ({8: "EMPEROR"}, "argument --role: unknown role 'EMPEROR'"),
        ({8: "PARTNER_CLIENT"}, "argument --role: PARTNER_CLIENT is for API clients"),
        ({2: "x"}, "argument USERNAME: a user name has 2 to 64"),
    ],
)
def test_user_create_refusals_name_the_argument(
    env: dict[str, str | None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: dict[int, str],
    expected: str,
) -> None:
    stdin(monkeypatch, PASSWORD + "\n")
    assert main(CREATE) == 0
    capsys.readouterr()
    argv = list(CREATE)
    argv[2] = "lisi"
    for index, value in change.items():
        argv[index] = value
    stdin(monkeypatch, PASSWORD + "\n")
    assert expected in refused(capsys, argv)
    assert query(select(func.count()).select_from(User), scalars=False) == 1


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Ab1-xyz", "at least 8 characters"),
        ("abcdefgh-ijk", "three of"),
        ("12345678!!", "three of"),
        ("Wangwei-2026", "must not contain the user name"),
        ("", "no password on standard input"),
    ],
)
def test_weak_passwords_are_refused(
    env: dict[str, str | None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    password: str,
    why: str,
) -> None:
    stdin(monkeypatch, password + "\n")
    assert why in refused(capsys, CREATE)
    assert query(select(func.count()).select_from(User), scalars=False) == 0


def test_the_password_is_asked_twice_on_a_terminal(
    env: dict[str, str | None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = CREATE[:-1]  # no --password-stdin
    stdin(monkeypatch, "", tty=False)
    assert "argument --password-stdin: standard input is not a terminal" in refused(capsys, argv)

    stdin(monkeypatch, "", tty=True)
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert "argument password: the two passwords differ" in refused(capsys, argv)

    answers = iter(["weakweak"])
    assert "argument password: the password must mix three of" in refused(capsys, argv)

    prompts: list[str] = []

    def ask(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr("getpass.getpass", ask)
    assert main(argv) == 0
    assert len(prompts) == 2 and PASSWORD not in capsys.readouterr().out
    assert verify_password(the_user("wangwei").password_hash, PASSWORD)


# --- API clients --------------------------------------------------------------------------


CLIENT = [
    "client",
    "create",
    "red-cross",
    "--organisation",
    "141000-womens-federation",
    "--region",
    "141023",
    "--plugin",
    "education",
    "--expires-days",
    "90",
]


def test_client_create_list_and_revoke(
    env: dict[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(CLIENT) == 0
    out = capsys.readouterr().out
    tokens = [word for word in out.split() if word.startswith("bfc_")]
    assert len(tokens) == 1
    token = tokens[0]
    (client,) = query(select(ApiClient))
    assert client.digest == token_digest(token)
    assert client.scopes == ["read", "plugin:education"]
    assert client.region_code == "141023"
    # The token itself is stored nowhere.
    for event in query(select(AuditEvent)):
        assert token not in str(event.details)

    assert main(["client", "list"]) == 0
    listing = capsys.readouterr().out
    assert token not in listing and "bfc_" not in listing
    line = next(line for line in listing.splitlines() if line.startswith("red-cross"))
    assert "141000-womens-federation" in line and "141023" in line
    assert "active" in line and "read plugin:education" in line

    assert main(["client", "revoke", "red-cross"]) == 0
    assert "revoked API client red-cross" in capsys.readouterr().out
    assert main(["client", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["client", "revoke", "red-cross"]) == 0
    assert "revoked already" in capsys.readouterr().out
    operations = [e.operation for e in query(select(AuditEvent).order_by(AuditEvent.id))]
    assert operations == ["cli:client.create", "cli:client.revoke"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, "argument NAME: a client named 'red-cross' exists already"),
        ({4: "nobody"}, "argument --organisation: unknown organisation 'nobody'"),
        ({6: "000000"}, "argument --region: unknown region '000000'"),
        ({8: "astrology"}, "argument --plugin: unknown plugin 'astrology'"),
        ({10: "0"}, "argument --expires-days: give between 1 and"),
    ],
)
def test_client_create_refusals_name_the_argument(
    env: dict[str, str | None],
    capsys: pytest.CaptureFixture[str],
    change: dict[int, str],
    expected: str,
) -> None:
    assert main(CLIENT) == 0
    capsys.readouterr()
    argv = list(CLIENT)
    if change:
        argv[2] = "other-partner"
    for index, value in change.items():
        argv[index] = value
    assert expected in refused(capsys, argv)
    assert query(select(func.count()).select_from(ApiClient), scalars=False) == 1


def test_clients_are_read_only(
    env: dict[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    assert "argument --scope: unknown scope 'write'" in refused(
        capsys, [*CLIENT, "--scope", "write"]
    )
    assert "argument NAME: no client named 'nobody'" in refused(
        capsys, ["client", "revoke", "nobody"]
    )


# --- the administrator of the first start -----------------------------------------------


def _serve(monkeypatch: pytest.MonkeyPatch, *argv: str) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    assert main(["serve", *argv]) == 0


def test_serve_creates_an_administrator_once(
    env: dict[str, str | None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _serve(monkeypatch)
    out = capsys.readouterr().out
    assert "First start" in out and "user name: admin" in out
    password = next(
        line.split(":", 1)[1].strip() for line in out.splitlines() if "password:" in line
    )
    check_policy(password, "admin")
    admin = the_user("admin")
    assert admin.roles == ["CITY_ADMINISTRATOR"] and admin.region_code == "141000"
    assert admin.is_active and not admin.is_demo
    assert admin.password_hash.startswith("$argon2id$")
    assert verify_password(admin.password_hash, password)
    organisation = query(select(Organisation).where(Organisation.id == admin.organisation_id))
    assert organisation[0].code == "141000-civil-affairs"
    # Shown once on the console, never logged nor audited.
    assert password not in caplog.text
    assert all(password not in str(e.details) for e in query(select(AuditEvent)))

    _serve(monkeypatch)  # an active user exists now: nothing more
    assert "First start" not in capsys.readouterr().out
    assert query(select(func.count()).select_from(User), scalars=False) == 1


def test_no_administrator_is_made_when_a_user_exists_or_in_demo_mode(
    env: dict[str, str | None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def no_demo_data(*args: Any, **kwargs: Any) -> bool:
        return False

    monkeypatch.setattr("bangfu.cli.load_demo", no_demo_data)
    _serve(monkeypatch, "--demo")
    out = capsys.readouterr().out
    assert "Demo logins" in out and "First start" not in out
    assert query(select(func.count()).select_from(User), scalars=False) == 0

    stdin(monkeypatch, PASSWORD + "\n")
    assert main(CREATE) == 0
    assert accounts_cli.first_start_admin(Settings()) is None
    assert query(select(User.username)) == ["wangwei"]


def test_demo_accounts_do_not_count_as_active_users(
    env: dict[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    from bangfu.demo import create_demo_users

    async def demo_users() -> None:
        settings = Settings()
        engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                session.info["actor"] = SYSTEM
                await create_demo_users(session)
        finally:
            await engine.dispose()

    asyncio.run(demo_users())
    password = accounts_cli.first_start_admin(Settings())
    assert password is not None and password in capsys.readouterr().out
    admin = the_user("admin")  # the demo admin, taken over
    assert not admin.is_demo and admin.is_active and verify_password(admin.password_hash, password)
    assert query(select(func.count()).select_from(User), scalars=False) == 11
