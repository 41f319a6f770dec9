"""``bangfu bottomline rebuild|check|refresh``: the stored bottom line, judged again or
checked (``bangfu.core.bottomline.stored``). Runs as the system actor."""

import argparse
import sys
from typing import Any

from tqdm import tqdm

from bangfu.core.bottomline import stored, tally
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.i18n import _
from bangfu.core.plugins import PluginHost
from bangfu.core.security import SYSTEM

#: Differences ``check`` prints before it only counts them.
SHOWN = 50


def add_commands(commands: Any) -> None:
    bottomline = commands.add_parser(
        "bottomline", help=_("the stored bottom-line verdicts: rebuild, check, refresh")
    )
    actions = bottomline.add_subparsers(dest="bottomline_command", required=True)
    rebuild = actions.add_parser("rebuild", help=_("judge every person of an area again"))
    rebuild.add_argument("--region", help=_("region code, e.g. 141023 (default: everyone)"))
    check = actions.add_parser(
        "check",
        help=_("judge afresh and compare with what is stored; exit status 1 on any difference"),
    )
    check.add_argument("--sample", type=int, help=_("judge only this many persons, at random"))
    check.add_argument("--region", help=_("region code, e.g. 141023 (default: everyone)"))
    actions.add_parser(
        "refresh",
        help=_(
            "judge again the persons whose verdict is due, and everything a changed module's "
            "rules decided"
        ),
    )


async def run(args: argparse.Namespace, settings: Settings, host: PluginHost) -> int:
    command = f"bangfu bottomline {args.bottomline_command}"
    if not settings.stored_bottom_line:
        print(
            _("{command}: BANGFU_STORED_BOTTOM_LINE is off: nothing is stored", command=command),
            file=sys.stderr,
        )
        return 2
    if args.bottomline_command == "check" and args.sample is not None and args.sample < 1:
        print(_("{command}: --sample must be at least 1", command=command), file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    sessions = make_sessionmaker(engine)
    try:
        path = None
        if getattr(args, "region", None):
            async with sessions() as session:
                session.info["actor"] = SYSTEM
                try:
                    path = await stored.region_path(session, args.region)
                except LookupError as exc:
                    print(
                        _("{command}: --region: {error}", command=command, error=exc),
                        file=sys.stderr,
                    )
                    return 2
        if args.bottomline_command == "rebuild":
            total = await stored.count_persons(sessions, path)
            with _bar(total, f"rebuild {args.region or 'all'}") as bar:
                judged = await stored.rebuild(sessions, host, settings, path, progress=bar.update)
            print(_("judged {judged} persons again", judged=judged))
            return 0
        if args.bottomline_command == "check":
            found: list[Any] = list(
                await stored.check(sessions, host, settings, path, sample=args.sample)
            )
            async with sessions() as session:
                session.info["actor"] = SYSTEM
                found += await tally.differences(session, path)
            for difference in found[:SHOWN]:
                print(difference)
            if len(found) > SHOWN:
                print(_("... and {count} more", count=len(found) - SHOWN))
            if found:
                print(
                    _("{command}: {count} differences", command=command, count=len(found)),
                    file=sys.stderr,
                )
                return 1
            print(_("the stored verdicts equal a fresh judgement; the tally equals their counts"))
            return 0
        with _bar(None, "refresh") as bar:
            done = await stored.refresh(sessions, host, settings, progress=bar.update)
        if done.rebuilt_for:
            print(_("rules changed for {rules}", rules=", ".join(done.rebuilt_for)))
        print(
            _(
                "judged {judged} persons again ({due} due by the calendar)",
                judged=done.judged,
                due=done.due,
            )
        )
        return 0
    finally:
        await engine.dispose()


def _bar(total: int | None, description: str) -> "tqdm[Any]":
    """A progress bar on a terminal; nothing elsewhere (a log stays clean)."""
    return tqdm(
        total=total,
        unit=" persons",
        desc=description,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
    )
