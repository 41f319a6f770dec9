"""``bangfu webhook add|list|remove``: the endpoints partner systems are told of care events
at (``bangfu.core.webhooks``, docs/care.md#webhooks).

``add`` checks the URL for the profile (no private or loopback addresses in production),
prints the endpoint's signing secret once, and leaves an audit row, as ``remove`` does.
"""

import argparse
import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.accounts_cli import UsageError, _database, refusing
from bangfu.core.config import Settings
from bangfu.core.i18n import _
from bangfu.core.registry.reference import CITY_CODE
from bangfu.core.security import SYSTEM, audit
from bangfu.core.security.crypto import FieldCipher, load_master_key
from bangfu.core.webhooks import endpoints
from bangfu.core.webhooks.events import DESCRIPTIONS

_ARGUMENTS = {"name": "--name", "url": "URL", "events": "--events", "region": "--region"}


def add_commands(commands: Any) -> None:
    """Add ``webhook`` to the ``bangfu`` command's sub-commands."""
    webhook = commands.add_parser(
        "webhook", help=_("webhook endpoints: partner systems told of care events")
    )
    actions = webhook.add_subparsers(dest="webhook_command", required=True)
    descriptions = [(kind, _(text)) for kind, text in DESCRIPTIONS.items()]
    kinds = "\n".join(f"  {kind.value:<22} {text}" for kind, text in descriptions)
    add = actions.add_parser(
        "add",
        help=_("register an endpoint; prints its signing secret once"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_("event kinds:\n{kinds}", kinds=kinds),
    )
    add.add_argument("url", metavar="URL", help=_("where deliveries are POSTed (https)"))
    add.add_argument("--name", required=True, help=_("a name to list and remove it by"))
    add.add_argument(
        "--events",
        required=True,
        nargs="+",
        help=_("the event kinds it wants (comma- or space-separated), or * for all"),
    )
    add.add_argument(
        "--region",
        default=CITY_CODE,
        help=_("tell it only of this region's events (default: the whole city)"),
    )
    actions.add_parser("list", help=_("list the endpoints (never their secrets)"))
    log = actions.add_parser("log", help=_("the latest deliveries and each of their attempts"))
    log.add_argument("name", nargs="?", help=_("only this endpoint's deliveries"))
    log.add_argument("--limit", type=int, default=50, help=_("how many deliveries (default 50)"))
    remove = actions.add_parser("remove", help=_("remove an endpoint"))
    remove.add_argument("name", help=_("the endpoint's name"))


def run(args: argparse.Namespace) -> int:
    """Run a ``webhook`` command; 2 (and one line on stderr) when refused."""
    settings = Settings()

    def command() -> int:
        if args.webhook_command == "add":
            return _add(settings, args.name, args.url, args.events, args.region)
        if args.webhook_command == "list":
            return _list(settings)
        if args.webhook_command == "log":
            return _log(settings, args.name, args.limit)
        return _remove(settings, args.name)

    return refusing(command, _ARGUMENTS, every_reason=True)


def _log(settings: Settings, name: str | None, limit: int) -> int:
    if not 1 <= limit <= 1000:
        raise UsageError("--limit", _("from 1 to 1000"))

    async def read(session: AsyncSession) -> list[endpoints.LoggedDelivery]:
        return await endpoints.delivery_log(session, name, limit)

    print_log(
        (
            [d.delivery_id, d.endpoint, d.event.value, d.created_at.isoformat("T", "seconds")],
            d.state,
            [
                (a.number, a.at, str(a.status_code) if a.status_code is not None else a.error)
                for a in d.attempts
            ],
            d.next_attempt_at,
        )
        for d in _database(settings, read)
    )
    return 0


def print_log(
    deliveries: Iterable[
        tuple[list[str], str, list[tuple[int, dt.datetime, str | None]], dt.datetime | None]
    ],
) -> None:
    """Print a delivery log (``bangfu webhook log``, ``bangfu notification log``): each
    delivery's fields and state on a line, then each attempt (its number, time and outcome)
    and when the next one is due."""
    for fields, state, attempts, next_attempt_at in deliveries:
        print("  ".join([*fields, state]))
        for number, at, outcome in attempts:
            print(f"    #{number}  {at.isoformat(timespec='seconds')}  {outcome}")
        if next_attempt_at is not None:
            due = next_attempt_at.isoformat(timespec="seconds")
            print("   ", _("next attempt {at}", at=due))


def _add(settings: Settings, name: str, url: str, events: list[str], region: str) -> int:
    kinds = endpoints.parse_events(events)
    cipher = FieldCipher(load_master_key(settings))

    async def add(session: AsyncSession) -> endpoints.NewEndpoint:
        new = await endpoints.add_endpoint(
            session, cipher, settings, name=name, url=url, events=kinds, region_code=region
        )
        await audit.record(
            session,
            SYSTEM,
            "cli:webhook.add",
            audit.Outcome.OK,
            details={"name": name, "url": url, "events": list(kinds), "region": region},
        )
        return new

    new = _database(settings, add)
    print(
        _(
            "endpoint {name} added (id {id}) for {events}",
            name=new.name,
            id=new.id,
            events=", ".join(new.events),
        )
    )
    print(_("signing secret (shown only this once; give it to the receiver):"))
    print(new.secret)
    return 0


def _list(settings: Settings) -> int:
    async def listing(session: AsyncSession) -> list[endpoints.EndpointSummary]:
        return await endpoints.list_endpoints(session)

    rows = _database(settings, listing)
    print(f"{'NAME':<24} {'ADDED':<10} {'URL':<50} EVENTS")
    for row in rows:
        print(
            f"{row.name:<24} {row.created_at.date().isoformat():<10} {row.url:<50} "
            + " ".join(row.events)
        )
    return 0


def _remove(settings: Settings, name: str) -> int:
    async def remove(session: AsyncSession) -> endpoints.EndpointSummary:
        removed = await endpoints.remove_endpoint(session, name)
        await audit.record(
            session,
            SYSTEM,
            "cli:webhook.remove",
            audit.Outcome.OK,
            details={"name": name, "url": removed.url},
        )
        return removed

    removed = _database(settings, remove)
    print(_("endpoint {name} removed ({url})", name=removed.name, url=removed.url))
    return 0
