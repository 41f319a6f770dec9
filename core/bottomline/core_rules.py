"""The indicators core decides: FOOD (有饭吃), EAT_WELL (吃好饭), SOMEONE_IN_CHARGE (有人管).

FOOD
    ``OK`` when the person, or a current member of their household, holds a hardship
    category today with a monthly allowance recorded (dibao, special-hardship support,
    an orphan's basic living allowance, a disability living subsidy...); ``AT_RISK``
    when they hold a category but no allowance reaches them.
EAT_WELL
    ``OK`` when the larger of their own allowances and their household's allowances per
    current member reaches ``eat_well_monthly_yuan`` (settings); ``AT_RISK`` otherwise.
SOMEONE_IN_CHARGE
    ``OK`` when an active pairing (一包一) holds for a holder of a pairing category
    (``pairing_categories``: all but dibao by default) and, for a child under 18, a living
    guardian is recorded (or, for a child with parental care, an adult lives in the
    household); ``AT_RISK`` with the missing ones named otherwise.

Persons holding no hardship category today, and the dead, are ``NOT_APPLICABLE``. A page
of persons costs five statements, whatever its size.

Each finding says the first day it may change by the calendar alone (``valid_until``): the
day after one of the person's categories ends or the day one begins, the day an active
pairing ends or a planned one begins, the person's 18th birthday, and, through the
household, the day after a member's allowance ends or a member's 18th birthday. (Not yet:
a future category of another member.)
"""

import dataclasses
import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import Finding, Indicator, Status
from bangfu.core.calendar import age_on
from bangfu.core.care.models import Pairing
from bangfu.core.registry.models import Category, CategoryAssignment, Membership, Person

ADULT_AGE = 18
PARENTLESS = {str(Category.ORPHAN), str(Category.DE_FACTO_UNSUPPORTED_CHILD)}
CORE = "core"
#: The version of these rules: change it with any change of what they decide, and
#: ``bangfu bottomline refresh`` judges the stored verdicts again.
RULES_VERSION = "1"


def _active(on: dt.date) -> Any:
    return (CategoryAssignment.valid_from <= on) & (
        CategoryAssignment.valid_to.is_(None) | (CategoryAssignment.valid_to >= on)
    )


def yuan(amount: decimal.Decimal) -> str:
    return f"¥{amount.quantize(decimal.Decimal('0.01'))}"


async def judge(
    persons: Sequence[Any],
    session: AsyncSession,
    as_of: dt.date,
    eat_well_yuan: decimal.Decimal,
    pairing_categories: Collection[str] = (),
) -> list[Finding]:
    """FOOD, EAT_WELL and SOMEONE_IN_CHARGE for every person of the page."""
    if not persons:
        return []
    ids = [p.id for p in persons]
    own: dict[int, list[tuple[str, decimal.Decimal | None]]] = defaultdict(list)
    changes: dict[int, set[dt.date]] = defaultdict(set)  # days a person's findings may change
    starts: dict[int, set[dt.date]] = defaultdict(set)  # the days categories begin
    for person_id, category, allowance, valid_from, valid_to in await session.execute(
        select(
            CategoryAssignment.person_id,
            CategoryAssignment.category,
            CategoryAssignment.monthly_allowance,
            CategoryAssignment.valid_from,
            CategoryAssignment.valid_to,
        ).where(
            CategoryAssignment.person_id.in_(ids),
            CategoryAssignment.valid_to.is_(None) | (CategoryAssignment.valid_to >= as_of),
        )
    ):
        if valid_from > as_of:  # begins later
            starts[person_id].add(valid_from)
            continue
        own[person_id].append((str(category), allowance))
        if valid_to is not None:
            changes[person_id].add(valid_to + dt.timedelta(days=1))

    # The household's allowances: every current member's, with the member count. Two
    # plain queries (an aliased self-join would escape the area criteria).
    household_of: dict[int, int] = {
        person_id: household_id
        for person_id, household_id in await session.execute(
            select(Membership.person_id, Membership.household_id).where(
                Membership.person_id.in_(ids), Membership.end_date.is_(None)
            )
        )
    }
    members: dict[int, set[int]] = defaultdict(set)
    adults: dict[int, set[int]] = defaultdict(set)
    totals: dict[int, decimal.Decimal] = defaultdict(decimal.Decimal)
    household_changes: dict[int, set[dt.date]] = defaultdict(set)
    if household_of:
        for household_id, member_id, born, dead, allowance, valid_to in await session.execute(
            select(
                Membership.household_id,
                Membership.person_id,
                Person.birth_date,
                Person.deceased,
                CategoryAssignment.monthly_allowance,
                CategoryAssignment.valid_to,
            )
            .join(Person, Person.id == Membership.person_id)
            .outerjoin(
                CategoryAssignment,
                (CategoryAssignment.person_id == Membership.person_id) & _active(as_of),
            )
            .where(
                Membership.household_id.in_(set(household_of.values())),
                Membership.end_date.is_(None),
            )
        ):
            members[household_id].add(member_id)
            if not dead and age_on(born, as_of) >= ADULT_AGE:
                adults[household_id].add(member_id)
            elif not dead:
                household_changes[household_id].add(birthday(born, ADULT_AGE))
            if allowance:
                totals[household_id] += allowance
                if valid_to is not None:
                    household_changes[household_id].add(valid_to + dt.timedelta(days=1))
    household_size = {p: members[h] for p, h in household_of.items()}
    household_total = {p: totals[h] for p, h in household_of.items()}
    adults_at_home = {p: adults[h] - {p} for p, h in household_of.items()}

    paired: set[int] = set()
    for person_id, start, end in await session.execute(
        select(Pairing.person_id, Pairing.start_date, Pairing.end_date).where(
            Pairing.person_id.in_(ids),
            Pairing.end_date.is_(None) | (Pairing.end_date > as_of),
        )
    ):
        if start > as_of:  # planned
            changes[person_id].add(start)
            continue
        paired.add(person_id)
        if end is not None:
            changes[person_id].add(end)
    for person_id, household_id in household_of.items():
        changes[person_id] |= household_changes[household_id]
    guardian_ids = {p.guardian_id for p in persons if p.guardian_id is not None}
    dead_guardians: set[int] = set()
    if guardian_ids:
        dead_guardians = set(
            await session.scalars(
                select(Person.id).where(Person.id.in_(guardian_ids), Person.deceased.is_(True))
            )
        )

    findings: list[Finding] = []
    for person in persons:
        categories = own.get(person.id, [])
        # The days the findings may change: a category beginning, and for a holder of
        # one its end, a pairing's, coming of age, the household's allowances and adults.
        days = set(starts[person.id])
        if categories:
            days |= changes[person.id]
            if age_on(person.birth_date, as_of) < ADULT_AGE:
                days.add(birthday(person.birth_date, ADULT_AGE))
        until = None if person.deceased else min((d for d in days if d > as_of), default=None)
        if person.deceased or not categories:
            reason = "deceased" if person.deceased else "holds no hardship category today"
            findings += [
                Finding(person.id, indicator, Status.NOT_APPLICABLE, (reason,), CORE, until)
                for indicator in (Indicator.FOOD, Indicator.EAT_WELL, Indicator.SOMEONE_IN_CHARGE)
            ]
            continue
        found = _food(person.id, categories, household_total, household_size, eat_well_yuan)
        has_adult = bool(adults_at_home.get(person.id))
        orphan = any(c in PARENTLESS for c, _a in categories)
        needs_pairing = any(c in pairing_categories for c, _a in categories)
        found.append(
            _in_charge(
                person, as_of, person.id in paired, needs_pairing, dead_guardians, has_adult, orphan
            )
        )
        findings += [dataclasses.replace(f, valid_until=until) for f in found]
    return findings


