"""``bangfu organisation add|list``: township and village organisations (R7).

``add`` creates one as the system actor, with the rules of ``organisationCreate``
(:mod:`bangfu.core.registry.organisations`): a township or village kind on a region of its
level, a code and a name not taken. A refusal prints one line naming the argument at fault
and exits with status 2. Every organisation added leaves an audit row.
"""

import argparse
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.accounts_cli import UsageError, _database, refusing
from bangfu.core.config import Settings
from bangfu.core.i18n import _
from bangfu.core.registry.models import GRASSROOTS_LEVELS, OrganisationKind
from bangfu.core.registry.organisations import create_organisation, list_organisations
from bangfu.core.security import SYSTEM, audit
from bangfu.schema.relay import to_global_id

# Which command-line argument each DomainError field stands for.
_ARGUMENTS = {
    "input.name": "NAME",
    "input.kind": "--kind",
    "input.regionCode": "--region",
    "input.code": "--code",
}


def add_commands(commands: Any) -> None:
    """Add ``organisation`` to the ``bangfu`` command's sub-commands."""
    organisation = commands.add_parser(
        "organisation", help=_("township and village organisations (R7)")
    )
    sub = organisation.add_subparsers(dest="organisation_command", required=True)
    add = sub.add_parser(
        "add", help=_("add a township or village organisation (乡镇党委, 村党支部, 村委会, ...)")
    )
    add.add_argument("name", metavar="NAME", help=_("the official name, in Chinese"))
    add.add_argument(
        "--kind",
        required=True,
        metavar="KIND",
        help=_("one of: {kinds}", kinds=", ".join(GRASSROOTS_LEVELS)),
    )
    add.add_argument(
        "--region", required=True, metavar="CODE", help=_("the township or village it serves")
    )
    add.add_argument(
        "--code", metavar="CODE", help=_("a stable unique code (default: region code and kind)")
    )
    listing = sub.add_parser("list", help=_("list organisations"))
    listing.add_argument("--kind", metavar="KIND", help=_("only organisations of this kind"))
    listing.add_argument(
        "--region", metavar="CODE", help=_("only organisations of this region or below it")
    )


def _kind(value: str) -> OrganisationKind:
    try:
        return OrganisationKind(value.strip().upper())
    except ValueError:
        raise UsageError(
            "--kind",
            _(
                "unknown kind {kind} (one of: {kinds})",
                kind=repr(value),
                kinds=", ".join(OrganisationKind),
            ),
        ) from None


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Run an ``organisation`` command; 2 (and one line on stderr) when refused."""
    settings = settings or Settings()
    if args.organisation_command == "add":
        return refusing(lambda: _add(settings, args), _ARGUMENTS)
    return refusing(lambda: _list(settings, args), _ARGUMENTS)


def _add(settings: Settings, args: argparse.Namespace) -> int:
    kind = _kind(args.kind)

    async def create(session: AsyncSession) -> str:
        organisation = await create_organisation(
            session, SYSTEM, name=args.name, kind=kind, region_code=args.region, code=args.code
        )
        await audit.record(
            session,
            SYSTEM,
            "cli:organisation.add",
            audit.Outcome.OK,
            targets=[to_global_id("Organisation", organisation.id)],
            details={
                "code": organisation.code,
                "name": organisation.name,
                "kind": organisation.kind.value,
                "region": organisation.region_code,
            },
        )
        return organisation.code

    code = _database(settings, create)
    print(
        _(
            "added organisation {code} ({kind}) in region {region}",
            code=code,
            kind=kind.value,
            region=args.region,
        )
    )
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    kinds = () if args.kind is None else (_kind(args.kind),)

    async def rows(session: AsyncSession) -> list[tuple[str, str, str, str]]:
        found = await list_organisations(session, kinds=kinds, within_code=args.region)
        return [(o.code, o.kind.value, o.region_code, o.name) for o in found]

    print(f"{'CODE':<40} {'KIND':<30} {'REGION':<12} NAME")
    for code, kind, region, name in _database(settings, rows):
        print(f"{code:<40} {kind:<30} {region:<12} {name}")
    return 0
