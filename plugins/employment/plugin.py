"""Hook implementations of the employment plugin (entry point ``employment``).

Employment assistance (就业救助), owned by the human resources and social security
department (organisation department ``employment``). Everything the plugin adds goes
through these hooks; the modules beside this one hold the parts:

- ``models.py``: tables ``employment_*``; ``migrations/``: the ``employment`` branch
- ``service.py``: the use cases, with their checks (``errors.py``: the error codes)
- ``types.py``, ``loaders.py``, ``queries.py``, ``mutations.py``: the GraphQL surface
- ``bottomline.py``: the WORK and WELL_EMPLOYED indicators (``settings.py``: the minimum)
- ``demo.py``: demo rows
"""

import datetime as dt
import enum
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import (
    Action,
    Finding,
    PluginInfo,
    RosterColumns,
    hookimpl,
    plugin_actions,
    today,
)
from bangfu.plugins.employment import roster
from bangfu.plugins.employment.bottomline import judge
from bangfu.plugins.employment.demo import add_demo_data
from bangfu.plugins.employment.errors import EmploymentErrorCode
from bangfu.plugins.employment.loaders import employment_loaders
from bangfu.plugins.employment.models import MODELS
from bangfu.plugins.employment.mutations import EmploymentMutation
from bangfu.plugins.employment.queries import EmploymentQuery
from bangfu.plugins.employment.settings import EmploymentSettings
from bangfu.plugins.employment.types import EmploymentPersonFields

NAME = "employment"


@hookimpl
def bangfu_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title="Employment assistance (就业救助)",
        version="0.2.0",
        contract=">=2.0,<3",
        # 0.2.1: a working-age person with nothing on record gets UNKNOWN findings that
        # carry the 60th birthday (the stored verdicts are judged again).
        rules_version="0.2.1",
        owners=("DEPARTMENT:employment",),
        description="Work status and its history, training, job placement and "
        "public-welfare posts; the WORK and WELL_EMPLOYED indicators.",
    )


@hookimpl
def bangfu_register_models() -> Sequence[type[Any]]:
    return MODELS


@hookimpl
def bangfu_migrations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def bangfu_register_actions() -> Sequence[Action]:
    """employment:read (anyone whose area covers the person), employment:read-sensitive
    (the department and duty roles), employment:write (the department, city administrators)."""
    return plugin_actions(NAME, "work, training and placements")


@hookimpl
def bangfu_graphql_type_extensions() -> Mapping[str, Sequence[type]]:
    return {"Person": [EmploymentPersonFields]}


@hookimpl
def bangfu_graphql_query_types() -> Sequence[type]:
    return [EmploymentQuery]


@hookimpl
def bangfu_graphql_mutation_types() -> Sequence[type]:
    return [EmploymentMutation]


@hookimpl
def bangfu_graphql_context(context: Any) -> None:
    context.loaders.update(employment_loaders(context))


@hookimpl
async def bangfu_bottom_line(
    persons: Sequence[Any], session: AsyncSession, as_of: dt.date
) -> Sequence[Finding]:
    """WORK and WELL_EMPLOYED (see ``bangfu.plugins.employment.bottomline``)."""
    return await judge(persons, session, as_of, EmploymentSettings().minimum_monthly_wage)


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """Most adults working, some seeking work for months, trainings, placements, a few
    public-welfare posts."""
    await add_demo_data(session, households, rng, today())


@hookimpl
def bangfu_roster_columns() -> Sequence[RosterColumns]:
    return roster.roster_columns()


@hookimpl
def bangfu_error_codes() -> Sequence[type[enum.Enum]]:
    return [EmploymentErrorCode]
