"""The ``bangfu`` command: serve, migrate, load demo data, import rosters, list plugins, print
the schema."""

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from bangfu import (
    accounts_cli,
    bottomline_cli,
    check_cli,
    documents_cli,
    explain_cli,
    jobs_cli,
    notification_cli,
    organisations_cli,
    report_cli,
    roster_cli,
    webhook_cli,
)
from bangfu.core import i18n
from bangfu.core.calendar import Holiday
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.hookspecs import HOOK_CONTRACT
from bangfu.core.i18n import _
from bangfu.core.plugins import (
    PluginError,
    PluginHost,
    builtin_plugin_names,
    get_plugin_manager,
    installed_plugin_names,
)
from bangfu.core.security import SYSTEM


def main(argv: Sequence[str] | None = None) -> int:
    with i18n.speaking(command_language()):
        return _main(argv)


def command_language() -> str:
    """The language of the commands' messages: ``BANGFU_LANGUAGE`` (``Settings.language``,
    Chinese unless set). Invalid settings do not stop it: the command then says what is wrong
    with them, in the language the variable names if it names one Bangfu speaks."""
    try:
        return Settings().language
    except Exception:
        return i18n.normalise(os.environ.get("BANGFU_LANGUAGE")) or i18n.DEFAULT_LANGUAGE


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bangfu", description=_("Bangfu (帮扶): registry and GraphQL API for hardship groups.")
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help=_("migrate (SQLite) and run the service"))
    serve.add_argument(
        "--demo", action="store_true", help=_("load Linfen demo data and demo users")
    )
    serve.add_argument("--host", help=_("bind address (default BANGFU_HOST or 127.0.0.1)"))
    serve.add_argument("--port", type=int, help=_("port (default BANGFU_PORT or 8000)"))
    serve.add_argument("--workers", type=int, default=1, help=_("server processes"))
    serve.add_argument(
        "--worker",
        action="store_true",
        help=_("also run the job worker (bangfu worker) in a child process"),
    )

    db = commands.add_parser("db", help=_("database commands"))
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help=_("apply every migration (core and plugins)"))
    db_backup = db_commands.add_parser(
        "backup", help=_("write every row to a file (gzip JSON lines)")
    )
    db_restore = db_commands.add_parser(
        "restore", help=_("load a backup into an empty database at the same migrations")
    )
    for command in (db_backup, db_restore):
        command.add_argument("file", type=Path)
        command.add_argument(
            "--debug",
            action="store_true",
            help=_("on failure, also print where it happened (a stack without any values)"),
        )

    demo = commands.add_parser("demo", help=_("load Linfen demo data and demo users"))
    demo.add_argument("--households", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=2026)

    commands.add_parser("plugins", help=_("list the loaded plugins"))
    explain_cli.add_parser(commands)
    schema_command = commands.add_parser("schema", help=_("print the GraphQL schema (SDL)"))
    schema_command.add_argument(
        "--builtin",
        action="store_true",
        help=_("core and the built-in plugins only (how the committed schema.graphql is printed)"),
    )
    plugin = commands.add_parser("plugin", help=_("plugin author commands"))
    plugin_commands = plugin.add_subparsers(dest="plugin_command", required=True)
    plugin_new = plugin_commands.add_parser(
        "new", help=_("write a new pip-installable plugin package bangfu-NAME")
    )
    plugin_new.add_argument("name", help=_("the plugin's name: lower-case letters and digits"))
    plugin_new.add_argument(
        "--directory", type=Path, default=Path("."), help=_("where to write it (default: here)")
    )
    accounts_cli.add_commands(commands)  # bangfu user ..., bangfu client ...
    organisations_cli.add_commands(commands)  # bangfu organisation add|list
    documents_cli.add_commands(commands)  # bangfu documents add|list|remove
    webhook_cli.add_commands(commands)  # bangfu webhook add|list|remove
    notification_cli.add_commands(commands)  # bangfu notification log
    roster_cli.add_commands(commands)  # bangfu import roster|template
    care = commands.add_parser("care", help=_("care work commands"))
    care_commands = care.add_subparsers(dest="care_command", required=True)
    care_holidays = care_commands.add_parser(
        "holidays", help=_("raise a major holiday's care events for every paired person, once")
    )
    care_holidays.add_argument("--holiday", required=True, choices=[h.slug for h in Holiday])
    care_holidays.add_argument("--year", required=True, type=int)
    report_cli.add_commands(commands)  # bangfu report roster|assessment
    jobs_cli.add_commands(commands)  # bangfu worker, bangfu jobs runs|list|enqueue
    bottomline_cli.add_commands(commands)  # bangfu bottomline rebuild|check|refresh
    check_cli.add_commands(commands)  # bangfu check categories
    audit = commands.add_parser("audit", help=_("audit trail commands"))
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser("verify", help=_("check the hash chain of the audit trail"))

    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return serve_command(args)
        if args.command == "db":
            return db_command(args)
        if args.command == "demo":
            settings = Settings()
            host = load_host()
            asyncio.run(upgrade(settings, host))
            asyncio.run(load_demo(settings, host, args.households, args.seed))
            print_demo_logins(host)
            return 0
        if args.command == "plugins":
            return plugins_command()
        if args.command == "plugin":
            return plugin_new_command(args.name, args.directory)
        if args.command in ("user", "client"):
            return accounts_cli.run(args)
        if args.command == "organisation":
            return organisations_cli.run(args)
        if args.command == "documents":
            return documents_cli.run(args)
        if args.command == "webhook":
            return webhook_cli.run(args)
        if args.command == "notification":
            return notification_cli.run(args)
        if args.command == "import":
            return roster_cli.run(args)
        if args.command == "care":
            from bangfu.core.care.commands import holidays_command

            return asyncio.run(
                holidays_command(Settings(), Holiday.from_slug(args.holiday), args.year)
            )
        if args.command in ("worker", "jobs"):
            return jobs_cli.run(args, Settings())
        if args.command == "bottomline":
            return asyncio.run(bottomline_cli.run(args, Settings(), load_host()))
        if args.command == "check":
            return asyncio.run(check_cli.run(args, Settings()))
        if args.command == "explain":
            return explain_cli.run(args, Settings(), load_host())
        if args.command == "report":
            return asyncio.run(report_cli.run(args, Settings(), load_host()))
        if args.command == "audit":
            from bangfu.core.security.audit import verify_command

            return asyncio.run(verify_command(Settings()))
        if args.command == "schema":
            from bangfu.schema.build import build_schema

            host = (
                PluginHost(get_plugin_manager(entry_points=builtin_plugin_names()))
                if args.builtin
                else load_host()
            )
            print(build_schema(host).as_str())
            return 0
    except PluginError as exc:
        print(_("bangfu: plugin error: {error}", error=exc), file=sys.stderr)
        return 2
    parser.error(_("unknown command"))
    return 2


