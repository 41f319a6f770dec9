"""``bangfu user ...`` and ``bangfu client ...``, and the administrator of the first start.

Passwords are never arguments: they are asked twice (``getpass``) on a terminal, or read
as one line from standard input with ``--password-stdin``. A refusal (unknown
organisation, region or role, a duplicate name, a weak password) prints one line naming
the argument at fault and exits with status 2. Every change leaves an audit row.
"""

import argparse
import asyncio
import contextlib
import getpass
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.errors import DomainError
from bangfu.core.i18n import _
from bangfu.core.security import SYSTEM, audit, clients, users
from bangfu.core.security.passwords import PasswordPolicyError, check_policy
from bangfu.core.security.users import USER_ROLES
from bangfu.schema.relay import to_global_id

T = TypeVar("T")

# Which command-line argument each DomainError field stands for.
_USER_ARGUMENTS = {
    "username": "USERNAME",
    "organisation": "--organisation",
    "region": "--region",
    "role": "--role",
    "password": "password",
}
_CLIENT_ARGUMENTS = {
    "name": "NAME",
    "organisation": "--organisation",
    "region": "--region",
    "scope": "--scope",
    "plugin": "--plugin",
    "expires_days": "--expires-days",
}


class UsageError(Exception):
    """A refused command: the argument at fault and why."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(_("argument {argument}: {message}", argument=argument, message=message))


def add_commands(commands: Any) -> None:
    """Add ``user`` and ``client`` to the ``bangfu`` command's sub-commands."""
    user = commands.add_parser("user", help=_("user accounts"))
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create = user_commands.add_parser(
        "create", help=_("create a user (the password is asked for, or read from stdin)")
    )
    create.add_argument("username", metavar="USERNAME")
    create.add_argument("--organisation", required=True, metavar="CODE")
    create.add_argument("--region", required=True, metavar="CODE")
    create.add_argument(
        "--role",
        action="append",
        required=True,
        metavar="ROLE",
        help=_("repeat for several roles: {roles}", roles=", ".join(USER_ROLES)),
    )
    create.add_argument("--display-name")
    _password_argument(create)
    disable = user_commands.add_parser(
        "disable", help=_("disable an account and revoke its tokens at once")
    )
    disable.add_argument("username", metavar="USERNAME")
    reset = user_commands.add_parser(
        "reset-password", help=_("set a new password, lift a lock, revoke the old tokens")
    )
    reset.add_argument("username", metavar="USERNAME")
    _password_argument(reset)

    client = commands.add_parser("client", help=_("API clients of partner organisations"))
    client_commands = client.add_subparsers(dest="client_command", required=True)
    create = client_commands.add_parser(
        "create", help=_("create a read-only API client and print its token once")
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--organisation", required=True, metavar="CODE")
    create.add_argument("--region", required=True, metavar="CODE", help=_("the area it reads"))
    create.add_argument(
        "--scope", action="append", metavar="SCOPE", help=_("'read' (the default and only one)")
    )
    create.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="NAME",
        help=_("a plugin whose fields it may read (repeatable)"),
    )
    create.add_argument(
        "--expires-days", type=int, default=clients.DEFAULT_EXPIRY_DAYS, metavar="DAYS"
    )
    client_commands.add_parser("list", help=_("list API clients (never their tokens)"))
    revoke = client_commands.add_parser("revoke", help=_("revoke a client's token"))
    revoke.add_argument("name", metavar="NAME")


def _password_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help=_("read the password as one line from standard input instead of asking"),
    )


def run(args: argparse.Namespace) -> int:
    """Run a ``user`` or ``client`` command; 2 (and one line on stderr) when refused."""
    settings = Settings()
    if args.command == "user":
        return refusing(lambda: _user_command(settings, args), _USER_ARGUMENTS)
    return refusing(lambda: _client_command(settings, args), _CLIENT_ARGUMENTS)


