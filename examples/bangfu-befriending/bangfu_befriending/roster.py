"""The befriending plugin's roster columns: which mass organisation befriends a person,
and since when (an Excel roster row per person).

The importing user is the volunteer: a member of a trade union, women's federation or
youth league imports the persons their organisation befriends. Core asks for
``befriending:write`` on each row that fills the columns, and ``registry:write`` only for
rows that create or change registry data, so a member imports registered persons. Whether
the importer belongs to an organisation of the named kind is known only with the actor and
the database, so ``write`` refuses the row with ``RosterValueError`` (a problem of the row;
the import writes nothing), never by crashing the import.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import (
    Change,
    Organisation,
    OrganisationKind,
    RosterColumn,
    RosterColumns,
    RosterSubject,
    RosterTarget,
    RosterValueError,
    RosterWriteContext,
)
from bangfu_befriending.messages import N_, _
from bangfu_befriending.models import Relationship

#: Accepted cell values, English and Chinese, for each owning organisation kind.
ORGANISATIONS = {
    "trade_union": OrganisationKind.TRADE_UNION,
    "工会": OrganisationKind.TRADE_UNION,
    "womens_federation": OrganisationKind.WOMENS_FEDERATION,
    "妇联": OrganisationKind.WOMENS_FEDERATION,
    "youth_league": OrganisationKind.YOUTH_LEAGUE,
    "共青团": OrganisationKind.YOUTH_LEAGUE,
}


#: The refusal of a row for an importer who is not a member of the row's kind, whole for
#: each kind (a message is translated whole, never glued from pieces).
NOT_A_MEMBER = {
    OrganisationKind.TRADE_UNION: N_(
        "only a member of a 工会 (trade union) imports its befriending (the importing user "
        "becomes the volunteer): you are not one; let a member of that organisation import "
        "this row"
    ),
    OrganisationKind.WOMENS_FEDERATION: N_(
        "only a member of a 妇联 (women's federation) imports its befriending (the importing "
        "user becomes the volunteer): you are not one; let a member of that organisation "
        "import this row"
    ),
    OrganisationKind.YOUTH_LEAGUE: N_(
        "only a member of a 共青团 (youth league) imports its befriending (the importing user "
        "becomes the volunteer): you are not one; let a member of that organisation import "
        "this row"
    ),
}


def parse_organisation(cell: str) -> OrganisationKind:
    kind = ORGANISATIONS.get(cell.strip().lower())
    if kind is None:
        raise RosterValueError(
            _(
                "结对帮扶组织 (befriending organisation) must be one of 工会, 妇联, 共青团 "
                "(or trade_union, womens_federation, youth_league): write one of them"
            )
        )
    return kind


def parse_since(cell: str) -> dt.date:
    try:
        return dt.date.fromisoformat(cell.strip())
    except ValueError:
        raise RosterValueError(
            _("结对日期 (befriended since) must be a date such as 2024-09-01: write it so")
        ) from None


def check(values: Mapping[str, Any], subject: RosterSubject) -> Sequence[tuple[str, str]]:
    problems = []
    if ("befriending_organisation" in values) != ("befriending_since" in values):
        missing = (
            "befriending_since"
            if "befriending_organisation" in values
            else "befriending_organisation"
        )
        problems.append((missing, _("give both the organisation and the day, or neither")))
    since = values.get("befriending_since")
    if since is not None and since > subject.today:
        problems.append(
            ("befriending_since", _("{day} is in the future: write the first day", day=since))
        )
    return problems


async def write(
    session: AsyncSession, context: RosterWriteContext, values: Mapping[str, Any]
) -> Change:
    """The importing volunteer befriends the row's person for their organisation."""
    kind = values["befriending_organisation"]
    organisation_id = context.actor.organisation_id
    organisation = (
        None if organisation_id is None else await session.get(Organisation, organisation_id)
    )
    if organisation is None or organisation.kind != kind:
        refusal = NOT_A_MEMBER[kind]
        raise RosterValueError(_(refusal), column="befriending_organisation")
    existing = await session.scalar(
        select(Relationship).where(
            Relationship.person_id == context.person.id,
            Relationship.volunteer_id == context.actor.id,
            Relationship.until.is_(None),
        )
    )
    if existing is not None:
        if existing.since == values["befriending_since"]:
            return Change.UNCHANGED
        existing.since = values["befriending_since"]
        return Change.UPDATED
    session.add(
        Relationship(
            person_id=context.person.id,
            volunteer_id=context.actor.id,
            organisation_id=organisation.id,
            since=values["befriending_since"],
        )
    )
    return Change.CREATED


COLUMNS = RosterColumns(
    target=RosterTarget.PERSON,
    columns=(
        RosterColumn(
            key="befriending_organisation",
            header_zh="结对帮扶组织",
            parse=parse_organisation,
            description="工会, 妇联 or 共青团: the importing member's organisation "
            "befriends the person",
            example="妇联",
        ),
        RosterColumn(
            key="befriending_since",
            header_zh="结对日期",
            parse=parse_since,
            description="The first day of the befriending (YYYY-MM-DD), not in the future",
            example="2024-09-01",
        ),
    ),
    write=write,
    check=check,
)
