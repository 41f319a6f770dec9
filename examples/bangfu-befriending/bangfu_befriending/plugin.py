"""Hook implementations of the befriending plugin (entry point ``befriending``).

The trade unions, women's federations and youth leagues befriend orphans and other
hardship persons (交朋友, R8). Only the hooks live here:

* ``models.py`` — relationships, contacts, flags; ``migrations/`` — their Alembic branch
* ``access.py`` — actions and who reads contacts, flags and emotional-state notes
* ``service.py`` — the use cases and their checks
* ``types.py``, ``schema.py`` — the GraphQL surface
* ``indicators.py`` — the assessment indicator; ``roster.py`` — the roster columns
"""

import datetime as dt
import decimal
import enum
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from bangfu.plugin import (
    Action,
    AssessmentPeriod,
    IndicatorScore,
    Organisation,
    OrganisationKind,
    PluginInfo,
    RosterColumns,
    User,
    age_on,
    by_key,
    grouped,
    hookimpl,
    today,
)
from bangfu_befriending import access, indicators, roster
from bangfu_befriending.models import Contact, ContactKind, Flag, Relationship
from bangfu_befriending.schema import BefriendingMutation, BefriendingQuery
from bangfu_befriending.service import BefriendingErrorCode
from bangfu_befriending.types import BefriendingPersonFields, audit_emotional_reads

NAME = "befriending"


@hookimpl
def bangfu_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title="Befriending by the mass organisations (交朋友)",
        version="0.1.0",
        owners=("TRADE_UNION", "WOMENS_FEDERATION", "YOUTH_LEAGUE"),
        description="Volunteers befriend children and other hardship persons: contacts, "
        "emotional-state notes, donations, and flags for the paired official (R8).",
        contract=">=2.6,<3",  # notify_responsible (service.py) is new in 2.6
        package="bangfu-befriending",
    )


@hookimpl
def bangfu_register_models() -> Sequence[type[Any]]:
    return [Relationship, Contact, Flag]


@hookimpl
def bangfu_migrations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def bangfu_register_actions() -> Sequence[Action]:
    return access.actions()


@hookimpl
def bangfu_graphql_type_extensions() -> Mapping[str, Sequence[type]]:
    return {"Person": [BefriendingPersonFields]}


@hookimpl
def bangfu_graphql_query_types() -> Sequence[type]:
    return [BefriendingQuery]


@hookimpl
def bangfu_graphql_mutation_types() -> Sequence[type]:
    return [BefriendingMutation]


@hookimpl
def bangfu_graphql_context(context: Any) -> None:
    loaders = context.loaders
    loaders["befriending_relationships"] = DataLoader(
        grouped(
            context,
            Relationship,
            Relationship.person_id,
            order_by=(Relationship.until.is_not(None), Relationship.since.desc(), Relationship.id),
        )
    )
    loaders["befriending_contacts"] = DataLoader(
        grouped(
            context,
            Contact,
            Contact.person_id,
            order_by=(Contact.contacted_on.desc(), Contact.id.desc()),
        )
    )
    loaders["befriending_open_flags"] = DataLoader(
        grouped(
            context,
            Flag,
            Flag.person_id,
            Flag.closed_on.is_(None),
            order_by=(Flag.raised_on.desc(), Flag.id.desc()),
        )
    )
    loaders["befriending_users"] = DataLoader(by_key(context, User, User.id))
    loaders["befriending_paired_officials"] = DataLoader(access.paired_officials(context))
    loaders["befriending_emotional_reads"] = audit_emotional_reads(context)


@hookimpl
async def bangfu_assessment_indicators(
    session: AsyncSession, period: AssessmentPeriod
) -> Sequence[IndicatorScore]:
    return await indicators.children_contacted(session, period)


@hookimpl
def bangfu_roster_columns() -> Sequence[RosterColumns]:
    return [roster.COLUMNS]


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """Women's-federation volunteers befriend about a third of the demo children."""
    federation = await session.scalar(
        select(Organisation).where(Organisation.kind == OrganisationKind.WOMENS_FEDERATION)
    )
    volunteer = await session.scalar(select(User).order_by(User.id))
    if federation is None or volunteer is None:
        return  # no users yet: the demo users are created after the plugins' rows
    day = today()
    for household in households:
        for person, _relation in household.demo_members:
            if age_on(person.birth_date, day) >= 18 or rng.random() > 0.33:
                continue
            relationship = Relationship(
                person_id=person.id,
                volunteer_id=volunteer.id,
                organisation_id=federation.id,
                since=day - dt.timedelta(days=rng.randint(120, 700)),
            )
            session.add(relationship)
            await session.flush()
            for _ in range(rng.randint(0, 3)):
                session.add(
                    Contact(
                        relationship_id=relationship.id,
                        person_id=person.id,
                        organisation_id=federation.id,
                        contacted_on=day - dt.timedelta(days=rng.randint(1, 119)),
                        kind=rng.choice(list(ContactKind)),
                        help_given="学习用品" if rng.random() < 0.3 else None,
                        donation_yuan=decimal.Decimal(rng.choice(("100.00", "200.00")))
                        if rng.random() < 0.2
                        else None,
                    )
                )


@hookimpl
def bangfu_error_codes() -> Sequence[type[enum.Enum]]:
    """The codes of ``BefriendingError``; core's generic ones are shared, not redeclared."""
    return [BefriendingErrorCode]
