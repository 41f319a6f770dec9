"""Hook implementations of the housing plugin (entry point ``housing``)."""

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from core.calendar import today
from core.plugins import PluginInfo, hookimpl
from core.security.permissions import Action, plugin_actions
from plugins.housing.models import SafetyAppraisal, SafetyGrade
from plugins.housing.types import HousingHouseholdFields
from schema.loaders import grouped

NAME = "housing"


@hookimpl
def bangfu_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title="Housing assistance (住房救助)",
        version="0.1.0",
        owners=("DEPARTMENT:housing",),
        description="Dwelling safety appraisals, renovation of dangerous houses, housing aid.",
    )


@hookimpl
def bangfu_register_models() -> Sequence[type[Any]]:
    return [SafetyAppraisal]


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
def bangfu_graphql_context(context: Any) -> None:
    context.loaders["housing_appraisals"] = DataLoader(
        grouped(
            context,
            SafetyAppraisal,
            SafetyAppraisal.household_id,
            order_by=(SafetyAppraisal.appraised_on.desc(), SafetyAppraisal.id.desc()),
        )
    )


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """Most dwellings appraised; a few C and D houses."""
    day = today()
    for household in households:
        if rng.random() < 0.2:
            continue
        grade = rng.choices(list(SafetyGrade), weights=(55, 35, 7, 3))[0]
        session.add(
            SafetyAppraisal(
                household_id=household.id,
                grade=grade,
                appraised_on=day - dt.timedelta(days=rng.randint(30, 900)),
                report_reference=f"JD-{household.id:06d}",
            )
        )
