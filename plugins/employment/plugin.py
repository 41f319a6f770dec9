"""Hook implementations of the employment plugin (entry point ``employment``)."""

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from core.calendar import age_on, today
from core.plugins import PluginInfo, hookimpl
from core.security.permissions import Action, plugin_actions
from plugins.employment.models import WorkStatus, WorkStatusRecord
from plugins.employment.types import EmploymentPersonFields
from schema.loaders import by_key

NAME = "employment"


@hookimpl
def bangfu_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title="Employment assistance (就业救助)",
        version="0.1.0",
        owners=("DEPARTMENT:employment",),
        description="Work status, training, job placement and public-welfare posts.",
    )


@hookimpl
def bangfu_register_models() -> Sequence[type[Any]]:
    return [WorkStatusRecord]


@hookimpl
def bangfu_migrations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def bangfu_register_actions() -> Sequence[Action]:
    return plugin_actions(NAME, "work, training and placements")


@hookimpl
def bangfu_graphql_type_extensions() -> Mapping[str, Sequence[type]]:
    return {"Person": [EmploymentPersonFields]}


@hookimpl
def bangfu_graphql_context(context: Any) -> None:
    context.loaders["employment_current_status"] = DataLoader(
        by_key(
            context, WorkStatusRecord, WorkStatusRecord.person_id, WorkStatusRecord.until.is_(None)
        )
    )


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """A current work status for every adult: most working, some seeking work."""
    day = today()
    for household in households:
        for person, _relation in household.demo_members:
            age = age_on(person.birth_date, day)
            if age < 16:
                continue
            if age >= 60:
                status, employer = WorkStatus.RETIRED, None
            elif person.disability_grade is not None and person.disability_grade <= 2:
                status, employer = WorkStatus.UNABLE_TO_WORK, None
            elif age < 19:
                status, employer = WorkStatus.STUDENT, None
            else:
                status = rng.choices(
                    [
                        WorkStatus.EMPLOYED,
                        WorkStatus.SELF_EMPLOYED,
                        WorkStatus.SEEKING_WORK,
                        WorkStatus.IN_TRAINING,
                    ],
                    weights=(50, 30, 15, 5),
                )[0]
                employer = (
                    rng.choice(["临汾钢铁厂", "县城建筑队", "农业合作社", "物流公司"])
                    if status is WorkStatus.EMPLOYED
                    else None
                )
            session.add(
                WorkStatusRecord(
                    person_id=person.id,
                    status=status,
                    employer=employer,
                    reason="disability" if status is WorkStatus.UNABLE_TO_WORK else None,
                    since=day - dt.timedelta(days=rng.randint(30, 2000)),
                )
            )
