"""Hook implementations of the befriending plugin (entry point ``befriending``).

The trade unions, women's federations and youth leagues befriend orphans and other
hardship persons (交朋友, R8). Only the hooks live here:

* ``models.py`` — relationships, contacts, flags; ``migrations/`` — their Alembic branch
* ``access.py`` — actions and who reads contacts, flags and emotional-state notes
* ``service.py`` — the use cases and their checks
* ``types.py``, ``schema.py`` — the GraphQL surface
* ``indicators.py`` — the assessment indicator; ``roster.py`` — the roster columns
* ``demo.py`` — the demo logins of the three organisations and their befriending
"""

import enum
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from bangfu.plugin import (
    Action,
    AssessmentPeriod,
    DemoUser,
    IndicatorScore,
    PluginInfo,
    RosterColumns,
    User,
    by_key,
    grouped,
    hookimpl,
)
from bangfu_befriending import access, demo, indicators, roster
from bangfu_befriending.models import Contact, Flag, Relationship
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
def bangfu_demo_users() -> Sequence[DemoUser]:
    """A member of the city trade union (市总工会), women's federation (市妇联) and youth
    league (团市委) each."""
    return demo.USERS


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """The three organisations' befriending of demo children and adults (``demo.py``)."""
    await demo.load(session, households, rng)


@hookimpl
def bangfu_error_codes() -> Sequence[type[enum.Enum]]:
    """The codes of ``BefriendingError``; core's generic ones are shared, not redeclared."""
    return [BefriendingErrorCode]
