"""Hook implementations of the education plugin (entry point ``education``).

Only the hooks live here; each delegates to the module that does the work:

* ``models.py`` — the tables; ``migrations/`` — their Alembic branch
* ``rules.py`` — compulsory-education age, school years, periods
* ``service.py`` — the use cases behind the mutations (and their error codes)
* ``loaders.py``, ``types.py``, ``queries.py``, ``mutations.py`` — the GraphQL surface
* ``bottomline.py`` — the SCHOOL and GOOD_SCHOOL indicators
* ``demo.py`` — demo data
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
from bangfu.plugins.education import bottomline, demo, loaders, mutations, queries, roster
from bangfu.plugins.education.models import EducationAid, Enrolment
from bangfu.plugins.education.service import EducationErrorCode
from bangfu.plugins.education.types import EducationPersonFields

NAME = "education"


@hookimpl
def bangfu_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title="Education assistance (教育救助)",
        version="0.2.0",
        contract=">=2.0,<3",
        owners=("DEPARTMENT:education",),
        description="School enrolment, dropout and education aid for children in hardship.",
    )


@hookimpl
def bangfu_register_models() -> Sequence[type[Any]]:
    return [Enrolment, EducationAid]


@hookimpl
def bangfu_migrations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def bangfu_register_actions() -> Sequence[Action]:
    # education:read, education:read-sensitive and education:write, owned by the
    # education department (bangfu.core.security.permissions.plugin_actions).
    return plugin_actions(NAME, "schooling and education aid")


@hookimpl
def bangfu_graphql_type_extensions() -> Mapping[str, Sequence[type]]:
    return {"Person": [EducationPersonFields]}


@hookimpl
def bangfu_graphql_query_types() -> Sequence[type]:
    return [queries.EducationQuery]


@hookimpl
def bangfu_graphql_mutation_types() -> Sequence[type]:
    return [mutations.EducationMutation]


@hookimpl
def bangfu_graphql_context(context: Any) -> None:
    loaders.add_loaders(context)


@hookimpl
async def bangfu_bottom_line(
    persons: Sequence[Any], session: AsyncSession, as_of: dt.date
) -> Sequence[Finding]:
    return await bottomline.judge(persons, session, as_of)


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """Schooling for the demo children, a few dropouts, this school year's aid."""
    await demo.add_demo_data(session, households, rng, today())


@hookimpl
def bangfu_roster_columns() -> Sequence[RosterColumns]:
    return roster.roster_columns()


@hookimpl
def bangfu_error_codes() -> Sequence[type[enum.Enum]]:
    return [EducationErrorCode]
