"""Hook implementations of the education plugin (entry point ``education``)."""

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
from plugins.education.models import Enrolment, EnrolmentStatus, SchoolStage
from plugins.education.types import EducationPersonFields
from schema.loaders import by_key

NAME = "education"


@hookimpl
def bangfu_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title="Education assistance (教育救助)",
        version="0.1.0",
        owners=("DEPARTMENT:education",),
        description="School enrolment, dropout and education aid for children in hardship.",
    )


@hookimpl
def bangfu_register_models() -> Sequence[type[Any]]:
    return [Enrolment]


@hookimpl
def bangfu_migrations() -> Path:
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def bangfu_register_actions() -> Sequence[Action]:
    return plugin_actions(NAME, "schooling and education aid")


@hookimpl
def bangfu_graphql_type_extensions() -> Mapping[str, Sequence[type]]:
    return {"Person": [EducationPersonFields]}


@hookimpl
def bangfu_graphql_context(context: Any) -> None:
    context.loaders["education_current_enrolment"] = DataLoader(
        by_key(context, Enrolment, Enrolment.person_id, Enrolment.end_date.is_(None))
    )


@hookimpl
async def bangfu_demo_data(
    session: AsyncSession, households: Sequence[Any], rng: random.Random
) -> None:
    """Most school-age children enrolled, a few dropped out."""
    day = today()
    for household in households:
        for person, _relation in household.demo_members:
            age = age_on(person.birth_date, day)
            if not 3 <= age <= 18:
                continue
            stage = _stage_for(age)
            dropped = 12 <= age <= 16 and rng.random() < 0.04
            if rng.random() < 0.03 and not dropped:
                continue  # unaccounted for
            session.add(
                Enrolment(
                    person_id=person.id,
                    school_name=_school_name(household, stage, rng),
                    school_region_code=person.region_code[:6],
                    stage=stage,
                    grade=_grade_for(age),
                    status=EnrolmentStatus.DROPPED_OUT if dropped else EnrolmentStatus.ENROLLED,
                    start_date=dt.date(day.year - (0 if day.month >= 9 else 1), 9, 1),
                )
            )


def _stage_for(age: int) -> SchoolStage:
    if age < 6:
        return SchoolStage.PRESCHOOL
    if age < 12:
        return SchoolStage.PRIMARY
    if age < 15:
        return SchoolStage.JUNIOR_SECONDARY
    return SchoolStage.SENIOR_SECONDARY


def _grade_for(age: int) -> int | None:
    if age < 6:
        return None
    if age < 12:
        return age - 5
    if age < 15:
        return age - 11
    return min(age - 14, 3)


def _school_name(household: Any, stage: SchoolStage, rng: random.Random) -> str:
    suffix = {
        SchoolStage.PRESCHOOL: "幼儿园",
        SchoolStage.PRIMARY: "小学",
        SchoolStage.JUNIOR_SECONDARY: "初级中学",
        SchoolStage.SENIOR_SECONDARY: "中学",
    }[stage]
    return f"{rng.choice(['第一', '第二', '实验', '城关', '中心'])}{suffix}"
