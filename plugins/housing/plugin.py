"""Hook implementations of the housing plugin (entry point ``housing``)."""

import datetime as dt
import enum
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import Action, Finding, PluginInfo, RosterColumns, hookimpl, plugin_actions
from bangfu.plugins.housing import demo, indicators, loaders, roster
from bangfu.plugins.housing.errors import HousingErrorCode
from bangfu.plugins.housing.models import (
    DisasterReport,
    HousingAid,
    RenovationProject,
    SafetyAppraisal,
)
from bangfu.plugins.housing.mutations import HousingMutation
from bangfu.plugins.housing.queries import HousingQuery
from bangfu.plugins.housing.types import HousingHouseholdFields

NAME = "housing"


@hookimpl
def bangfu_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title="Housing assistance (住房救助)",
        version="0.2.0",
        contract=">=2.0,<3",
        owners=("DEPARTMENT:housing",),
        description=(
            "Dwelling safety appraisals, renovation of dangerous houses, rental aid and "
            "disaster reports; the goal 'lives in a good home'."
        ),
    )


@hookimpl
def bangfu_register_models() -> Sequence[type[Any]]:
    return [SafetyAppraisal, RenovationProject, HousingAid, DisasterReport]


@hookimpl
def bangfu_migrations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def bangfu_register_actions() -> Sequence[Action]:
    return plugin_actions(NAME, "housing safety and aid")


@hookimpl
def bangfu_graphql_type_extensions() -> Mapping[str, Sequence[type]]:
    return {"Household": [HousingHouseholdFields]}


@hookimpl
def bangfu_graphql_query_types() -> Sequence[type]:
    return [HousingQuery]


@hookimpl
def bangfu_graphql_mutation_types() -> Sequence[type]:
    return [HousingMutation]


@hookimpl
def bangfu_graphql_context(context: Any) -> None:
    loaders.register(context)


@hookimpl
async def bangfu_bottom_line(
    persons: Sequence[Any], session: AsyncSession, as_of: dt.date
) -> Sequence[Finding]:
    """GOAL ``GOOD_HOME`` (居好家): see :mod:`bangfu.plugins.housing.indicators`."""
    return await indicators.good_home(persons, session, as_of)


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """Most dwellings A or B, a few C and D with renovations, some aid, a couple of disasters."""
    await demo.add_demo_data(session, households, rng)


@hookimpl
def bangfu_roster_columns() -> Sequence[RosterColumns]:
    return roster.roster_columns()


@hookimpl
def bangfu_error_codes() -> Sequence[type[enum.Enum]]:
    return [HousingErrorCode]
