"""Fixtures of the employment plugin's tests: two counties, a few persons, the actors."""

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.idnumber import make
from bangfu.core.registry.models import Person
from bangfu.core.security import Role
from bangfu.plugins.employment.models import MODELS
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

XIANGFEN, HONGDONG = "141023", "141024"  # 襄汾县, 洪洞县


def years_ago(years: int, days: int = 0) -> dt.date:
    """A birth date: ``years`` years (and ``days`` days) before today."""
    day = today()
    try:
        born = day.replace(year=day.year - years)
    except ValueError:  # 29 February
        born = day.replace(year=day.year - years, day=28)
    return born - dt.timedelta(days=days)


def days_ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


def gid(person: Person) -> str:
    return to_global_id("Person", person.id)


@dataclasses.dataclass
class World:
    """Persons in Xiangfen (and one in Hongdong) and tokens of the actors who matter."""

    worker: Person  # 40, Xiangfen
    spouse: Person  # 38, Xiangfen
    youth: Person  # 17, Xiangfen
    child: Person  # 9, Xiangfen
    elder: Person  # 66, Xiangfen
    outsider: Person  # 35, Hongdong
    employment_city: str  # employment department, whole city
    employment_xiangfen: str  # employment department, Xiangfen only
    admin: str  # city administrator
    civil_affairs: str  # Xiangfen civil affairs
    education: str  # education department, whole city


@pytest.fixture
async def world(harness: Harness) -> World:
    h = harness
    _, (worker, spouse, youth, child, elder) = await h.household(
        XIANGFEN,
        [
            ("HEAD", "孙建军", make(XIANGFEN, years_ago(40, 10), 11)),
            ("SPOUSE", "李秀英", make(XIANGFEN, years_ago(38, 40), 22)),
            ("CHILD", "孙晓东", make(XIANGFEN, years_ago(17, 30), 31)),
            ("CHILD", "孙晓雨", make(XIANGFEN, years_ago(9, 3), 42)),
            ("PARENT", "孙老汉", make(XIANGFEN, years_ago(66, 5), 51)),
        ],
    )
    _, (outsider,) = await h.household(
        HONGDONG, [("HEAD", "王志强", make(HONGDONG, years_ago(35, 7), 13))]
    )
    return World(
        worker=worker,
        spouse=spouse,
        youth=youth,
        child=child,
        elder=elder,
        outsider=outsider,
        employment_city=await h.actor(
            "hrss-city", roles=[Role.DEPARTMENT_OFFICER], department="employment"
        ),
        employment_xiangfen=await h.actor(
            "hrss-xiangfen",
            roles=[Role.DEPARTMENT_OFFICER],
            region=XIANGFEN,
            department="employment",
        ),
        admin=await h.actor("city-admin", roles=[Role.CITY_ADMINISTRATOR]),
        civil_affairs=await h.actor(
            "xiangfen-civil", roles=[Role.CIVIL_AFFAIRS_OFFICER], region=XIANGFEN
        ),
        education=await h.actor(
            "edu-city", roles=[Role.DEPARTMENT_OFFICER], department="education"
        ),
    )


@pytest.fixture
async def employment_only(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    """Core and this plugin only: the statements counted are ours alone."""
    async with Harness.start(tmp_path, database_url=database_url, plugins=["employment"]) as h:
        yield h


async def row_counts(h: Harness) -> dict[str, int]:
    """Rows in each employment table (as the system actor)."""
    async with h.session() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in MODELS
        }


async def mutate(h: Harness, name: str, input: dict[str, Any], token: str) -> dict[str, Any]:
    """Run one employment mutation; return its payload (GraphQL errors fail the test)."""
    data = await h.ok(MUTATIONS[name], {"input": input}, token=token)
    return data[name]  # type: ignore[no-any-return]


STATUS = "id status employer monthlyIncome since until"
TRAINING = "id course provider startDate endDate completed"
PLACEMENT = "id employer post startDate endDate monthlyWage"
WELFARE_POST = "id post monthlySubsidy startDate endDate"
ERRORS = "errors { field message code }"

MUTATIONS = {
    "employmentStatusRecord": f"""
mutation($input: EmploymentStatusRecordInput!) {{
  employmentStatusRecord(input: $input) {{ workStatus {{ {STATUS} }} {ERRORS} }}
}}""",
    "employmentTrainingRecord": f"""
mutation($input: EmploymentTrainingRecordInput!) {{
  employmentTrainingRecord(input: $input) {{ training {{ {TRAINING} }} {ERRORS} }}
}}""",
    "employmentTrainingComplete": f"""
mutation($input: EmploymentTrainingCompleteInput!) {{
  employmentTrainingComplete(input: $input) {{ training {{ {TRAINING} }} {ERRORS} }}
}}""",
    "employmentPlacementRecord": f"""
mutation($input: EmploymentPlacementRecordInput!) {{
  employmentPlacementRecord(input: $input) {{
    placement {{ {PLACEMENT} }} workStatus {{ {STATUS} }} {ERRORS}
  }}
}}""",
    "employmentWelfarePostAssign": f"""
mutation($input: EmploymentWelfarePostAssignInput!) {{
  employmentWelfarePostAssign(input: $input) {{
    welfarePost {{ {WELFARE_POST} }} workStatus {{ {STATUS} }} {ERRORS}
  }}
}}""",
}

PERSON_EMPLOYMENT = f"""
query($id: ID!) {{
  person(id: $id) {{
    employment {{
      currentStatus {{ {STATUS} }}
      history {{ {STATUS} }}
      trainings {{ {TRAINING} }}
      placements {{ {PLACEMENT} }}
      currentPlacement {{ employer }}
      welfarePosts {{ {WELFARE_POST} }}
      currentWelfarePost {{ post }}
    }}
  }}
}}"""