def refusing(
    command: Callable[[], int], arguments: Mapping[str, str], *, every_reason: bool = False
) -> int:
    """Run ``command``, the ``bangfu`` commands' one way of refusing: a :class:`UsageError`,
    or a :class:`DomainError` whose fields ``arguments`` names as the command-line arguments
    they stand for, prints ``bangfu: error: argument ...: why`` on stderr (the first reason;
    with ``every_reason`` a line for each) and is exit status 2."""
    try:
        return command()
    except UsageError as exc:
        refusals = [exc]
    except DomainError as exc:
        errors = exc.errors if every_reason else exc.errors[:1]
        refusals = [_refused(DomainError(error), arguments) for error in errors]
    for refusal in refusals:
        print(_("bangfu: error: {error}", error=refusal), file=sys.stderr)
    return 2


def _refused(exc: DomainError, arguments: Mapping[str, str]) -> UsageError:
    error = exc.errors[0]
    return UsageError(arguments.get(error.field or "", error.field or "input"), error.message)


def _database(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction as the system actor."""

    async def go() -> T:
        engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
        try:
            async with _system_session(make_sessionmaker(engine)) as session:
                async with session.begin():
                    return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


@contextlib.asynccontextmanager
async def _system_session(sessions: Any) -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        session.info["actor"] = SYSTEM
        yield session


def read_password(args: argparse.Namespace, username: str) -> str:
    """The new password: one line of stdin (``--password-stdin``), or asked twice."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin", _("no password on standard input"))
        return password
    if not sys.stdin.isatty():
        raise UsageError(
            "--password-stdin",
            _("standard input is not a terminal: give the password on stdin with --password-stdin"),
        )
    password = getpass.getpass(_("New password for {username}: ", username=username))
    try:
        check_policy(password, username)
    except PasswordPolicyError as exc:
        raise UsageError("password", str(exc)) from None
    if getpass.getpass(_("Repeat the password: ")) != password:
        raise UsageError("password", _("the two passwords differ"))
    return password


def _user_command(settings: Settings, args: argparse.Namespace) -> int:
    username: str = args.username
    try:
        if args.user_command == "create":

            async def check(session: AsyncSession) -> None:
                await users.check_new_user(
                    session,
                    username,
                    organisation_code=args.organisation,
                    region_code=args.region,
                    roles=args.role,
                )

            _database(settings, check)  # refuse before asking for a password
            password = read_password(args, username)

            async def create(session: AsyncSession) -> str:
                user = await users.create_user(
                    session,
                    username,
                    password,
                    organisation_code=args.organisation,
                    region_code=args.region,
                    roles=args.role,
                    display_name=args.display_name,
                )
                await audit.record(
                    session,
                    SYSTEM,
                    "cli:user.create",
                    audit.Outcome.OK,
                    targets=[to_global_id("User", user.id)],
                    details={
                        "username": username,
                        "organisation": args.organisation,
                        "region": user.region_code,
                        "roles": list(user.roles),
                    },
                )
                return ", ".join(user.roles)

            roles = _database(settings, create)
            print(
                _(
                    "created user {username} ({roles}) in region {region}",
                    username=username,
                    roles=roles,
                    region=args.region,
                )
            )
            return 0
        if args.user_command == "disable":

            async def disable(session: AsyncSession) -> int:
                revoked = await users.disable_user(session, username)
                user = await users.get_user(session, username)
                await audit.record(
                    session,
                    SYSTEM,
                    "cli:user.disable",
                    audit.Outcome.OK,
                    targets=[to_global_id("User", user.id)],
                    details={"username": username, "revoked_tokens": revoked},
                )
                return revoked

            revoked = _database(settings, disable)
            print(
                _(
                    "disabled user {username}; revoked {revoked} token(s)",
                    username=username,
                    revoked=revoked,
                )
            )
            return 0
        # reset-password

        async def exists(session: AsyncSession) -> None:
            await users.get_user(session, username)

        _database(settings, exists)
        password = read_password(args, username)

        async def reset(session: AsyncSession) -> None:
            user = await users.reset_password(session, username, password)
            await audit.record(
                session,
                SYSTEM,
                "cli:user.reset-password",
                audit.Outcome.OK,
                targets=[to_global_id("User", user.id)],
                details={"username": username},
            )

        _database(settings, reset)
        print(
            _("new password set for {username}; lock lifted, old tokens revoked", username=username)
        )
        return 0
    except DomainError as exc:
        raise _refused(exc, _USER_ARGUMENTS) from None


