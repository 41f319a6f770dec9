"""``bangfu check categories``: the current assignments that today's rules would refuse.

Every category assignment in force today is judged by the rule set in force today
(core/registry/eligibility.py), as ``categoryAssign`` would judge it now: each eligibility
rule of its category with the person's facts on its ``validFrom`` (and, for an upper age
limit, today), and the competence of its certifying organisation. Assignments written
before the rules, by a roster, a script or an older version, are found this way. Reads
only: the caller runs it in a transaction it rolls back.
"""

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bangfu.core.db import chunks, path_within
from bangfu.core.i18n import _
from bangfu.core.registry import eligibility
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Membership,
    Organisation,
    Person,
    Region,
)

_IN_CHUNK = 500


@dataclasses.dataclass(frozen=True)
class Finding:
    """One current assignment that today's rules would refuse, and why."""

    assignment_id: int
    person_id: int
    id_number_masked: str  # never the full number
    region_code: str
    category: Category
    certifier: str  # the organisation's name and code
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return _(
            "assignment {assignment}: person {person} ({id_number}), region {region}, "
            "{category}, certified by {certifier}: {reasons}",
            assignment=self.assignment_id,
            person=self.person_id,
            id_number=self.id_number_masked,
            region=self.region_code,
            category=self.category.value,
            certifier=self.certifier,
            reasons="; ".join(self.reasons),
        )


async def region_path(session: AsyncSession, code: str) -> str:
    """The path of region ``code``.

    :raises LookupError: no region has that code.
    """
    path = await session.scalar(select(Region.path).where(Region.code == code))
    if path is None:
        raise LookupError(_("unknown region code {code}", code=repr(code)))
    return str(path)


async def findings(session: AsyncSession, path: str | None, today: dt.date) -> list[Finding]:
    """The assignments in force on ``today`` of persons within ``path`` (None: everyone)
    that the rule set in force on ``today`` would refuse, in assignment order."""
    rule_set = eligibility.rule_set_on(today)
    certifier_region = aliased(Region)
    statement = (
        select(CategoryAssignment, Person, Organisation, certifier_region)
        .join(Person, Person.id == CategoryAssignment.person_id)
        .join(Organisation, Organisation.id == CategoryAssignment.certifying_organisation_id)
        .join(certifier_region, certifier_region.code == Organisation.region_code)
        .where(
            CategoryAssignment.valid_from <= today,
            CategoryAssignment.valid_to.is_(None) | (CategoryAssignment.valid_to >= today),
        )
        .order_by(CategoryAssignment.id)
    )
    if path is not None:
        statement = statement.where(path_within(Person.area_path, path))
    rows = (await session.execute(statement)).all()
    memberships = await _membership_ends(session, {person.id for _, person, _, _ in rows})
    found: list[Finding] = []
    for assignment, person, organisation, region in rows:
        ends = memberships.get(person.id, [])
        facts = eligibility.Facts(
            birth_date=person.birth_date,
            disability_category=person.disability_category,
            disability_grade=person.disability_grade,
            in_household=any(end is None or end >= assignment.valid_from for end in ends),
        )
        last_day = eligibility.last_day_in_force(assignment.valid_from, assignment.valid_to, today)
        reasons = [
            eligibility.broken_rule_message(assignment.category, rule)
            for rule in rule_set.broken(assignment.category, facts, assignment.valid_from, last_day)
        ]
        certifier = eligibility.Certifier(organisation, region.path, region.level)
        problem = eligibility.competence_problem(
            rule_set, assignment.category, certifier, person.area_path
        )
        if problem is not None:
            reasons.append(problem)
        if reasons:
            found.append(
                Finding(
                    assignment_id=assignment.id,
                    person_id=person.id,
                    id_number_masked=person.id_number_masked,
                    region_code=person.region_code,
                    category=assignment.category,
                    certifier=f"{organisation.name} ({organisation.code})",
                    reasons=tuple(reasons),
                )
            )
    return found


async def _membership_ends(
    session: AsyncSession, person_ids: set[int]
) -> dict[int, list[dt.date | None]]:
    ends: dict[int, list[dt.date | None]] = {}
    for chunk in chunks(sorted(person_ids), _IN_CHUNK):
        result = await session.execute(
            select(Membership.person_id, Membership.end_date).where(Membership.person_id.in_(chunk))
        )
        for person_id, end in result:
            ends.setdefault(person_id, []).append(end)
    return ends
