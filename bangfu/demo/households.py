"""Linfen demo data, reproducible from a seed (``bangfu demo``, ``bangfu serve --demo``).

Townships and villages for every county-level division, households with plausible members,
valid and unique ID numbers, the hardship categories certified by the county civil-affairs
bureaux and the plugins' own demo rows (``bangfu_demo_data``). Everything is
fictitious: names, ID numbers, phone numbers, addresses, village names and codes.
"""

import dataclasses
import datetime as dt
import enum
import functools
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.db import Base
from bangfu.core.idnumber import IdNumber, Sex, make, parse
from bangfu.core.registry import eligibility
from bangfu.core.registry.eligibility import veterans_affairs_code
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Household,
    HukouType,
    Membership,
    Organisation,
    Person,
    Region,
    RegionLevel,
    Relation,
)
from bangfu.core.registry.persons import id_number_digest, new_person
from bangfu.core.registry.reference import (
    CITY_CODE,
    COUNTIES,
    COUNTY_CODES,
    RegionReference,
    civil_affairs_code,
    ensure_reference_data,
    missing_regions,
)
from bangfu.core.security.crypto import FieldCipher
from bangfu.demo import grassroots
from bangfu.demo import names as demo_names
from bangfu.demo.care import load_care_demo
from bangfu.demo.grassroots import ensure_demo_grassroots

__all__ = ["LEGACY_COUNTY_CODES", "DemoSummary", "demo_regions", "load_demo"]

#: Address codes in use before 2000, when Linfen was 临汾地区 (1426xx); people born before
#: then mostly still carry them in their ID numbers.
LEGACY_COUNTY_CODES: dict[str, str] = {
    "141002": "142601",
    "141021": "142621",
    "141022": "142622",
    "141023": "142623",
    "141024": "142625",
    "141025": "142627",
    "141026": "142628",
    "141027": "142629",
    "141028": "142630",
    "141029": "142631",
    "141030": "142633",
    "141031": "142635",
    "141032": "142634",
    "141033": "142632",
    "141034": "142636",
    "141081": "142602",
    "141082": "142603",
}

#: Rough resident population in ten thousands (2020 census), to weight households.
COUNTY_POPULATION: dict[str, int] = {
    "141002": 94,
    "141021": 22,
    "141022": 28,
    "141023": 40,
    "141024": 70,
    "141025": 9,
    "141026": 8,
    "141027": 11,
    "141028": 9,
    "141029": 21,
    "141030": 6,
    "141031": 10,
    "141032": 5,
    "141033": 9,
    "141034": 12,
    "141081": 24,
    "141082": 26,
}