def birthday(born: dt.date, years: int) -> dt.date:
    """The day a person born on ``born`` turns ``years`` (29 February: 1 March)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return dt.date(born.year + years, 3, 1)


def _food(
    person_id: int,
    categories: list[tuple[str, decimal.Decimal | None]],
    household_total: dict[int, decimal.Decimal],
    household_size: dict[int, set[int]],
    eat_well_yuan: decimal.Decimal,
) -> list[Finding]:
    allowances = [(c, a) for c, a in categories if a]
    own_total = sum((a for _c, a in allowances), decimal.Decimal())
    members = len(household_size.get(person_id, ())) or 1
    per_member = household_total.get(person_id, decimal.Decimal()) / members
    held = ", ".join(sorted(c for c, _a in categories))
    if allowances:
        food = Finding(
            person_id,
            Indicator.FOOD,
            Status.OK,
            tuple(f"{c} allowance {yuan(a)} a month" for c, a in allowances),
            CORE,
        )
    elif per_member > 0:
        food = Finding(
            person_id,
            Indicator.FOOD,
            Status.OK,
            (f"household allowances {yuan(per_member)} a month per member",),
            CORE,
        )
    else:
        food = Finding(
            person_id,
            Indicator.FOOD,
            Status.AT_RISK,
            (f"holds {held} but no allowance is recorded for them or their household",),
            CORE,
        )
    best = max(own_total, per_member)
    if food.status is Status.AT_RISK:
        eat = Finding(
            person_id, Indicator.EAT_WELL, Status.AT_RISK, ("no allowance recorded",), CORE
        )
    elif best >= eat_well_yuan:
        eat = Finding(
            person_id,
            Indicator.EAT_WELL,
            Status.OK,
            (f"{yuan(best)} a month, at least the {yuan(eat_well_yuan)} standard",),
            CORE,
        )
    else:
        eat = Finding(
            person_id,
            Indicator.EAT_WELL,
            Status.AT_RISK,
            (f"{yuan(best)} a month, below the {yuan(eat_well_yuan)} standard",),
            CORE,
        )
    return [food, eat]


def _in_charge(
    person: Any,
    as_of: dt.date,
    paired: bool,
    needs_pairing: bool,
    dead_guardians: set[int],
    adults_at_home: bool,
    parentless: bool,
) -> Finding:
    """A child needs a living guardian recorded (an orphan or a de-facto unsupported child
    always; another child may instead live with an adult of the household); a holder of a
    pairing category (settings: all but dibao) needs an active pairing."""
    missing, reasons = [], []
    if age_on(person.birth_date, as_of) < ADULT_AGE:
        if person.guardian_id is not None and person.guardian_id in dead_guardians:
            missing.append("the recorded guardian has died")
        elif person.guardian_id is not None:
            reasons.append("guardian recorded")
        elif parentless:
            missing.append("a child without parental care and no guardian recorded")
        elif adults_at_home:
            reasons.append("lives with an adult of the household")
        else:
            missing.append("a child with no guardian recorded and no adult at home")
    if paired:
        reasons.append("paired with an official")
    elif needs_pairing:
        missing.append("no active pairing with an official (一包一)")
    else:
        reasons.append("a dibao household member: no pairing of their own needed")
    if missing:
        return Finding(person.id, Indicator.SOMEONE_IN_CHARGE, Status.AT_RISK, tuple(missing), CORE)
    return Finding(person.id, Indicator.SOMEONE_IN_CHARGE, Status.OK, tuple(reasons), CORE)
