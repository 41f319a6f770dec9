"""Hook implementations of the medical plugin (entry point ``medical``)."""

import datetime as dt
import enum
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import Action, Finding, PluginInfo, RosterColumns, hookimpl, plugin_actions
from bangfu.plugins.medical import bottomline, demo, roster
from bangfu.plugins.medical.access import read_diagnosis_action
from bangfu.plugins.medical.errors import MedicalErrorCode
from bangfu.plugins.medical.loaders import medical_loaders
from bangfu.plugins.medical.models import (
    Hospitalisation,
    InsuranceEnrolment,
    MedicalAidClaim,
    MedicalCondition,
)
from bangfu.plugins.medical.mutations import MedicalMutation
from bangfu.plugins.medical.queries import MedicalQuery
from bangfu.plugins.medical.settings import medical_settings
from bangfu.plugins.medical.types import MedicalPersonFields

NAME = "medical"


@hookimpl
def bangfu_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title="Medical assistance (医疗救助)",
        version="0.2.0",
        contract=">=2.0,<3",
        owners=("DEPARTMENT:medical",),
        description="Medical insurance, chronic and serious conditions, hospitalisation "
        "and one-stop medical-aid settlement.",
    )


@hookimpl
def bangfu_register_models() -> Sequence[type[Any]]:
    return [InsuranceEnrolment, MedicalCondition, Hospitalisation, MedicalAidClaim]


@hookimpl
def bangfu_migrations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def bangfu_register_actions() -> Sequence[Action]:
    return [*plugin_actions(NAME, "medical cover and care"), read_diagnosis_action()]


@hookimpl
def bangfu_graphql_type_extensions() -> Mapping[str, Sequence[type]]:
    return {"Person": [MedicalPersonFields]}


@hookimpl
def bangfu_graphql_query_types() -> Sequence[type]:
    return [MedicalQuery]


@hookimpl
def bangfu_graphql_mutation_types() -> Sequence[type]:
    return [MedicalMutation]


@hookimpl
def bangfu_graphql_context(context: Any) -> None:
    context.loaders.update(medical_loaders(context))


@hookimpl
async def bangfu_bottom_line(
    persons: Sequence[Any], session: AsyncSession, as_of: dt.date
) -> Sequence[Finding]:
    """MEDICAL_CARE and ILLNESS_TREATED_WELL for a page of persons (three statements)."""
    return await bottomline.judge(persons, session, as_of, medical_settings())


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """Nearly everyone insured; chronic illness rising with age; a few hospital stays."""
    await demo.add_demo_rows(session, households, rng)


@hookimpl
def bangfu_roster_columns() -> Sequence[RosterColumns]:
    return roster.roster_columns()


@hookimpl
def bangfu_error_codes() -> Sequence[type[enum.Enum]]:
    return [MedicalErrorCode]
