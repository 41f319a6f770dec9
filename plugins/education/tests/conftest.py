"""Fixtures of the education plugin's tests.

``harness`` is overridden to load the education plugin alone (as a department's plugin
would be tested in its own repository): these tests depend on no other plugin. Like
Bangfu's own fixture it runs each test on SQLite, then on PostgreSQL when
``BANGFU_TEST_DATABASE_URL`` is set.
"""

import dataclasses
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.idnumber import make
from bangfu.core.registry.models import Organisation, Person
from bangfu.core.security import Role
from bangfu.plugins.education.models import EducationAid, Enrolment
from bangfu.plugins.education.rules import born_on_or_before
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

_sequence = itertools.count(101)


def born(years: int, days: int = 40) -> dt.date:
    """A birth date that makes a person ``years`` old today (and for ``days`` more)."""
    return born_on_or_before(today(), years) - dt.timedelta(days=days)


def id_number(birth_date: dt.date, county: str = "141023") -> str:
    return make(county, birth_date, next(_sequence) % 999 or 1)


def gid(person: Person) -> str:
    return to_global_id("Person", person.id)


@pytest.fixture
async def harness(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    async with Harness.start(tmp_path, database_url=database_url, plugins=["education"]) as h:
        yield h


@dataclasses.dataclass
class World:
    """A Xiangfen household with children of several ages, and actors of every kind."""

    h: Harness
    parent: Person
    child: Person  # 10: compulsory-education age, under 14
    teen: Person  # 15: the last year of compulsory age, 14 or over
    toddler: Person  # 4
    education: str  # the city education bureau's officer
    admin: str  # a city administrator
    civil_affairs: str  # Xiangfen's civil-affairs officer (reads children's data)
    medical: str  # the medical-security bureau's officer
    supervisor: str  # reads non-sensitive data only
    hongtong_education: str  # an education officer of another county
    bureau_id: str  # global ID of the city education bureau (an Organisation)

    async def ok(self, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        return await self.h.ok(query, variables, token=token)

    async def counts(self) -> tuple[int, int]:
        """Rows in the plugin's tables: (enrolments, aid)."""
        async with self.h.session() as session:
            enrolments = await session.scalar(select(func.count(Enrolment.id)))
            aid = await session.scalar(select(func.count(EducationAid.id)))
        return int(enrolments or 0), int(aid or 0)


@pytest.fixture
async def world(harness: Harness) -> World:
    return await make_world(harness)


async def make_world(h: Harness) -> World:
    _, (parent, child, teen, toddler) = await h.household(
        "141023",
        [
            ("HEAD", "王建国", id_number(born(40))),
            ("CHILD", "王小明", id_number(born(10))),
            ("CHILD", "王小红", id_number(born(15))),
            ("CHILD", "王小宝", id_number(born(4))),
        ],
    )
    async with h.session() as session:
        bureau = await session.scalar(
            select(Organisation).where(Organisation.code == "141000-education")
        )
    assert bureau is not None
    return World(
        h=h,
        parent=parent,
        child=child,
        teen=teen,
        toddler=toddler,
        education=await h.actor("edu", roles=[Role.DEPARTMENT_OFFICER], department="education"),
        admin=await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR]),
        civil_affairs=await h.actor(
            "xiangfen", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023"
        ),
        medical=await h.actor("med", roles=[Role.DEPARTMENT_OFFICER], department="medical"),
        supervisor=await h.actor("supervisor", roles=[Role.SUPERVISOR]),
        hongtong_education=await h.actor(
            "hongtong-edu",
            roles=[Role.DEPARTMENT_OFFICER],
            region="141024",
            department="education",
        ),
        bureau_id=to_global_id("Organisation", bureau.id),
    )