EARLIEST_BIRTH = dt.date(1930, 1, 2)
LATEST_BIRTH = dt.date(2024, 12, 31)
_BATCH = 1000
T = TypeVar("T")
_SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclasses.dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` wrote (core rows only)."""

    households: int
    persons: int
    categories: int


# -- regions ------------------------------------------------------------------


@functools.cache
def demo_regions() -> tuple[RegionReference, ...]:
    """Townships and villages of every county-level division (the same for every seed).

    Township codes are the county code + 3 digits (001… sub-districts, 100… towns,
    200… townships), village codes the township code + 3 digits; made up for the demo.
    """
    rows: list[RegionReference] = []
    for county_code, _ in COUNTIES:
        county_path = f"{CITY_CODE}/{county_code}/"
        next_number = {"街道": 1, "镇": 100, "乡": 200}
        for t_index, township_name in enumerate(demo_names.TOWNSHIPS[county_code]):
            kind = "街道" if township_name.endswith("街道") else township_name[-1]
            township_code = f"{county_code}{next_number[kind]:03d}"
            next_number[kind] += 1
            township_path = f"{county_path}{township_code}/"
            rows.append(
                RegionReference(
                    township_code,
                    township_name,
                    RegionLevel.TOWNSHIP,
                    county_code,
                    township_path,
                    t_index,
                )
            )
            names = _village_names(township_code, township_name)
            first = 1 if kind == "街道" else 201
            for v_index, village_name in enumerate(names):
                village_code = f"{township_code}{first + v_index:03d}"
                rows.append(
                    RegionReference(
                        village_code,
                        village_name,
                        RegionLevel.VILLAGE,
                        township_code,
                        f"{township_path}{village_code}/",
                        v_index,
                    )
                )
    return tuple(rows)


def _village_names(township_code: str, township_name: str) -> list[str]:
    # Seeded by the township code alone: the geography does not depend on the demo seed.
    rng = random.Random(f"bangfu-villages-{township_code}")
    count = rng.randint(3, 6)
    if township_name.endswith("街道"):
        return [f"{word}社区" for word in rng.sample(demo_names.COMMUNITY_WORDS, count)]
    base = township_name.removesuffix("镇").removesuffix("乡")
    names = [f"{base}村"] if township_name.endswith("镇") else []
    while len(names) < count:
        if rng.random() < 0.75:
            core = rng.choice(demo_names.VILLAGE_SURNAMES) + rng.choice(demo_names.VILLAGE_SUFFIXES)
        else:
            core = rng.choice(demo_names.VILLAGE_PLACES)
        name = rng.choice(demo_names.VILLAGE_PREFIXES) + core + "村"
        if len(name) >= 3 and name not in names:
            names.append(name)
    return names


async def _ensure_demo_regions(session: AsyncSession) -> dict[str, Region]:
    """Insert the missing demo regions; return every region by code."""
    # Parents come before children in demo_regions(), and batches keep that order.
    await _add_in_batches(session, await missing_regions(session, demo_regions()))
    return {region.code: region for region in (await session.scalars(select(Region))).all()}


# -- households and members -------------------------------------------------------


class _Kind(enum.Enum):
    FAMILY = "family"
    VETERAN = "veteran"  # needy entitled group: a veteran heads the household
    ELDER_ALONE = "elder_alone"  # special-hardship person living alone
    ORPHANS = "orphans"  # orphans living with a grandparent
    DE_FACTO = "de_facto"  # de-facto unsupported children living with a grandparent
    DIFFICULTY = "difficulty"  # children in difficulty: a parent is severely disabled


@dataclasses.dataclass
class _Member:
    relation: Relation
    sex: Sex
    birth: dt.date
    surname: str
    name: str = ""
    categories: list[Category] = dataclasses.field(default_factory=list)
    disabled: bool = False
    digest: str = ""
    person: Person | None = None


@dataclasses.dataclass
class _Plan:
    kind: _Kind
    county: str
    village: Region
    members: list[_Member] = dataclasses.field(default_factory=list)
    dibao: bool = False
    key: bool = False


class _Generator:
    """Everything random about one demo run, drawn from one seeded ``random.Random``."""

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.max_age = today.year - EARLIEST_BIRTH.year - 1
        self._surnames = [s for s, _ in demo_names.SURNAMES]
        self._surname_weights = [w for _, w in demo_names.SURNAMES]

    # ages, dates, names

    def surname(self) -> str:
        return self.rng.choices(self._surnames, self._surname_weights)[0]

    def birth(self, age: int) -> dt.date:
        age = max(0, min(age, self.max_age))
        born = self.today - dt.timedelta(days=int(age * 365.2425) + self.rng.randint(0, 364))
        latest = min(LATEST_BIRTH, self.today)
        if born > latest:
            born = latest - dt.timedelta(days=self.rng.randint(0, 364))
        return max(born, EARLIEST_BIRTH)

    def given_name(self, sex: Sex, birth: dt.date) -> str:
        male = sex is Sex.MALE
        if birth.year < 1965:
            pool = demo_names.GIVEN_NAMES_OLD_MALE if male else demo_names.GIVEN_NAMES_OLD_FEMALE
        elif birth.year < 1995:
            pool = (
                demo_names.GIVEN_NAMES_MIDDLE_MALE if male else demo_names.GIVEN_NAMES_MIDDLE_FEMALE
            )
        else:
            pool = (
                demo_names.GIVEN_NAMES_YOUNG_MALE if male else demo_names.GIVEN_NAMES_YOUNG_FEMALE
            )
        return self.rng.choice(pool)

    def random_sex(self) -> Sex:
        return Sex.MALE if self.rng.random() < 0.51 else Sex.FEMALE

    def date_between(self, first: dt.date, last: dt.date) -> dt.date:
        if last <= first:
            return first
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    def years_ago(self, low: int, high: int) -> dt.date:
        """A day between ``high`` and ``low`` years before today."""
        return self.today - dt.timedelta(days=self.rng.randint(365 * low, 365 * high))

    def allowance(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randrange(low, high + 1, 10)).quantize(Decimal("0.01"))

    def phone(self) -> str:
        return self.rng.choice(demo_names.PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    # members

    def member(
        self, relation: Relation, sex: Sex, age: int, head: "_Member | None", *, same_name: float
    ) -> _Member:
        birth = self.birth(age)
        surname = head.surname if head and self.rng.random() < same_name else self.surname()
        return _Member(relation, sex, birth, surname, surname + self.given_name(sex, birth))

    def age_of(self, member: _Member) -> int:
        return (self.today - member.birth).days // 365

    def household(self, kind: _Kind) -> list[_Member]:
        rng = self.rng
        if kind is _Kind.ELDER_ALONE:
            sex = Sex.FEMALE if rng.random() < 0.55 else Sex.MALE
            return [self.member(Relation.HEAD, sex, rng.randint(60, 95), None, same_name=0)]
        if kind in (_Kind.ORPHANS, _Kind.DE_FACTO):
            return self._grandparents_and_grandchildren(kind)
        if kind is _Kind.DIFFICULTY:
            return self._family(rng.randint(28, 50), minors_only=True)
        if kind is _Kind.VETERAN:
            return self._family(rng.randint(50, 92), head_sex=Sex.MALE)
        return self._family(int(rng.triangular(22, 88, 52)))

    def _grandparents_and_grandchildren(self, kind: _Kind) -> list[_Member]:
        rng = self.rng
        head_sex = Sex.MALE if rng.random() < 0.55 else Sex.FEMALE
        head_age = rng.randint(56, 82)
        head = self.member(Relation.HEAD, head_sex, head_age, None, same_name=0)
        members = [head]
        if rng.random() < 0.55:
            members.append(self._spouse(head, head_age))
        category = Category.ORPHAN if kind is _Kind.ORPHANS else Category.DE_FACTO_UNSUPPORTED_CHILD
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            child = self.member(
                Relation.GRANDCHILD,
                self.random_sex(),
                rng.randint(1, 17),
                head,
                same_name=0.9 if head_sex is Sex.MALE else 0.4,
            )
            child.categories.append(category)
            members.append(child)
        return members

    def _spouse(self, head: _Member, head_age: int) -> _Member:
        if head.sex is Sex.MALE:
            sex, age = Sex.FEMALE, head_age - self.rng.randint(-2, 5)
        else:
            sex, age = Sex.MALE, head_age + self.rng.randint(-2, 5)
        return self.member(Relation.SPOUSE, sex, max(age, 20), head, same_name=0)

    def _family(
        self, head_age: int, *, head_sex: Sex | None = None, minors_only: bool = False
    ) -> list[_Member]:
        rng = self.rng
        if head_sex is None:
            head_sex = Sex.MALE if rng.random() < 0.8 else Sex.FEMALE
        head = self.member(Relation.HEAD, head_sex, head_age, None, same_name=0)
        children_name = 0.95 if head_sex is Sex.MALE else 0.7
        others: list[_Member] = []
        if rng.random() < (0.85 if head_age < 70 else 0.55):
            others.append(self._spouse(head, head_age))
        if minors_only:
            count = rng.choice((1, 1, 2, 2, 3))
            ages = [rng.randint(1, min(17, head_age - 20)) for _ in range(count)]
        elif head_age <= 62:
            ages = [head_age - rng.randint(22, 36) for _ in range(rng.choice((0, 1, 1, 2, 2, 3)))]
        else:
            ages = [head_age - rng.randint(24, 36) for _ in range(rng.choice((0, 0, 0, 1)))]
        for age in ages:
            if age >= 0:
                others.append(
                    self.member(
                        Relation.CHILD, self.random_sex(), age, head, same_name=children_name
                    )
                )
        if head_age >= 48 and not minors_only and rng.random() < 0.4:
            for _ in range(rng.choice((1, 1, 2))):
                age = head_age - rng.randint(44, 60)
                if age >= 0:
                    others.append(
                        self.member(
                            Relation.GRANDCHILD, self.random_sex(), age, head, same_name=0.85
                        )
                    )
        if head_age <= 58 and rng.random() < 0.35:
            for sex in rng.sample((Sex.MALE, Sex.FEMALE), rng.choice((1, 2))):
                age = head_age + rng.randint(22, 34)
                if age <= self.max_age:
                    # The head's father shares the head's surname; the mother rarely does.
                    same = 1.0 if sex is Sex.MALE and head_sex is Sex.MALE else 0.1
                    others.append(self.member(Relation.PARENT, sex, age, head, same_name=same))
        if rng.random() < 0.04:
            age = max(18, head_age + rng.randint(-10, 10))
            others.append(
                self.member(Relation.SIBLING, self.random_sex(), age, head, same_name=0.9)
            )
        return [head, *others[:5]]


def _allocate(total: int, weights: dict[str, int], minimum: int) -> dict[str, int]:
    """Split ``total`` over the keys by weight (largest remainder), each at least ``minimum``."""
    counts = dict.fromkeys(weights, minimum)
    rest = max(total - minimum * len(weights), 0)
    weight_sum = sum(weights.values())
    shares = {key: rest * weight / weight_sum for key, weight in weights.items()}
    for key, share in shares.items():
        counts[key] += int(share)
    left = total - sum(counts.values())
    by_remainder = sorted(shares, key=lambda key: shares[key] - int(shares[key]), reverse=True)
    for key in by_remainder[: max(left, 0)]:
        counts[key] += 1
    return counts


def _kinds(total: int, rng: random.Random) -> list[_Kind]:
    def share(fraction: float) -> int:
        return max(1, round(total * fraction))

    kinds = (
        [_Kind.ELDER_ALONE] * share(0.08)
        + [_Kind.ORPHANS] * share(0.03)
        + [_Kind.DE_FACTO] * share(0.025)
        + [_Kind.DIFFICULTY] * share(0.03)
        + [_Kind.VETERAN] * share(0.03)
    )
    kinds += [_Kind.FAMILY] * max(total - len(kinds), 0)
    rng.shuffle(kinds)
    return kinds


class _IdNumbers:
    """Valid ID numbers that never collide, with each other or with persons already stored."""

    def __init__(self, rng: random.Random, cipher: FieldCipher, stored: set[str]) -> None:
        self.rng = rng
        self.cipher = cipher
        self.stored_digests = stored
        self.used: set[str] = set()

    def new(self, county: str, birth: dt.date, sex: Sex) -> IdNumber:
        region = county
        if birth.year < 2000 and self.rng.random() < 0.85:
            region = LEGACY_COUNTY_CODES[county]
        first = 1 if sex is Sex.MALE else 2  # odd sequence = male
        for _ in range(1000):
            number = make(region, birth, self.rng.randrange(first, 1000, 2))
            if number in self.used:
                continue
            parsed = parse(number)
            if self.stored_digests and id_number_digest(self.cipher, parsed) in self.stored_digests:
                continue
            self.used.add(number)
            return parsed
        raise RuntimeError("no free ID number sequence left for a demo birth date")


_EVIDENCE = {
    Category.DIBAO: "经入户调查、民主评议和公示，认定为低保家庭",
    Category.SPECIAL_HARDSHIP: "无劳动能力、无生活来源、无法定赡养义务人，认定为特困人员",
    Category.ORPHAN: "父母均已死亡，由祖父母监护抚养",
    Category.DE_FACTO_UNSUPPORTED_CHILD: "父母一方死亡、另一方重度残疾，事实无人抚养",
    Category.CHILD_IN_DIFFICULTY: "家庭经济困难且父母一方重度残疾",
    Category.POOR_DISABLED: "持第二代残疾人证，家庭经济困难",
    Category.ENTITLED_GROUP: "退役军人，家庭生活困难",
}
_DIBAO_END_REASON = "家庭收入超过当地低保标准，退出低保"


def _china_today() -> dt.date:
    return dt.datetime.now(_SHANGHAI).date()


async def _add_in_batches(session: AsyncSession, rows: Sequence[Base]) -> None:
    for start in range(0, len(rows), _BATCH):
        session.add_all(rows[start : start + _BATCH])
        await session.flush()


async def _insert(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Bulk INSERT without RETURNING: one executemany per batch."""
    for start in range(0, len(rows), _BATCH):
        statement = insert(model).execution_options(render_nulls=True)
        await session.execute(statement, rows[start : start + _BATCH])


async def _insert_returning(
    session: AsyncSession, model: type[T], rows: list[dict[str, Any]], key: str
) -> dict[Any, T]:
    """Bulk INSERT returning the new ORM objects, by the value of their unique ``key``.

    The ORM's unit of work inserts rows one at a time on SQLite when it needs their primary
    keys back (SQLite does not return rows in parameter order); an unordered RETURNING,
    matched on a unique column, needs one statement per batch instead.
    """
    found: dict[Any, T] = {}
    for start in range(0, len(rows), _BATCH):
        statement = (
            insert(model)
            .returning(model, sort_by_parameter_order=False)
            # NULLs rendered as values keep every row's keys alike: one executemany.
            .execution_options(render_nulls=True)
        )
        for row in await session.scalars(statement, rows[start : start + _BATCH]):
            found[getattr(row, key)] = row
    return found


async def load_demo(
    session: AsyncSession,
    cipher: FieldCipher,
    host: Any,
    *,
    households: int = 3000,
    seed: int = 2026,
    today: dt.date | None = None,
) -> DemoSummary:
    """Write the Linfen demo data in the session's transaction (the caller commits).

    Must run as the system actor. ``host`` is the :class:`bangfu.core.plugins.PluginHost` whose
    plugins add their own rows through ``bangfu_demo_data``; ``None`` skips them. The same
    ``seed`` and ``today`` (default: today in Asia/Shanghai) give the same data.

    :raises RuntimeError: when households exist already ("demo data already loaded").
    """
    actor = session.info.get("actor")
    if actor is None or not actor.sees_everything:
        raise RuntimeError("load_demo must run as the system actor")
    if (await session.scalars(select(Household.id).limit(1))).first() is not None:
        raise RuntimeError("demo data already loaded")
    today = today or _china_today()
    rng = random.Random(seed)
    gen = _Generator(rng, today)

    await ensure_reference_data(session)
    regions = await _ensure_demo_regions(session)
    await ensure_demo_grassroots(session)
    # The competent bodies (core/registry/eligibility.py): the county's civil-affairs
    # bureau, and the city's veterans-affairs bureau for the entitled groups.
    certifiers = {
        organisation.code: organisation
        for organisation in await session.scalars(
            select(Organisation).where(
                Organisation.code.in_(
                    [civil_affairs_code(code) for code in COUNTY_CODES]
                    + [veterans_affairs_code(CITY_CODE)]
                )
            )
        )
    }
    stored_digests = set((await session.scalars(select(Person.id_number_digest))).all())
    id_numbers = _IdNumbers(rng, cipher, stored_digests)

    plans = _plan_households(gen, regions, households)
    household_rows = await _write_households(session, gen, plans, regions)
    persons = await _write_persons(session, gen, cipher, plans, id_numbers)
    memberships, categories = _memberships_and_categories(gen, plans, household_rows, certifiers)
    await _insert(session, Membership, memberships)
    await _insert(session, CategoryAssignment, categories)

    for household, plan in zip(household_rows, plans, strict=True):
        household.demo_members = [  # type: ignore[attr-defined]
            (member.person, member.relation) for member in plan.members
        ]
    if host is not None:
        await host.demo_data(session=session, households=household_rows, rng=rng)
    await load_care_demo(session, household_rows, rng, today)
    await session.flush()
    return DemoSummary(
        households=len(household_rows), persons=len(persons), categories=len(categories)
    )


def _plan_households(gen: _Generator, regions: dict[str, Region], total: int) -> list[_Plan]:
    rng = gen.rng
    villages_by_county: dict[str, list[Region]] = {code: [] for code in COUNTY_CODES}
    for ref in demo_regions():
        if ref.level is RegionLevel.VILLAGE:
            villages_by_county[ref.code[:6]].append(regions[ref.code])
    counts = _allocate(total, COUNTY_POPULATION, minimum=1)
    counties = [code for code in COUNTY_CODES for _ in range(counts[code])]
    kinds = _kinds(len(counties), rng)
    plans = [
        _Plan(kind, county, rng.choice(villages_by_county[county]))
        for kind, county in zip(kinds, counties, strict=True)
    ]
    # The demo village worker's village has households whatever the seed (R7): the first
    # of 襄汾县's move there, without a draw (the rest of the data stays the seed's).
    xiangfen = [plan for plan in plans if plan.county == grassroots.VILLAGE_CODE[:6]]
    for plan in xiangfen[: grassroots.VILLAGE_HOUSEHOLDS]:
        plan.village = regions[grassroots.VILLAGE_CODE]
    for plan in plans:
        plan.members = gen.household(plan.kind)

    # Dibao: about 60% of all households, every member. Special-hardship persons and
    # orphans are supported through their own schemes instead.
    eligible = [p for p in plans if p.kind not in (_Kind.ELDER_ALONE, _Kind.ORPHANS)]
    for plan in rng.sample(eligible, min(len(eligible), round(0.6 * len(plans)))):
        plan.dibao = True
    for plan in plans:
        _assign_categories(gen, plan)
    # A few more poor disabled persons in ordinary households.
    others = [p for p in plans if p.kind in (_Kind.FAMILY, _Kind.ELDER_ALONE, _Kind.VETERAN)]
    for plan in rng.sample(others, min(len(others), round(0.07 * len(plans)))):
        member = rng.choice(plan.members)
        member.disabled = True
        member.categories.append(Category.POOR_DISABLED)
    for plan in rng.sample(plans, max(1, round(0.05 * len(plans)))):
        plan.key = True
    return plans


def _assign_categories(gen: _Generator, plan: _Plan) -> None:
    head = plan.members[0]
    if plan.kind is _Kind.ELDER_ALONE:
        head.categories.append(Category.SPECIAL_HARDSHIP)
    elif plan.kind is _Kind.VETERAN:
        head.categories.append(Category.ENTITLED_GROUP)
    elif plan.kind is _Kind.DIFFICULTY:
        parents = [m for m in plan.members if m.relation in (Relation.HEAD, Relation.SPOUSE)]
        disabled = gen.rng.choice(parents)
        disabled.disabled = True
        disabled.categories.append(Category.POOR_DISABLED)
        for member in plan.members:
            if member.relation is Relation.CHILD and gen.age_of(member) < 18:
                member.categories.append(Category.CHILD_IN_DIFFICULTY)
    if plan.dibao:
        for member in plan.members:
            member.categories.insert(0, Category.DIBAO)


async def _write_households(
    session: AsyncSession, gen: _Generator, plans: list[_Plan], regions: dict[str, Region]
) -> list[Household]:
    rows = []
    addresses: set[str] = set()
    in_village: dict[str, int] = {}
    for plan in plans:
        village = plan.village
        township = regions[village.parent_code or ""]
        county = regions[plan.county]
        # A house number is unique in its village, so the address identifies the row.
        # Numbers run to 400, or further once a village has 400 (city-scale bench data):
        # below that the draws, and so the data of a seed, are what they always were.
        used = in_village.get(village.code, 0)
        highest = 400 if used < 400 else 2 * used
        in_village[village.code] = used + 1
        address = ""
        while not address or address in addresses:
            number = gen.rng.randint(1, highest)
            address = f"{county.name}{township.name}{village.name}{number}号"
        addresses.add(address)
        rows.append(
            {
                "region_code": village.code,
                "area_path": village.path,
                "address": address,
                "is_key_household": plan.key,
            }
        )
    by_address = await _insert_returning(session, Household, rows, "address")
    return [by_address[row["address"]] for row in rows]


async def _write_persons(
    session: AsyncSession,
    gen: _Generator,
    cipher: FieldCipher,
    plans: list[_Plan],
    id_numbers: _IdNumbers,
) -> list[Person]:
    # Heads first, so that orphans can name their guardian's primary key when inserted.
    head_rows = [
        _person_row(gen, cipher, plan, plan.members[0], id_numbers, None) for plan in plans
    ]
    heads = await _insert_returning(session, Person, head_rows, "id_number_digest")
    other_rows = []
    for plan in plans:
        head = heads[plan.members[0].digest]
        plan.members[0].person = head
        for member in plan.members[1:]:
            guardian = _guardian(member, head.id)
            other_rows.append(_person_row(gen, cipher, plan, member, id_numbers, guardian))
    others = await _insert_returning(session, Person, other_rows, "id_number_digest")
    for plan in plans:
        for member in plan.members[1:]:
            member.person = others[member.digest]
    return [*heads.values(), *others.values()]


#: Every person row carries the same keys, so that a batch is one executemany.
_PERSON_COLUMNS = (
    "name",
    "id_number_digest",
    "id_number_cipher",
    "id_number_masked",
    "birth_date",
    "sex",
    "region_code",
    "area_path",
    "phone",
    "hukou_type",
    "disability_category",
    "disability_grade",
    "disability_certified_on",
    "guardian_id",
    "is_key_person",
)


def _person_row(
    gen: _Generator,
    cipher: FieldCipher,
    plan: _Plan,
    member: _Member,
    id_numbers: _IdNumbers,
    guardian_id: int | None,
) -> dict[str, Any]:
    rng = gen.rng
    age = gen.age_of(member)
    fields: dict[str, Any] = {"phone": None, "is_key_person": False}
    urban = plan.village.name.endswith("社区")
    rural_share = 0.15 if urban else 0.92
    fields["hukou_type"] = HukouType.RURAL if rng.random() < rural_share else HukouType.URBAN
    if member.relation is Relation.HEAD and age < 85 and rng.random() < 0.9:
        fields["phone"] = gen.phone()
    elif 18 <= age < 70 and rng.random() < 0.5:
        fields["phone"] = gen.phone()
    if member.disabled:
        # GB/T 26341: 1 vision, 2 hearing, 3 speech, 4 physical, 5 intellectual,
        # 6 mental, 7 multiple; grade 1 is the most severe.
        fields["disability_category"] = rng.choices(range(1, 8), (12, 10, 3, 40, 12, 13, 10))[0]
        if plan.kind is _Kind.DIFFICULTY:
            fields["disability_grade"] = rng.choice((1, 2))
        else:
            fields["disability_grade"] = rng.choices((1, 2, 3, 4), (20, 30, 30, 20))[0]
        fields["disability_certified_on"] = max(gen.years_ago(0, 9), member.birth)
    if plan.key and (member.relation is Relation.HEAD or _hardship(member)):
        fields["is_key_person"] = True
    id_number = id_numbers.new(plan.county, member.birth, member.sex)
    # new_person keeps ID-number handling (encryption, digest, mask, derived fields) in one
    # place; the unsaved object is only read into a row for the bulk INSERT.
    person = new_person(
        cipher, id_number, name=member.name, region=plan.village, guardian_id=guardian_id, **fields
    )
    member.digest = person.id_number_digest
    return {column: getattr(person, column) for column in _PERSON_COLUMNS}


#: Monthly support of the other categories (orphans' basic living allowance, disability
#: living subsidy, ...), in yuan; a few assignments have none recorded, which the FOOD
#: indicator reports (docs/indicators.md).
_SUPPORT = {
    Category.ORPHAN: (1300, 1600),
    Category.DE_FACTO_UNSUPPORTED_CHILD: (1300, 1600),
    Category.CHILD_IN_DIFFICULTY: (300, 600),
    Category.POOR_DISABLED: (80, 200),
    Category.ENTITLED_GROUP: (400, 1200),
}


def _support(member: _Member, category: Category) -> Decimal | None:
    """The category's allowance, from a generator of its own (seeded by the person) so
    that the rest of the demo data stays as it was."""
    bounds = _SUPPORT.get(category)
    if bounds is None:
        return None
    side = random.Random(f"{member.name}-{member.birth}-{category.value}")
    if side.random() < 0.04:
        return None
    return Decimal(side.randrange(bounds[0], bounds[1] + 1, 10)).quantize(Decimal("0.01"))


def _birthday(born: dt.date, years: int) -> dt.date:
    """The day ``born`` turns ``years`` (周岁); 29 February turns on 1 March."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return dt.date(born.year + years, 3, 1)


def _guardian(member: _Member, head_id: int) -> int | None:
    """Orphans have a guardian recorded (the head); de-facto unsupported children mostly."""
    if Category.ORPHAN in member.categories:
        return head_id
    if Category.DE_FACTO_UNSUPPORTED_CHILD in member.categories:
        side = random.Random(f"{member.name}-{member.birth}-guardian")
        return head_id if side.random() < 0.9 else None
    return None


def _hardship(member: _Member) -> bool:
    return any(category is not Category.DIBAO for category in member.categories)


def _memberships_and_categories(
    gen: _Generator,
    plans: list[_Plan],
    households: list[Household],
    certifiers: dict[str, Organisation],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = gen.rng
    memberships: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    for plan, household in zip(plans, households, strict=True):
        formed = gen.date_between(dt.date(1995, 1, 1), gen.today - dt.timedelta(days=730))
        civil_affairs = certifiers[civil_affairs_code(plan.county)]
        veterans_affairs = certifiers[veterans_affairs_code(CITY_CODE)]
        dibao_from = gen.years_ago(1, 6)
        dibao_allowance = gen.allowance(450, 650)
        dibao_to = None
        if rng.random() < 0.08:
            dibao_to = gen.date_between(
                dibao_from + dt.timedelta(days=180), gen.today - dt.timedelta(days=30)
            )
        for member in plan.members:
            assert member.person is not None
            memberships.append(
                {
                    "household_id": household.id,
                    "person_id": member.person.id,
                    "relation": member.relation,
                    "start_date": max(formed, member.birth),
                }
            )
            for category in member.categories:
                certifier = (
                    veterans_affairs if category is Category.ENTITLED_GROUP else civil_affairs
                )
                row = _assignment(
                    gen, member, category, certifier, dibao_from, dibao_allowance, dibao_to
                )
                if row is not None:
                    assignments.append(row)
    return memberships, assignments


def _assignment(
    gen: _Generator,
    member: _Member,
    category: Category,
    certifier: Organisation,
    dibao_from: dt.date,
    dibao_allowance: Decimal,
    dibao_to: dt.date | None,
) -> dict[str, Any] | None:
    """The assignment's row, or None when the category rules refuse it however it is
    dated (core/registry/eligibility.py): the demo holds only eligible assignments."""
    assert member.person is not None
    allowance: Decimal | None = None
    valid_to: dt.date | None = None
    end_reason: str | None = None
    if category is Category.DIBAO:
        valid_from, allowance, valid_to = dibao_from, dibao_allowance, dibao_to
        end_reason = _DIBAO_END_REASON if dibao_to else None
    else:
        valid_from = gen.years_ago(1, 6)
        if category is Category.SPECIAL_HARDSHIP:
            allowance = gen.allowance(650, 800)
        else:
            allowance = _support(member, category)
    # Nobody is certified before being born.
    valid_from = min(max(valid_from, member.birth + dt.timedelta(days=30)), gen.today)
    if valid_to is not None and valid_to < valid_from:
        valid_to = valid_from
    facts = eligibility.Facts(
        birth_date=member.birth,
        disability_category=member.person.disability_category,
        disability_grade=member.person.disability_grade,
        in_household=True,
    )

    def broken(day: dt.date) -> bool:
        last_day = eligibility.last_day_in_force(day, valid_to, gen.today)
        return bool(eligibility.rule_set_on(day).broken(category, facts, day, last_day))

    if broken(valid_from):
        # A person in special hardship by age: certified from the 60th birthday.
        sixtieth = _birthday(member.birth, 60)
        if valid_from < sixtieth <= gen.today and (valid_to is None or sixtieth <= valid_to):
            valid_from = sixtieth
        if broken(valid_from):
            return None
    return {
        "person_id": member.person.id,
        "category": category,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "certifying_organisation_id": certifier.id,
        "evidence": _EVIDENCE[category],
        "monthly_allowance": allowance,
        "end_reason": end_reason,
        "rule_version": eligibility.rule_set_on(valid_from).version,
    }
