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

Each finding's ``valid_until`` is the first day the calendar alone may change it: the
next boundary of the person's own categories (a future row's ``valid_from``, a current
row's ``valid_to`` + 1; all three findings, since they say who is in hardship on the day),
for FOOD and EAT_WELL also of the allowances of the household's members, and for
SOMEONE_IN_CHARGE the person's 18th birthday, a pairing's start or end, and (for a child
who relies on an adult at home) a household member's 18th birthday. A membership is in
force from its start (``bangfu.core.effective``): one starting later -- the person's own,
or another member's of their household, written before future starts were refused --
does not count yet, and its start is a boundary of FOOD, EAT_WELL and (for a child who
relies on an adult at home) SOMEONE_IN_CHARGE. The queries that
load today's rows load the future ones too (rows not yet ended), so the count stays five.
The dead are judged again only after a write.
"""

import dataclasses
import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import Finding, Indicator, Status, birthday, earliest
from bangfu.core.calendar import age_on
from bangfu.core.care.models import Pairing
from bangfu.core.effective import holds, is_current
from bangfu.core.registry.models import Category, CategoryAssignment, Membership, Person

ADULT_AGE = 18
PARENTLESS = {str(Category.ORPHAN), str(Category.DE_FACTO_UNSUPPORTED_CHILD)}
CORE = "core"
#: The version of these rules: change it with any change of what they decide, and
#: ``bangfu bottomline refresh`` judges the stored verdicts again.
RULES_VERSION = "3"  # 2: valid_until on every finding; 3: memberships starting later


def _not_ended(on: dt.date) -> Any:
    """Rows holding on ``on`` or starting later: today's and the next boundaries."""
    return CategoryAssignment.valid_to.is_(None) | (CategoryAssignment.valid_to >= on)


