"""Reference data and Linfen demo data on a temporary SQLite file."""

import asyncio
import collections
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import bangfu.core.registry.models
import bangfu.core.security.models  # noqa: F401  (registers the user tables)
from bangfu.core.care.screening_models import Problem, ScreeningVisit
from bangfu.core.db import Base, make_engine, make_sessionmaker
from bangfu.core.idnumber import parse
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Household,
    Membership,
    Organisation,
    OrganisationKind,
    Person,
    Region,
    RegionLevel,
    Relation,
)
from bangfu.core.registry.persons import read_id_number
from bangfu.core.registry.reference import (
    COUNTY_CODES,
    REFERENCE_ORGANISATIONS,
    REFERENCE_REGIONS,
    ensure_reference_data,
)
from bangfu.core.security import SYSTEM
from bangfu.core.security.crypto import FieldCipher
from bangfu.core.security.models import User
from bangfu.demo import DEMO_USERS, LEGACY_COUNTY_CODES, create_demo_users, load_demo

T = TypeVar("T")
TODAY = dt.date(2026, 3, 1)
CIPHER = FieldCipher(b"k" * 32)


def run(tmp_path: Path, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction as the system actor on ``tmp_path``'s DB."""

    async def main() -> T:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
        try:
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
            async with make_sessionmaker(engine)() as session:
                session.info["actor"] = SYSTEM
                async with session.begin():
                    return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def count(session: AsyncSession, model: Any) -> int:
    return (await session.scalar(select(func.count()).select_from(model))) or 0


def test_reference_data_is_idempotent(tmp_path: Path) -> None:
    async def work(session: AsyncSession) -> None:
        await ensure_reference_data(session)
        await ensure_reference_data(session)
        assert await count(session, Region) == len(REFERENCE_REGIONS) == 21
        assert await count(session, Organisation) == len(REFERENCE_ORGANISATIONS)
        counties = (
            await session.scalars(select(Region).where(Region.parent_code == "141000"))
        ).all()
        assert len(counties) == 20
        assert {region.level for region in counties} == {RegionLevel.COUNTY}
        assert {"141071", "141072", "141073"} <= {region.code for region in counties}
        assert all(region.path == f"141000/{region.code}/" for region in counties)
        codes = (await session.scalars(select(Organisation.code))).all()
        assert len(codes) == len(set(codes))
        assert {"141000-civil-affairs", "141023-government", "141023-civil-affairs"} <= set(codes)
        departments = (
            await session.scalars(
                select(Organisation.department).where(Organisation.department.is_not(None))
            )
        ).all()
        assert sorted(departments) == ["education", "employment", "housing", "medical"]

    run(tmp_path, work)


def test_demo_data(tmp_path: Path) -> None:
    async def work(session: AsyncSession) -> None:
        await ensure_reference_data(session)
        summary = await load_demo(session, CIPHER, None, households=300, seed=7, today=TODAY)
        households = (await session.scalars(select(Household))).all()
        persons = (await session.scalars(select(Person))).all()
        memberships = (await session.scalars(select(Membership))).all()
        assignments = (await session.scalars(select(CategoryAssignment))).all()
        regions = {region.code: region for region in await session.scalars(select(Region))}
        assert summary.households == len(households)
        assert summary.persons == len(persons)
        assert summary.categories == len(assignments)

        # Households across all 17 real county-level divisions.
        per_county = collections.Counter(h.area_path.split("/")[1] for h in households)
        assert sum(per_county[code] for code in COUNTY_CODES) >= 300
        assert all(per_county[code] > 0 for code in COUNTY_CODES)

        # Every household has exactly one current head; every person one current household.
        heads = collections.Counter(
            m.household_id
            for m in memberships
            if m.relation is Relation.HEAD and m.end_date is None
        )
        assert set(heads) == {h.id for h in households}
        assert set(heads.values()) == {1}
        assert sorted(m.person_id for m in memberships) == sorted(p.id for p in persons)

        # Areas are villages inside the county of the household.
        household_of = {m.person_id: m.household_id for m in memberships}
        household_by_id = {h.id: h for h in households}
        for row in [*households, *persons]:
            region = regions[row.region_code]
            assert region.level is RegionLevel.VILLAGE
            assert row.area_path == region.path
            assert len(row.area_path.strip("/").split("/")) == 4
        for person in persons:
            assert person.area_path == household_by_id[household_of[person.id]].area_path

        # ID numbers decrypt, parse, agree with the stored birth date and sex, never repeat.
        assert len({p.id_number_digest for p in persons}) == len(persons)
        legacy = 0
        for person in persons:
            number = parse(read_id_number(CIPHER, person), today=TODAY)
            assert number.birth_date == person.birth_date
            assert number.sex == person.sex
            assert dt.date(1930, 1, 1) <= person.birth_date <= dt.date(2024, 12, 31)
            county = person.area_path.split("/")[1]
            assert number.region_code in (county, LEGACY_COUNTY_CODES[county])
            legacy += number.region_code != county
            assert person.id_number_masked == number.value[:6] + "*" * 12
        assert legacy > 0

        # Relations agree with sex and age.
        person_by_id = {p.id: p for p in persons}
        head_of = {
            m.household_id: person_by_id[m.person_id]
            for m in memberships
            if m.relation is Relation.HEAD
        }
        for m in memberships:
            person, head = person_by_id[m.person_id], head_of[m.household_id]
            if m.relation is Relation.SPOUSE:
                assert person.sex != head.sex
            if m.relation in (Relation.CHILD, Relation.GRANDCHILD):
                assert person.birth_date > head.birth_date
            if m.relation is Relation.PARENT:
                assert person.birth_date < head.birth_date

        # All seven categories; allowances where they are due; orphans have guardians.
        kinds = collections.Counter(a.category for a in assignments)
        assert set(kinds) == set(Category)
        for a in assignments:
            assert a.valid_to is None or a.valid_to >= a.valid_from
            assert a.valid_from <= TODAY
            if a.category in (Category.DIBAO, Category.SPECIAL_HARDSHIP):
                assert a.monthly_allowance is not None
        dibao_households = {
            household_of[a.person_id] for a in assignments if a.category is Category.DIBAO
        }
        assert 0.5 < len(dibao_households) / len(households) < 0.7
        orphan_ids = {a.person_id for a in assignments if a.category is Category.ORPHAN}
        for person_id in orphan_ids:
            guardian = person_by_id[person_id].guardian_id
            assert guardian == head_of[household_of[person_id]].id
        disabled = {a.person_id for a in assignments if a.category is Category.POOR_DISABLED}
        for person_id in disabled:
            assert person_by_id[person_id].disability_category in range(1, 8)
            assert person_by_id[person_id].disability_grade in range(1, 5)
        assert any(h.is_key_household for h in households)

        with pytest.raises(RuntimeError, match="demo data already loaded"):
            await load_demo(session, CIPHER, None, households=10)

    run(tmp_path, work)


def test_demo_is_reproducible(tmp_path: Path) -> None:
    async def names(session: AsyncSession) -> list[tuple[str, str]]:
        await load_demo(session, CIPHER, None, households=40, seed=3, today=TODAY)
        rows = await session.execute(
            select(Person.name, Person.id_number_digest).order_by(Person.id)
        )
        return [tuple(row) for row in rows]

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = run(tmp_path / "a", names)
    second = run(tmp_path / "b", names)
    assert first == second
    assert len(first) >= 40


def test_demo_users(tmp_path: Path) -> None:
    async def work(session: AsyncSession) -> None:
        first = await create_demo_users(session)
        second = await create_demo_users(session)
        assert [u.id for u in first] == [u.id for u in second]
        users = (await session.scalars(select(User))).all()
        assert len(users) == len(DEMO_USERS) == 11
        assert all(u.is_demo for u in users)
        assert len({u.password_hash for u in users}) == 1
        admin = next(u for u in users if u.username == "admin")
        assert admin.roles == ["CITY_ADMINISTRATOR"]
        # The grassroots workers (R7), with their township's and village's organisations.
        by_name = {u.username: u for u in users}
        for username, region, unit in (
            ("township", "141023100", OrganisationKind.TOWNSHIP_PARTY_COMMITTEE),
            ("village", "141023100201", OrganisationKind.VILLAGE_PARTY_BRANCH),
        ):
            user = by_name[username]
            assert user.roles == ["GRASSROOTS_WORKER"] and user.region_code == region
            organisation = await session.get(Organisation, user.organisation_id)
            assert organisation is not None
            assert (organisation.kind, organisation.region_code) == (unit, region)
        kinds = set(
            await session.scalars(
                select(Organisation.kind).where(Organisation.region_code.like("141023100%"))
            )
        )
        assert kinds == {
            OrganisationKind.TOWNSHIP_PARTY_COMMITTEE,
            OrganisationKind.TOWNSHIP_GOVERNMENT,
            OrganisationKind.VILLAGE_PARTY_BRANCH,
            OrganisationKind.VILLAGE_COMMITTEE,
        }

    run(tmp_path, work)


def test_load_demo_needs_system_actor(tmp_path: Path) -> None:
    async def work(session: AsyncSession) -> None:
        session.info["actor"] = None
        with pytest.raises(RuntimeError, match="system actor"):
            await load_demo(session, CIPHER, None, households=5)

    run(tmp_path, work)


def test_host_receives_households_with_members(tmp_path: Path) -> None:
    class Host:
        def __init__(self) -> None:
            self.seen: list[Any] = []

        async def demo_data(self, session: AsyncSession, households: Any, rng: Any) -> None:
            self.seen.extend(households)

    host = Host()

    async def work(session: AsyncSession) -> None:
        await load_demo(session, CIPHER, host, households=20, today=TODAY)

    run(tmp_path, work)
    assert len(host.seen) >= 20
    for household in host.seen:
        relations = [relation for _, relation in household.demo_members]
        assert relations.count(Relation.HEAD) == 1
        assert all(isinstance(person, Person) for person, _ in household.demo_members)


def test_demo_grassroots_workers_have_their_village_and_visits(tmp_path: Path) -> None:
    """R7: 新城村 has households whatever the seed; the visits in 新城镇 are its workers'."""

    async def work(session: AsyncSession) -> None:
        users = {u.username: u for u in await create_demo_users(session)}
        await load_demo(session, CIPHER, None, households=300, seed=11, today=TODAY)
        village = (
            await session.scalars(select(Household).where(Household.region_code == "141023100201"))
        ).all()
        assert len(village) >= 5
        rows = (
            await session.execute(
                select(ScreeningVisit.visitor_id, Organisation.kind, Household.region_code)
                .join(Household, Household.id == ScreeningVisit.household_id)
                .join(Organisation, Organisation.id == ScreeningVisit.organisation_id)
                .where(Household.area_path.like("141000/141023/141023100/%"))
            )
        ).all()
        in_village = [r for r in rows if r.region_code == "141023100201"]
        assert in_village
        assert {(r.visitor_id, r.kind) for r in in_village} == {
            (users["village"].id, OrganisationKind.VILLAGE_PARTY_BRANCH)
        }
        assert {(r.visitor_id, r.kind) for r in rows if r.region_code != "141023100201"} <= {
            (users["township"].id, OrganisationKind.TOWNSHIP_PARTY_COMMITTEE)
        }
        problems = await session.scalar(
            select(func.count())
            .select_from(Problem)
            .join(ScreeningVisit, ScreeningVisit.id == Problem.visit_id)
            .where(ScreeningVisit.visitor_id == users["village"].id)
        )
        assert problems  # the problems found on those visits are the village worker's

    run(tmp_path, work)
