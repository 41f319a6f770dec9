"""Builders shared by the care tests (``tests/test_care_*.py``); no tests here."""

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from bangfu.core.calendar import today
from bangfu.core.registry.models import Category, CategoryAssignment, Organisation
from bangfu.core.security import Role
from bangfu.core.security.models import User
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, World, id_number


@dataclass
class Family:
    """A household registered directly, and its members (global IDs and keys)."""

    household_id: int
    person_ids: list[int]
    gid: str = ""
    person_gids: list[str] = field(default_factory=list)


async def family(
    h: Harness,
    village: str = XIANGFEN_VILLAGE,
    *,
    categories: tuple[Category | None, ...] = (Category.SPECIAL_HARDSHIP,),
    since: dt.date | None = None,
) -> Family:
    """A household with one member per entry of ``categories`` (the first is the head);
    each member holds the category given (None: none) from ``since`` (a year ago)."""
    county = village[:6]
    relations = ["HEAD", *["CHILD"] * (len(categories) - 1)]
    household, persons = await h.household(
        village,
        [
            (relation, f"成员{i}", id_number(dt.date(1970 + 10 * i, 3, 1), county))
            for i, relation in enumerate(relations)
        ],
    )
    since = since or today() - dt.timedelta(days=365)
    async with h.session() as session, session.begin():
        certifier = await session.scalar(
            select(Organisation.id).where(Organisation.code == f"{county}-civil-affairs")
        )
        assert certifier is not None
        for person, category in zip(persons, categories, strict=True):
            if category is not None:
                session.add(
                    CategoryAssignment(
                        person_id=person.id,
                        category=category,
                        valid_from=since,
                        certifying_organisation_id=certifier,
                    )
                )
    return Family(
        household_id=household.id,
        person_ids=[p.id for p in persons],
        gid=to_global_id("Household", household.id),
        person_gids=[to_global_id("Person", p.id) for p in persons],
    )


async def official(h: Harness, username: str, region: str = "141023") -> tuple[str, str]:
    """A paired official: (token, User global ID)."""
    token = await h.actor(username, roles=[Role.PAIRED_OFFICIAL], region=region)
    return token, await user_gid(h, username)


async def user_gid(h: Harness, username: str) -> str:
    async with h.session() as session:
        user_id = await session.scalar(select(User.id).where(User.username == username))
    return to_global_id("User", user_id)


async def organisation_gid(h: Harness, code: str) -> str:
    return to_global_id("Organisation", (await h.organisation(code)).id)


PAIRING_START = """
mutation($input: PairingStartInput!) {
  pairingStart(input: $input) {
    pairing { id active startDate person { id name } official { id displayName } }
    errors { field message code }
  }
}"""


async def pair(world: World, person_gid: str, official_gid: str) -> str:
    data = await world.h.ok(
        PAIRING_START,
        {"input": {"personId": person_gid, "officialId": official_gid}},
        token=world.xiangfen,
    )
    assert data["pairingStart"]["errors"] == [], data
    return data["pairingStart"]["pairing"]["id"]  # type: ignore[no-any-return]