def _boundary(valid_from: dt.date, valid_to: dt.date | None, on: dt.date) -> dt.date | None:
    """The next day a row not yet ended on ``on`` starts or stops holding."""
    if valid_from > on:
        return valid_from
    return valid_to + dt.timedelta(days=1) if valid_to is not None else None


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
    # The next day the person's own categories change: who is in hardship, which category.
    own_change: dict[int, dt.date | None] = {}
    for person_id, category, allowance, valid_from, valid_to in await session.execute(
        select(
            CategoryAssignment.person_id,
            CategoryAssignment.category,
            CategoryAssignment.monthly_allowance,
            CategoryAssignment.valid_from,
            CategoryAssignment.valid_to,
        ).where(CategoryAssignment.person_id.in_(ids), _not_ended(as_of))
    ):
        own_change[person_id] = earliest(
            own_change.get(person_id), _boundary(valid_from, valid_to, as_of)
        )
        if holds(valid_from, valid_to, as_of, end_inclusive=True):
            own[person_id].append((str(category), allowance))

    # The household's allowances: every current member's, with the member count. Two
    # plain queries (an aliased self-join would escape the area criteria). They load the
    # memberships not ended: in force on ``as_of`` (bangfu.core.effective), or starting
    # later (written before future starts were refused) -- the day the household changes.
    household_of: dict[int, int] = {}
    # The next day the person's own household membership starts.
    membership_change: dict[int, dt.date | None] = {}
    for person_id, household_id, start in await session.execute(
        select(Membership.person_id, Membership.household_id, Membership.start_date).where(
            Membership.person_id.in_(ids), Membership.end_date.is_(None)
        )
    ):
        if is_current(start, None, as_of):
            household_of[person_id] = household_id
        else:
            membership_change[person_id] = earliest(membership_change.get(person_id), start)
    # The next day a member joins the household.
    joining: dict[int, dt.date | None] = {}
    members: dict[int, set[int]] = defaultdict(set)
    adults: dict[int, set[int]] = defaultdict(set)
    totals: dict[int, decimal.Decimal] = defaultdict(decimal.Decimal)
    # The next day an allowance of the household starts or stops; the next day a living
    # child of the household turns 18 (who counts as an adult at home).
    allowance_change: dict[int, dt.date | None] = {}
    coming_of_age: dict[int, dict[int, dt.date]] = defaultdict(dict)
    if household_of:
        for (
            household_id,
            member_id,
            joins,
            born,
            dead,
            allowance,
            valid_from,
            valid_to,
        ) in await session.execute(
            select(
                Membership.household_id,
                Membership.person_id,
                Membership.start_date,
                Person.birth_date,
                Person.deceased,
                CategoryAssignment.monthly_allowance,
                CategoryAssignment.valid_from,
                CategoryAssignment.valid_to,
            )
            .join(Person, Person.id == Membership.person_id)
            .outerjoin(
                CategoryAssignment,
                (CategoryAssignment.person_id == Membership.person_id) & _not_ended(as_of),
            )
            .where(
                Membership.household_id.in_(set(household_of.values())),
                Membership.end_date.is_(None),
            )
        ):
            if not is_current(joins, None, as_of):
                joining[household_id] = earliest(joining.get(household_id), joins)
                continue
            members[household_id].add(member_id)
            if not dead:
                if age_on(born, as_of) >= ADULT_AGE:
                    adults[household_id].add(member_id)
                else:
                    coming_of_age[household_id][member_id] = birthday(born, ADULT_AGE)
            if valid_from is None or not allowance:
                continue
            allowance_change[household_id] = earliest(
                allowance_change.get(household_id), _boundary(valid_from, valid_to, as_of)
            )
            if holds(valid_from, valid_to, as_of, end_inclusive=True):
                totals[household_id] += allowance
    household_size = {p: members[h] for p, h in household_of.items()}
    household_total = {p: totals[h] for p, h in household_of.items()}
    adults_at_home = {p: adults[h] - {p} for p, h in household_of.items()}

    paired: set[int] = set()
    # The next day a pairing starts or ends (a pairing holds up to, not on, its end date).
    pairing_change: dict[int, dt.date | None] = {}
    for person_id, start, end in await session.execute(
        select(Pairing.person_id, Pairing.start_date, Pairing.end_date).where(
            Pairing.person_id.in_(ids),
            Pairing.end_date.is_(None) | (Pairing.end_date > as_of),
        )
    ):
        if holds(start, end, as_of):
            paired.add(person_id)
        pairing_change[person_id] = earliest(
            pairing_change.get(person_id), start if start > as_of else end
        )
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
        if person.deceased or not categories:
            reason = "deceased" if person.deceased else "holds no hardship category today"
            until = None if person.deceased else own_change.get(person.id)
            findings += [
                Finding(person.id, indicator, Status.NOT_APPLICABLE, (reason,), CORE, until)
                for indicator in (Indicator.FOOD, Indicator.EAT_WELL, Indicator.SOMEONE_IN_CHARGE)
            ]
            continue
        own_until = own_change.get(person.id)
        household = household_of.get(person.id)
        # The household changes when the person joins one, or another member joins it.
        household_until = earliest(
            membership_change.get(person.id),
            joining.get(household) if household is not None else None,
        )
        # EAT_WELL names the larger of their own and the household's allowances; FOOD looks
        # at the household only without an allowance of their own.
        eat_until = earliest(
            own_until,
            allowance_change.get(household) if household is not None else None,
            household_until,
        )
        food_until = own_until if any(a for _c, a in categories) else eat_until
        food, eat = _food(person.id, categories, household_total, household_size, eat_well_yuan)
        findings += [
            dataclasses.replace(food, valid_until=food_until),
            dataclasses.replace(eat, valid_until=eat_until),
        ]
        has_adult = bool(adults_at_home.get(person.id))
        orphan = any(c in PARENTLESS for c, _a in categories)
        needs_pairing = any(c in pairing_categories for c, _a in categories)
        in_charge = _in_charge(
            person, as_of, person.id in paired, needs_pairing, dead_guardians, has_adult, orphan
        )
        until = earliest(own_until, pairing_change.get(person.id))
        if age_on(person.birth_date, as_of) < ADULT_AGE:
            until = earliest(until, birthday(person.birth_date, ADULT_AGE))
            if person.guardian_id is None and not orphan:
                # Whether an adult lives at home: another child of the household may come of
                # age, a member may join.
                until = earliest(until, household_until)
            if person.guardian_id is None and not orphan and household is not None:
                others = coming_of_age.get(household, {})
                until = earliest(until, *(d for m, d in others.items() if m != person.id))
        findings.append(dataclasses.replace(in_charge, valid_until=until))
    return findings


def _food(
    person_id: int,
    categories: list[tuple[str, decimal.Decimal | None]],
    household_total: dict[int, decimal.Decimal],
    household_size: dict[int, set[int]],
    eat_well_yuan: decimal.Decimal,
) -> list[Finding]:
    # In a fixed order (the rows come in whatever order the database gives them).
    allowances = sorted((c, a) for c, a in categories if a)
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
