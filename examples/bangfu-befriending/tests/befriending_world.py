"""A small world for the befriending tests: one Xiangfen household, volunteers of two
mass organisations, a paired official, and staff of other kinds."""

import dataclasses
import datetime as dt
import itertools
from typing import Any

from bangfu_befriending.models import Contact, Flag, Relationship
from sqlalchemy import func, select

from bangfu.plugin import Pairing, Person, Role, User, to_global_id, today
from bangfu.testing import Harness, make_id_number

_sequence = itertools.count(201)


def years_ago(years: int) -> dt.date:
    day = today()
    return day.replace(year=day.year - years, day=1) - dt.timedelta(days=40)


def id_number(birth_date: dt.date, county: str = "141023") -> str:
    return make_id_number(county, birth_date, next(_sequence))


def gid(person: Person) -> str:
    return to_global_id("Person", person.id)


@dataclasses.dataclass
class World:
    h: Harness
    parent: Person  # 40
    child: Person  # 10: a child under 14
    teen: Person  # 16
    womens: str  # a women's-federation volunteer
    union: str  # a trade-union volunteer
    paired: str  # the child's and the teen's paired official
    other_paired: str  # a paired official of nobody here
    admin: str
    civil_affairs: str  # Xiangfen's civil-affairs officer
    education: str  # a department officer

    async def ok(self, query: str, variables: dict[str, Any] | None, token: str) -> dict[str, Any]:
        return await self.h.ok(query, variables, token=token)

    async def counts(self) -> tuple[int, int, int]:
        counted = []
        async with self.h.session() as session:
            for model in (Relationship, Contact, Flag):
                counted.append(int(await session.scalar(select(func.count(model.id))) or 0))
        return counted[0], counted[1], counted[2]


async def make_world(h: Harness) -> World:
    _, (parent, child, teen) = await h.household(
        "141023",
        [
            ("HEAD", "李建国", id_number(years_ago(40))),
            ("CHILD", "李小梅", id_number(years_ago(10))),
            ("CHILD", "李小军", id_number(years_ago(16))),
        ],
    )
    member = [Role.MASS_ORGANISATION_MEMBER]
    world = World(
        h=h,
        parent=parent,
        child=child,
        teen=teen,
        womens=await h.actor("wf", roles=member, organisation="141000-womens-federation"),
        union=await h.actor("tu", roles=member, organisation="141000-trade-union"),
        paired=await h.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023"),
        other_paired=await h.actor("paired2", roles=[Role.PAIRED_OFFICIAL], region="141023"),
        admin=await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR]),
        civil_affairs=await h.actor("xf", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023"),
        education=await h.actor("edu", roles=[Role.DEPARTMENT_OFFICER], department="education"),
    )
    async with h.session() as session, session.begin():
        official = await session.scalar(select(User).where(User.username == "paired"))
        assert official is not None
        for person in (child, teen):
            session.add(
                Pairing(person_id=person.id, official_id=official.id, start_date=years_ago(1))
            )
    return world
