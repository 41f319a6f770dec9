"""``bangfu report roster|assessment``: write an Excel workbook, with a progress bar.

Runs as the system actor (the whole city); the export is audited like a download.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bangfu.core import i18n
from bangfu.core.calendar import today
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.i18n import _
from bangfu.core.plugins import PluginHost
from bangfu.core.reports.export import ExportError, export_assessment, export_roster
from bangfu.core.security import SYSTEM
from bangfu.core.security.crypto import FieldCipher, load_master_key


def add_commands(commands: Any) -> None:
    report = commands.add_parser("report", help="write Excel reports (roster, assessment)")
    reports = report.add_subparsers(dest="report_command", required=True)
    roster = reports.add_parser("roster", help="the hardship roster of a city or county")
    roster.add_argument("--region", required=True, help="region code, e.g. 141023")
    roster.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
    roster.add_argument(
        "--full-id-numbers",
        action="store_true",
        help="write full ID numbers (masked by default); the export is audited either way",
    )
    assessment = reports.add_parser("assessment", help="the annual assessment of an area")
    assessment.add_argument("--year", required=True, type=int)
    assessment.add_argument("--region", required=True, help="region code, e.g. 141000")
    assessment.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")


async def run(args: argparse.Namespace, settings: Settings, host: PluginHost) -> int:
    """The command, workbook and messages in the language of ``BANGFU_LANGUAGE``."""
    with i18n.speaking(settings.language):
        return await _run(args, settings, host)


async def _run(args: argparse.Namespace, settings: Settings, host: PluginHost) -> int:
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    sessions = make_sessionmaker(engine)
    try:
        if args.report_command == "roster":
            persons = _("persons")
            with tqdm(
                unit=f" {persons}",
                desc=_("roster {region}", region=args.region),
                file=sys.stderr,
            ) as bar:

                def total(count: int) -> None:
                    bar.total = count
                    bar.refresh()

                export = await export_roster(
                    sessions,
                    host,
                    settings,
                    FieldCipher(load_master_key(settings)),
                    SYSTEM,
                    args.region,
                    today(),
                    progress=bar.update,
                    total=total,
                    full_id_numbers=args.full_id_numbers,
                )
        else:
            with tqdm(
                total=1,
                desc=_("assessment {year} {region}", year=args.year, region=args.region),
                file=sys.stderr,
            ) as bar:
                export = await export_assessment(
                    sessions, host, settings, SYSTEM, args.year, args.region, today()
                )
                bar.update(1)
    except ExportError as exc:
        print(f"bangfu report: --{exc.field}: {exc.message}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    args.out.write_bytes(export.content)
    if args.report_command == "roster":
        print(_("wrote {file} ({rows} persons)", file=args.out, rows=export.rows))
    else:
        print(_("wrote {file} ({rows} assessed units)", file=args.out, rows=export.rows))
    return 0