def db_command(args: argparse.Namespace) -> int:
    from bangfu.core import backup, migrate

    settings, host = Settings(), load_host()
    if args.db_command == "upgrade":
        asyncio.run(upgrade(settings, host))
        print(_("database is at the latest migration"))
        return 0

    async def run() -> dict[str, int]:
        revisions = await asyncio.to_thread(
            migrate.current,
            settings.database_url,
            host.migration_dirs(),
            schema=settings.database_schema,
        )
        # The rows are personal data: no error may quote them (see print_failure).
        engine = make_engine(
            settings.database_url,
            schema=settings.database_schema,
            pooled=False,
            hide_parameters=True,
        )
        try:
            if args.db_command == "backup":
                return await backup.backup(engine, args.file, revisions, host)
            return await backup.restore(engine, args.file, revisions, host)
        finally:
            await engine.dispose()

    command = f"bangfu db {args.db_command}"
    try:
        counts = asyncio.run(run())
    except backup.RestoreError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        if exc.__cause__ is not None:  # a failure, not a refusal: say where on request
            print_failure(exc, args.debug)
        return 1
    except Exception as exc:  # one line, never a traceback that could quote a row
        reason = str(exc) if isinstance(exc, OSError) else type(exc).__name__
        if args.db_command == "restore":
            failed = _(
                "{command}: failed ({reason}); nothing was restored", command=command, reason=reason
            )
        else:
            failed = _(
                "{command}: failed ({reason}); no file written", command=command, reason=reason
            )
        print(failed, file=sys.stderr)
        print_failure(exc, args.debug)
        return 1
    rows, tables = sum(counts.values()), len(counts)
    if args.db_command == "backup":
        done = _(
            "wrote {rows} rows of {tables} tables ({file})",
            rows=rows,
            tables=tables,
            file=args.file,
        )
    else:
        done = _(
            "restored {rows} rows of {tables} tables ({file})",
            rows=rows,
            tables=tables,
            file=args.file,
        )
    print(done)
    return 0


def print_failure(exc: BaseException, debug: bool) -> None:
    """With ``--debug``, where ``exc`` and its causes were raised, without their messages:
    a message may quote a row (a database's DETAIL line, a value that did not parse). The
    engine hides statement parameters; the statement's text is shown."""
    if not debug:
        print(_("(--debug shows where it failed)"), file=sys.stderr)
        return
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    for link in reversed(chain):
        print("Traceback (most recent call last):", file=sys.stderr)
        print("".join(traceback.format_tb(link.__traceback__)), end="", file=sys.stderr)
        statement = getattr(link, "statement", None)
        detail = f" in: {statement}" if isinstance(statement, str) else ""
        print(f"{type(link).__module__}.{type(link).__qualname__}{detail}", file=sys.stderr)


def load_host() -> PluginHost:
    return PluginHost(get_plugin_manager())


async def upgrade(settings: Settings, host: PluginHost) -> None:
    """Apply core and plugin migrations, then make sure the reference data is there."""
    from bangfu.core import migrate
    from bangfu.core.registry.reference import ensure_reference_data

    await asyncio.to_thread(
        migrate.upgrade,
        settings.database_url,
        host.migration_dirs(),
        schema=settings.database_schema,
    )
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    try:
        async with make_sessionmaker(engine)() as session:
            session.info["actor"] = SYSTEM
            async with session.begin():
                await ensure_reference_data(session)
    finally:
        await engine.dispose()


