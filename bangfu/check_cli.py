"""``bangfu check categories [--region CODE]``: the current category assignments that
today's rules would refuse (``bangfu.core.registry.category_check``). Runs as the system
actor in a transaction it rolls back: it changes nothing. Exit status 0 when there are
none, 1 when there are some, 2 on bad arguments."""

import argparse
import sys
from typing import Any

from bangfu.core.calendar import today
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.i18n import _
from bangfu.core.registry import category_check
from bangfu.core.security import SYSTEM


def add_commands(commands: Any) -> None:
    check = commands.add_parser("check", help=_("consistency reports; they change nothing"))
    reports = check.add_subparsers(dest="check_command", required=True)
    categories = reports.add_parser(
        "categories",
        help=_(
            "list the current category assignments that today's rules would refuse; exit "
            "status 1 when there are some"
        ),
    )
    categories.add_argument("--region", help=_("region code, e.g. 141023 (default: everyone)"))


async def run(args: argparse.Namespace, settings: Settings) -> int:
    command = f"bangfu check {args.check_command}"
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            session.info["actor"] = SYSTEM
            try:
                path = None
                if args.region:
                    try:
                        path = await category_check.region_path(session, args.region)
                    except LookupError as exc:
                        print(
                            _("{command}: --region: {error}", command=command, error=exc),
                            file=sys.stderr,
                        )
                        return 2
                found = await category_check.findings(session, path, today())
            finally:
                await session.rollback()
        for finding in found:
            print(finding)
        if found:
            print(
                _(
                    "{command}: {count} current assignments that today's rules would refuse",
                    command=command,
                    count=len(found),
                ),
                file=sys.stderr,
            )
            return 1
        print(_("every current category assignment passes today's rules"))
        return 0
    finally:
        await engine.dispose()
