"""Core's bottom-line findings say the first day the calendar alone may change them (issue 17)."""

import datetime as dt
import decimal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import Finding, Indicator, Status, birthday, core_rules, next_birthday
from bangfu.core.care.models import Pairing
from bangfu.core.config import PAIRING_CATEGORIES, Settings
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Membership,
    Organisation,
    Person,
)
from bangfu.core.security import Role
from bangfu.core.security.models import User
from bangfu.testing import Harness
from bangfu.testing_time import check_valid_until
from tests.helpers import id_number

AS_OF = dt.date(2026, 1, 10)
DEFAULTS = Settings()
PAIRING = list(PAIRING_CATEGORIES)
COUNTY = "141023"
FOOD, EAT_WELL, IN_CHARGE = Indicator.FOOD, Indicator.EAT_WELL, Indicator.SOMEONE_IN_CHARGE


def day(offset: int) -> dt.date:
    return AS_OF + dt.timedelta(days=offset)


def test_birthday_helpers() -> None:
    assert birthday(dt.date(2008, 2, 29), 18) == dt.date(2026, 3, 1)
    assert birthday(dt.date(2008, 2, 29), 16) == dt.date(2024, 2, 29)
    assert next_birthday(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == dt.date(2026, 3, 1)
    assert next_birthday(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == dt.date(2027, 3, 1)


class World:
    def __init__(self, h: Harness) -> None:
        self.h = h

    async def grant(
        self,
        person: Person,
        category: Category,
        allowance: str | None,
        valid_from: dt.date = dt.date(2025, 1, 1),
        valid_to: dt.date | None = None,
    ) -> None:
        async with self.h.session() as session, session.begin():
            certifier = await session.scalar(
                select(Organisation.id).where(Organisation.code == f"{COUNTY}-civil-affairs")
            )
            assert certifier is not None
            session.add(
                CategoryAssignment(
                    person_id=person.id,
                    category=category,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    certifying_organisation_id=certifier,
                    monthly_allowance=decimal.Decimal(allowance) if allowance else None,
                )
            )

    async def pair(self, person: Person, start: dt.date, end: dt.date | None = None) -> None:
        await self.h.actor(f"official{person.id}", roles=[Role.PAIRED_OFFICIAL], region=COUNTY)
        async with self.h.session() as session, session.begin():
            official = await session.scalar(
                select(User.id).where(User.username == f"official{person.id}")
            )
            assert official is not None
            session.add(
                Pairing(person_id=person.id, official_id=official, start_date=start, end_date=end)
            )

    async def judge(self, persons: Sequence[Person], on: dt.date) -> dict[Any, Finding]:
        async with self.h.session() as session:
            page = (
                await session.scalars(select(Person).where(Person.id.in_([p.id for p in persons])))
            ).all()
            found = await _judge(self.h, page, session, on)
        return {(f.person_id, f.indicator): f for f in found}


async def _judge(h: Harness, persons: Sequence[Any], session: AsyncSession, on: dt.date) -> Any:
    return await core_rules.judge(
        persons, session, on, h.settings.eat_well_monthly_yuan, h.settings.pairing_categories
    )


@pytest.mark.anyio
async def test_valid_until_of_each_dependency(harness: Harness) -> None:
    w = World(harness)
    _, (head, child) = await harness.household(
        COUNTY,
        [
            ("HEAD", "户主", id_number(dt.date(1980, 5, 1))),
            ("CHILD", "闰日", id_number(dt.date(2008, 2, 29))),
        ],
    )
    # The head's dibao allowance ends tomorrow; the child holds dibao without one.
    await w.grant(head, Category.DIBAO, "900", valid_to=day(1))
    await w.grant(child, Category.DIBAO, None)
    _, (elder, sibling) = await harness.household(
        COUNTY,
        [
            ("HEAD", "兄", id_number(dt.date(2008, 4, 15))),
            ("SIBLING", "弟", id_number(dt.date(2012, 6, 1))),
        ],
    )
    await w.grant(elder, Category.DIBAO, "600")
    await w.grant(sibling, Category.DIBAO, "600")
    _, (later, paired, waiting) = await harness.household(
        COUNTY,
        [
            ("HEAD", "将来", id_number(dt.date(1970, 1, 1))),
            ("SPOUSE", "结对", id_number(dt.date(1971, 1, 1))),
            ("OTHER", "待结对", id_number(dt.date(1972, 1, 1))),
        ],
    )
    # A category (with an allowance for the household) from next month; a pairing ending
    # in ten days; a pairing starting in five.
    await w.grant(later, Category.SPECIAL_HARDSHIP, "300", valid_from=day(30))
    await w.grant(paired, Category.SPECIAL_HARDSHIP, "800")
    await w.grant(waiting, Category.SPECIAL_HARDSHIP, "800")
    await w.pair(paired, dt.date(2025, 1, 1), day(10))
    await w.pair(waiting, day(5))
    # A member with an allowance joins in twenty days (a membership written with a future
    # start before the rule refused one); the head holds dibao without an allowance.
    _, (alone, joining) = await harness.household(
        COUNTY,
        [
            ("HEAD", "独居", id_number(dt.date(1960, 1, 1))),
            ("OTHER", "迁入", id_number(dt.date(1962, 1, 1))),
        ],
    )
    await w.grant(alone, Category.DIBAO, None)
    await w.grant(joining, Category.DIBAO, "900")
    async with harness.session() as session, session.begin():
        # Every household was there before the day judged; the one member joins later.
        await session.execute(update(Membership).values(start_date=dt.date(2025, 1, 1)))
        await session.execute(
            update(Membership).where(Membership.person_id == joining.id).values(start_date=day(20))
        )
    everyone = [head, child, elder, sibling, later, paired, waiting, alone]

    with harness.count_statements() as counter:
        found = await w.judge(everyone, AS_OF)
    assert counter.count == 5  # the persons, then core's four (no guardian recorded)

    def until(person: Person, indicator: Indicator) -> dt.date | None:
        return found[person.id, indicator].valid_until

    # A category ending tomorrow: its valid_to + 1, for all three, and for the household.
    assert until(head, FOOD) == until(head, EAT_WELL) == until(head, IN_CHARGE) == day(2)
    assert until(child, FOOD) == until(child, EAT_WELL) == day(2)
    # Born on 29 February: 18 on 1 March 2026 (a common year).
    assert until(child, IN_CHARGE) == dt.date(2026, 3, 1)
    # No adult at home until the elder brother turns 18.
    assert found[sibling.id, IN_CHARGE].status is Status.AT_RISK
    assert until(sibling, IN_CHARGE) == until(elder, IN_CHARGE) == dt.date(2026, 4, 15)
    assert until(elder, FOOD) is None and until(sibling, EAT_WELL) is None
    # A category from next month: not in hardship until then; the household's allowance too.
    assert found[later.id, FOOD].status is Status.NOT_APPLICABLE
    assert until(later, FOOD) == until(later, IN_CHARGE) == day(30)
    assert until(paired, EAT_WELL) == until(waiting, EAT_WELL) == day(30)
    assert until(paired, FOOD) is None  # their own allowance: the household's do not matter
    # Pairings: the end date (the pairing holds up to, not on, it), a start date.
    assert until(paired, IN_CHARGE) == day(10)
    assert found[waiting.id, IN_CHARGE].status is Status.AT_RISK
    assert until(waiting, IN_CHARGE) == day(5)
    # A member joining: the household's allowances count from that day.
    assert found[alone.id, FOOD].status is Status.AT_RISK
    assert until(alone, FOOD) == until(alone, EAT_WELL) == day(20)

    # The day before each, nothing changes; on the day, something does.
    for person, indicator in [
        (head, FOOD),
        (child, IN_CHARGE),
        (sibling, IN_CHARGE),
        (later, FOOD),
        (paired, IN_CHARGE),
        (waiting, IN_CHARGE),
        (child, FOOD),
        (child, EAT_WELL),
        (alone, FOOD),
    ]:
        first = until(person, indicator)
        assert first is not None
        before = (await w.judge([person], first - dt.timedelta(days=1)))[person.id, indicator]
        on = (await w.judge([person], first))[person.id, indicator]
        was = found[person.id, indicator]
        assert (before.status, before.reasons) == (was.status, was.reasons)
        assert (on.status, on.reasons) != (was.status, was.reasons), (person.name, indicator)


def test_valid_until_on_demo_data(tmp_path: Path, database_url: str | None) -> None:
    """Judged on a later day before valid_until, core's findings are the same."""

    async def judge(persons: Sequence[Any], session: AsyncSession, on: dt.date) -> Any:
        return await core_rules.judge(persons, session, on, DEFAULTS.eat_well_monthly_yuan, PAIRING)

    check_valid_until(tmp_path, database_url, judge)