async def load_demo(settings: Settings, host: PluginHost, households: int, seed: int) -> bool:
    """Load demo data unless it is there already; demo users are (re)created either way."""
    from sqlalchemy import select

    from bangfu.core.bottomline import stored
    from bangfu.core.registry.models import Household
    from bangfu.core.security.crypto import FieldCipher, load_master_key
    from bangfu.demo import create_demo_users
    from bangfu.demo import load_demo as load

    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    # Every person the demo writes is judged in its commit (bangfu.core.bottomline.stored).
    keep = stored.attach(engine, host, settings)
    try:
        async with make_sessionmaker(engine)() as session:
            session.info["actor"] = SYSTEM
            async with session.begin():
                await create_demo_users(session, host)
                if await session.scalar(select(Household.id).limit(1)) is not None:
                    print(_("demo data: the database has households already; not loading again"))
                    return False
                print(
                    _(
                        "demo data: loading {households} Linfen households ...",
                        households=households,
                    ),
                    flush=True,
                )
                summary = await load(
                    session,
                    FieldCipher(load_master_key(settings)),
                    host,
                    households=households,
                    seed=seed,
                )
                print(
                    _(
                        "demo data: {households} households, {persons} persons, {categories} "
                        "category assignments",
                        households=summary.households,
                        persons=summary.persons,
                        categories=summary.categories,
                    )
                )
                if keep:  # everyone is judged in this commit, with today's rules
                    await stored.record_versions(session, host.rules_versions())
                return True
    finally:
        await engine.dispose()


def print_demo_logins(host: PluginHost) -> None:
    from bangfu.demo import DEMO_PASSWORD, all_demo_users

    print()
    print(_("Demo logins (password for all: {password}):", password=DEMO_PASSWORD))
    users = all_demo_users(host)
    width = max(12, *(len(user.username) for _owner, user in users))
    for _owner, user in users:
        roles = ", ".join(user.roles)
        where = user.region_code or user.organisation_code
        print(f"  {user.username:<{width}} {roles:<28} {where}  {user.display_name}")


def serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    if args.host:
        os.environ["BANGFU_HOST"] = args.host
    if args.port:
        os.environ["BANGFU_PORT"] = str(args.port)
    if args.demo:
        os.environ["BANGFU_DEMO"] = "true"
    settings = Settings()
    host = load_host()
    if settings.is_sqlite:
        asyncio.run(upgrade(settings, host))
    if settings.demo:
        asyncio.run(load_demo(settings, host, households=3000, seed=2026))
        print_demo_logins(host)
    else:
        accounts_cli.first_start_admin(settings)  # no active user: create admin, print once
    from bangfu.core.security.crypto import load_master_key

    load_master_key(settings)  # create the key file once, before any worker starts
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    address = f"http://{settings.host}:{settings.port}/graphql"
    if settings.is_development:
        where = _("GraphiQL: {address}", address=address)
    else:
        where = _("GraphQL endpoint: {address}", address=address)
    print(f"\n{where}\n", flush=True)
    worker = start_worker() if args.worker else None
    try:
        uvicorn.run(
            "bangfu.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            log_level="info",
        )
    finally:
        if worker is not None:
            stop_worker(worker)
    return 0


def start_worker() -> "subprocess.Popen[bytes]":
    """``bangfu worker`` in a child process, with this process's settings (the database is
    migrated already)."""
    print(_("starting the job worker (bangfu worker) in a child process"), flush=True)
    return subprocess.Popen([sys.executable, "-m", "bangfu.cli", "worker"])


def stop_worker(worker: "subprocess.Popen[bytes]") -> None:
    """Let the worker finish its running jobs (SIGTERM), and stop it if it takes long."""
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def plugin_new_command(name: str, directory: Path) -> int:
    from bangfu.plugin_new import PluginNameError, new_plugin

    try:
        target = new_plugin(name, directory)
    except (PluginNameError, FileExistsError) as exc:
        print(f"bangfu: {exc}", file=sys.stderr)
        return 2
    print(_("wrote {target}", target=target))
    print(_("next: pip install -e {target} && cd {target} && python -m pytest", target=target))
    return 0


def plugins_command() -> int:
    host = load_host()
    print(_("hook contract {contract}", contract=HOOK_CONTRACT))
    for info in host.plugins.values():
        actions = sorted(a for a in host.actions if a.startswith(f"{info.name}:"))
        print(f"{info.name:<12} {info.version:<8} {info.title}")
        owners = ", ".join(info.owners) or "-"
        listed = ", ".join(actions)
        print(" " * 12, _("owners: {owners}; actions: {actions}", owners=owners, actions=listed))
        print(" " * 12, _("supports contract {contract}", contract=info.contract))
    disabled = sorted(set(installed_plugin_names()) - set(host.plugins))
    if disabled:
        print(
            _(
                "installed but not enabled (BANGFU_PLUGINS): {names}",
                names=", ".join(disabled),
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