def _client_command(settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.client_command == "create":
            from bangfu.cli import load_host

            known_plugins = set(load_host().plugins)

            async def create(session: AsyncSession) -> tuple[str, list[str]]:
                token, client = await clients.create_client(
                    session,
                    args.name,
                    organisation_code=args.organisation,
                    region_code=args.region,
                    scopes=args.scope or [clients.READ_SCOPE],
                    plugins=args.plugin,
                    known_plugins=known_plugins,
                    expires_days=args.expires_days,
                )
                await audit.record(
                    session,
                    SYSTEM,
                    "cli:client.create",
                    audit.Outcome.OK,
                    targets=[to_global_id("ApiClient", client.id)],
                    details={
                        "name": client.name,
                        "organisation": args.organisation,
                        "region": client.region_code,
                        "scopes": list(client.scopes),
                        "expires_at": client.expires_at.isoformat(),
                    },
                )
                return token, list(client.scopes)

            token, scopes = _database(settings, create)
            print(
                _(
                    "created API client {name} (scopes: {scopes})",
                    name=args.name,
                    scopes=" ".join(scopes),
                )
            )
            print(
                _("Its token is shown only this once; give it to the partner over a safe channel:")
            )
            print(f"  {token}")
            return 0
        if args.client_command == "list":
            summaries = _database(settings, clients.list_clients)
            print(
                f"{'NAME':<24} {'ORGANISATION':<28} {'REGION':<12} {'EXPIRES':<10} "
                f"{'STATUS':<8} SCOPES"
            )
            for c in summaries:
                print(
                    f"{c.name:<24} {c.organisation:<28} {c.region:<12} "
                    f"{c.expires_at.date().isoformat():<10} {c.status:<8} {' '.join(c.scopes)}"
                )
            return 0
        # revoke

        async def revoke(session: AsyncSession) -> bool:
            revoked = await clients.revoke_client(session, args.name)
            if revoked:
                await audit.record(
                    session,
                    SYSTEM,
                    "cli:client.revoke",
                    audit.Outcome.OK,
                    details={"name": args.name},
                )
            return revoked

        if _database(settings, revoke):
            print(_("revoked API client {name}", name=args.name))
        else:
            print(_("API client {name} was revoked already", name=args.name))
        return 0
    except DomainError as exc:
        raise _refused(exc, _CLIENT_ARGUMENTS) from None


def first_start_admin(settings: Settings) -> str | None:
    """On a start outside demo mode with no active user: create ``admin``, print its password.

    The password goes to standard output once, and nowhere else (no log).
    Returns the password (for tests), or None when nothing was done.
    """

    async def ensure(session: AsyncSession) -> tuple[str, str] | None:
        created = await users.ensure_first_admin(session)
        if created is not None:
            await audit.record(
                session,
                SYSTEM,
                "first-start:admin",
                audit.Outcome.OK,
                details={"username": created[0]},
            )
        return created

    try:
        created = _database(settings, ensure)
    except DBAPIError as exc:
        print(
            _(
                "bangfu: warning: could not check for an administrator account ({error}); "
                "has `bangfu db upgrade` been run?",
                error=type(exc.orig).__name__,
            ),
            file=sys.stderr,
        )
        return None
    if created is None:
        return None
    username, password = created
    print(
        _(
            "\nFirst start: no active user, so an administrator account was created.\n"
            "  user name: {username}\n"
            "  password:  {password}\n"
            "The password is shown only this once. Log in and keep it safe, or set another with\n"
            "`bangfu user reset-password {username}`.\n",
            username=username,
            password=password,
        ),
        flush=True,
    )
    return password
