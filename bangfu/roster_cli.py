"""``bangfu import roster FILE`` and ``bangfu import template [FILE]``."""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bangfu.core import i18n
from bangfu.core.bottomline import stored as stored_bottom_line
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.i18n import _
from bangfu.core.plugins import PluginHost, get_plugin_manager
from bangfu.core.registry.models import Region
from bangfu.core.roster.importer import RosterImport
from bangfu.core.roster.limits import RosterLimits
from bangfu.core.roster.report import Report
from bangfu.core.roster.workbook import annotated_copy, template
from bangfu.core.security import SYSTEM, audit, scoping
from bangfu.core.security.crypto import FieldCipher, load_master_key


def add_commands(commands: Any) -> None:
    parser = commands.add_parser("import", help="import rosters from Excel or CSV")
    imports = parser.add_subparsers(dest="import_command", required=True)
    roster = imports.add_parser(
        "roster", help="import households, members, categories and plugin columns"
    )
    roster.add_argument("file", type=Path, help="an .xlsx workbook or a .csv file")
    roster.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    roster.add_argument(
        "--area", metavar="REGION_CODE", help="refuse rows outside this region (default: none)"
    )
    roster.add_argument(
        "--report", type=Path, metavar="OUT.xlsx", help="write the annotated copy of the file"
    )
    roster.add_argument("--json", action="store_true", help="print the report as JSON")
    template_parser = imports.add_parser("template", help="write the roster template workbook")
    template_parser.add_argument("file", type=Path, nargs="?", default=Path("roster-template.xlsx"))


class _Bar:
    """The import's progress on a tqdm bar (stderr), one bar per phase."""

    def __init__(self) -> None:
        self.bar: tqdm[Any] | None = None

    def start(self, phase: str, total: int | None) -> None:
        self.close()
        # A phase of unknown length shows its name only, never "0 rows".
        shape = {} if total else {"bar_format": "{desc} ..."}
        self.bar = tqdm(
            total=total, desc=phase, unit=" rows", file=sys.stderr, leave=False, **shape
        )

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(args: argparse.Namespace) -> int:
    """The command, in the language of ``BANGFU_LANGUAGE`` (Chinese unless it says en)."""
    settings = Settings()
    with i18n.speaking(settings.language):
        return _run(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    host = PluginHost(get_plugin_manager())
    if args.import_command == "template":
        template(host.roster_columns, args.file)
        print(_("wrote the roster template to {file}", file=args.file))
        return 0
    if not args.file.is_file():
        print(_("bangfu import roster: there is no file {file}", file=args.file), file=sys.stderr)
        return 2
    report = asyncio.run(_import(settings, host, args))
    if report is None:
        return 2
    if args.report and report.headers is not None:
        annotated_copy(args.file, report, args.report, RosterLimits.of(settings))
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            print(report.describe(problem))
        print(report.summary())
        if args.report and report.headers is not None:
            print(_("the annotated copy, each problem marked: {file}", file=args.report))
    return 0 if report.ok else 3 if report.retry else 1


async def _import(settings: Settings, host: PluginHost, args: argparse.Namespace) -> Report | None:
    scoping.install()
    audit.install()
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    stored_bottom_line.attach(engine, host, settings)  # the import's verdicts, in its commit
    try:
        sessions = make_sessionmaker(engine)
        area_path = None
        if args.area:
            async with sessions() as session:
                session.info["actor"] = SYSTEM
                region = await session.get(Region, args.area)
            if region is None:
                print(
                    _(
                        "bangfu import roster: --area {code} is not a registered region code",
                        code=args.area,
                    ),
                    file=sys.stderr,
                )
                return None
            area_path = region.path
        bar = _Bar()
        job = RosterImport(
            sessions,
            SYSTEM,
            FieldCipher(load_master_key(settings)),
            host.roster_columns,
            lambda action: True,
            area_path=area_path,
            progress=bar,
            limits=RosterLimits.of(settings),
        )
        try:
            return await job.run(args.file, dry_run=args.dry_run)
        finally:
            bar.close()
    finally:
        await engine.dispose()
