"""Hook implementations of the medical plugin (entry point ``medical``)."""

import decimal
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from core.calendar import today
from core.plugins import PluginInfo, hookimpl
from core.security.permissions import Action, plugin_actions
from plugins.medical.models import InsuranceEnrolment, InsuranceScheme
from plugins.medical.types import MedicalPersonFields
from schema.loaders import grouped

NAME = "medical"


@hookimpl
def bangfu_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title="Medical assistance (医疗救助)",
        version="0.1.0",
        owners=("DEPARTMENT:medical",),
        description="Medical insurance, conditions, hospitalisation and medical aid.",
    )


@hookimpl
def bangfu_register_models() -> Sequence[type[Any]]:
    return [InsuranceEnrolment]


@hookimpl
def bangfu_migrations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def bangfu_register_actions() -> Sequence[Action]:
    return plugin_actions(NAME, "medical cover and care")


@hookimpl
def bangfu_graphql_type_extensions() -> Mapping[str, Sequence[type]]:
    return {"Person": [MedicalPersonFields]}


@hookimpl
def bangfu_graphql_context(context: Any) -> None:
    context.loaders["medical_insurance"] = DataLoader(
        grouped(
            context,
            InsuranceEnrolment,
            InsuranceEnrolment.person_id,
            order_by=(InsuranceEnrolment.year.desc(),),
        )
    )


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """Nearly everyone insured this year and last, premiums paid by the government."""
    year = today().year
    for household in households:
        for person, _relation in household.demo_members:
            for y in (year - 1, year):
                if rng.random() < 0.04:
                    continue  # uninsured that year
                session.add(
                    InsuranceEnrolment(
                        person_id=person.id,
                        year=y,
                        scheme=InsuranceScheme.RESIDENT,
                        premium=decimal.Decimal("380.00")
                        if y == year
                        else decimal.Decimal("350.00"),
                        premium_paid_by_government=rng.random() < 0.9,
                    )
                )
