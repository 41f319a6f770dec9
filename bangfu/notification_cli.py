"""``bangfu notification log``: what the plugins' notification channels were given and how
each attempt ended (``bangfu.core.notify.channels``, docs/operations.md#notification-channels).
"""

import argparse
import sys
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.accounts_cli import UsageError, _database
from bangfu.core.config import Settings
from bangfu.core.i18n import _
from bangfu.core.notify import channels
from bangfu.webhook_cli import print_log


def add_commands(commands: Any) -> None:
    """Add ``notification`` to the ``bangfu`` command's sub-commands."""
    notification = commands.add_parser(
        "notification", help=_("notifications delivered by the plugins' channels")
    )
    actions = notification.add_subparsers(dest="notification_command", required=True)
    log = actions.add_parser(
        "log", help=_("the latest deliveries of the plugins' channels and each of their attempts")
    )
    log.add_argument("channel", nargs="?", help=_("only this channel's deliveries"))
    log.add_argument("--limit", type=int, default=50, help=_("how many deliveries (default 50)"))


def run(args: argparse.Namespace) -> int:
    """Run a ``notification`` command; 2 (and one line on stderr) when refused."""
    try:
        return _log(Settings(), args.channel, args.limit)
    except UsageError as exc:
        print(_("bangfu: error: {error}", error=exc), file=sys.stderr)
        return 2


def _log(settings: Settings, channel: str | None, limit: int) -> int:
    if not 1 <= limit <= 1000:
        raise UsageError("--limit", _("from 1 to 1000"))

    async def read(session: AsyncSession) -> list[channels.LoggedDelivery]:
        return await channels.delivery_log(session, channel, limit)

    print_log(
        (
            [
                d.delivery_id,
                d.channel,
                d.recipient,
                d.reason,
                d.created_at.isoformat("T", "seconds"),
            ],
            d.state,
            [(a.number, a.at, a.error if a.error is not None else "OK") for a in d.attempts],
            d.next_attempt_at,
        )
        for d in _database(settings, read)
    )
    return 0
