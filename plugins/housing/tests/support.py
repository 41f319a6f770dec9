"""Builders shared by the housing plugin's tests."""

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from bangfu.core.calendar import today
from bangfu.core.idnumber import make
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Household,
    Membership,
    Person,
)
from bangfu.core.security import Role
from bangfu.plugins.housing.models import (
    DisasterReport,
    HousingAid,
    RenovationProject,
    SafetyAppraisal,
    SafetyGrade,
)
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

MODELS = (SafetyAppraisal, RenovationProject, HousingAid, DisasterReport)
_sequence = itertools.count(1)


def id_number(county: str = "141023", born: dt.date = dt.date(1975, 3, 9)) -> str:
    n = next(_sequence)
    return make(county, born + dt.timedelta(days=n), n % 999 or 1)


def gid(obj: Any) -> str:
    """The global ID of a core or housing row (model name and key)."""
    return to_global_id(type(obj).__name__, obj.id)


@dataclass
class Actors:
    housing: str  # the housing department, city-wide
    xiangfen_housing: str  # a housing department officer of Xiangfen county only
    admin: str  # a city administrator
    civil_affairs: str  # a civil-affairs officer (reads, does not write housing)
    education: str  # the education department (reads, does not write housing)


async def actors(h: Harness) -> Actors:
    return Actors(
        housing=await h.actor("zhujian", roles=[Role.DEPARTMENT_OFFICER], department="housing"),
        xiangfen_housing=await h.actor(
            "xiangfen-zhujian",
            roles=[Role.DEPARTMENT_OFFICER],
            region="141023",
            department="housing",
        ),
        admin=await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR]),
        civil_affairs=await h.actor(
            "minzheng", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023"
        ),
        education=await h.actor("jiaoyu", roles=[Role.DEPARTMENT_OFFICER], department="education"),
    )


async def household(
    h: Harness, region: str = "141023", members: int = 1
) -> tuple[Household, list[Person]]:
    """A household whose members have lived there since 2000 (memberships count from their
    start: the tests judge earlier days too)."""
    relations = ["HEAD", "SPOUSE", "CHILD", "PARENT", "CHILD", "GRANDCHILD"]
    home, persons = await h.household(
        region,
        [(relations[i], f"成员{i}", id_number(region[:6])) for i in range(members)],
    )
    async with h.session() as session, session.begin():
        await session.execute(
            update(Membership)
            .where(Membership.household_id == home.id)
            .values(start_date=dt.date(2000, 1, 1))
        )
    return home, persons


async def appraise(
    h: Harness, household: Household, grade: SafetyGrade, days_ago: int, **extra: Any
) -> SafetyAppraisal:
    async with h.session() as session, session.begin():
        row = SafetyAppraisal(
            household_id=household.id,
            grade=grade,
            appraised_on=today() - dt.timedelta(days=days_ago),
            appraiser_name="临汾市房屋安全鉴定站",
            **extra,
        )
        session.add(row)
    return row


async def certify(
    h: Harness,
    person: Person,
    category: Category = Category.DIBAO,
    *,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> None:
    organisation = await h.organisation("141023-civil-affairs")
    async with h.session() as session, session.begin():
        session.add(
            CategoryAssignment(
                person_id=person.id,
                category=category,
                valid_from=valid_from or today() - dt.timedelta(days=400),
                valid_to=valid_to,
                certifying_organisation_id=organisation.id,
            )
        )


async def row_counts(h: Harness) -> dict[str, int]:
    async with h.session() as session:
        return {
            model.__tablename__: (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
            for model in MODELS
        }


async def refused_anonymously(h: Harness, query: str, variables: dict[str, Any]) -> None:
    """Without a token: refused before anything runs (HTTP 401, or an UNAUTHENTICATED
    GraphQL error), and nothing is written."""
    before = await row_counts(h)
    response = await h.post(query, variables)
    if response.status_code != 401:
        answer = response.json()
        assert response.status_code == 200, response.text
        assert answer.get("data") is None
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["UNAUTHENTICATED"]
    assert "authentication required" in response.text
    assert await row_counts(h) == before
