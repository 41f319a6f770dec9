"""Registry use cases: households, members, persons and categories (R2).

Every function runs inside the caller's transaction as the session's actor, validates
everything first and raises :class:`bangfu.core.errors.DomainError` on bad input; the caller
rolls back, so nothing is ever half-written.
"""

import dataclasses
import datetime as dt
import decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core import idnumber
from bangfu.core import phone as phones
from bangfu.core.calendar import today
from bangfu.core.db import flush_or_version_conflict
from bangfu.core.effective import check_start, future_start, overlaps
from bangfu.core.errors import DomainError, ErrorCode, FieldError, text_problems
from bangfu.core.i18n import _
from bangfu.core.registry import eligibility
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Household,
    HukouType,
    Membership,
    Organisation,
    Person,
    Region,
    Relation,
)
from bangfu.core.registry.persons import apply_id_number, id_number_digest, new_person
from bangfu.core.security.actor import Actor
from bangfu.core.security.crypto import FieldCipher
from bangfu.core.security.references import reachable_organisation
from bangfu.core.text_limits import check_length, length_errors

_UNSET = object()


def phone_errors(field: str, value: str | None) -> list[FieldError]:
    """``INVALID_PHONE_NUMBER`` unless ``value`` is None or a phone number of mainland
    China (bangfu.core.phone); the caller stores ``phones.normalise(value)``."""
    if value is None:
        return []
    try:
        phones.normalise(value)
    except phones.PhoneError as exc:
        return [FieldError(field, exc.reason, ErrorCode.INVALID_PHONE_NUMBER)]
    return []


@dataclasses.dataclass
class PersonData:
    """A new person. Birth date and sex come from the ID number only."""

    name: str
    id_number: str
    phone: str | None = None
    hukou_type: HukouType | None = None
    disability_category: int | None = None
    disability_grade: int | None = None
    disability_certified_on: dt.date | None = None


@dataclasses.dataclass
class MemberData:
    """A member of a new household: a new person, or an existing one by key."""

    relation: Relation
    person: PersonData | None = None
    person_id: int | None = None


@dataclasses.dataclass
class Registry:
    """The registry use cases for one transaction and actor."""

    session: AsyncSession
    actor: Actor
    cipher: FieldCipher

    # -- lookups ---------------------------------------------------------------

    async def region(self, code: str, field: str) -> Region:
        """A region inside the actor's area, or UNKNOWN_REGION / OUT_OF_AREA."""
        region = await self.session.get(Region, code)
        if region is None:
            raise DomainError.of(
                field, _("unknown region code {code}", code=repr(code)), ErrorCode.UNKNOWN_REGION
            )
        if not self.covers(region.path):
            raise DomainError.of(
                field, _("region {code} is outside your area", code=code), ErrorCode.OUT_OF_AREA
            )
        return region

    def covers(self, path: str) -> bool:
        if self.actor.sees_everything:
            return True
        area = self.actor.area_path
        return area is not None and path.startswith(area)

    async def person(self, person_id: int, field: str) -> Person:
        person = await self.session.get(Person, person_id)
        if person is None:  # absent and out of area look the same
            raise DomainError.of(field, _("no Person with this ID"), ErrorCode.NOT_FOUND)
        return person

    async def household(self, household_id: int, field: str) -> Household:
        household = await self.session.get(Household, household_id)
        if household is None:
            raise DomainError.of(field, _("no Household with this ID"), ErrorCode.NOT_FOUND)
        return household

    async def organisation(self, organisation_id: int, field: str) -> Organisation:
        """An organisation a write of the actor may refer to (within reach, see
        :mod:`bangfu.core.security.references`), else UNKNOWN_ORGANISATION: an
        organisation of another county looks like one that does not exist."""
        return await reachable_organisation(self.session, self.actor, organisation_id, field)

    async def current_members(self, household_id: int) -> list[Membership]:
        """The memberships of the household that have not ended, those starting after today
        (written before the rule refused it) included: the ones a write may end or
        change."""
        rows = await self.session.scalars(
            select(Membership)
            .where(Membership.household_id == household_id, Membership.end_date.is_(None))
            .order_by(Membership.id)
        )
        return list(rows.all())

    async def current_membership(self, person_id: int) -> Membership | None:
        """The person's membership that has not ended, whether in force today or starting
        later (see :meth:`current_members`)."""
        return await self.session.scalar(
            select(Membership).where(
                Membership.person_id == person_id, Membership.end_date.is_(None)
            )
        )

    async def overlapping_membership(self, person_id: int, start: dt.date) -> Membership | None:
        """A membership of the person whose period overlaps one starting on ``start``
        (:func:`bangfu.core.effective.overlaps`): a person belongs to one household at a
        time, whether the other membership is in force today, ended after ``start`` or
        starts later."""
        return await self.session.scalar(
            select(Membership)
            .where(
                Membership.person_id == person_id,
                overlaps(Membership.start_date, Membership.end_date, start),
            )
            .order_by(Membership.end_date.is_(None).desc(), Membership.id.desc())
            .limit(1)
        )

    # -- persons ---------------------------------------------------------------

    def parse_id_number(self, raw: str, field: str) -> idnumber.IdNumber:
        try:
            return idnumber.parse(raw)
        except idnumber.IdNumberError as exc:
            raise DomainError.of(field, exc.reason, ErrorCode.INVALID_ID_NUMBER) from exc

    async def check_id_number_free(
        self, number: idnumber.IdNumber, field: str, *, exclude: int | None = None
    ) -> None:
        digest = id_number_digest(self.cipher, number)
        # The lookup must see the whole city, not only the actor's area: uniqueness is global.
        owner = await self.session.scalar(
            select(Person.id)
            .where(Person.id_number_digest == digest)
            .execution_options(bangfu_uniqueness_check=True)
        )
        if owner is not None and owner != exclude:
            raise DomainError.of(
                field, _("this ID number is already registered"), ErrorCode.DUPLICATE_ID_NUMBER
            )

    def validate_person(self, data: PersonData, field: str) -> list[FieldError]:
        errors = text_problems(f"{field}.name", data.name, 100)
        errors += phone_errors(f"{field}.phone", data.phone)
        errors += _disability_errors(
            data.disability_category, data.disability_grade, f"{field}.disability"
        )
        errors += future_start(data.disability_certified_on, f"{field}.disability.certifiedOn")
        return errors

    async def create_person(self, data: PersonData, region: Region, field: str) -> Person:
        errors = self.validate_person(data, field)
        if not errors and data.phone is not None:
            data = dataclasses.replace(data, phone=phones.normalise(data.phone))
        try:
            number = self.parse_id_number(data.id_number, f"{field}.idNumber")
        except DomainError as exc:
            errors += exc.errors
            raise DomainError(*errors) from exc
        if errors:
            raise DomainError(*errors)
        await self.check_id_number_free(number, f"{field}.idNumber")
        person = new_person(
            self.cipher,
            number,
            name=data.name.strip(),
            region=region,
            phone=data.phone,
            hukou_type=data.hukou_type,
            disability_category=data.disability_category,
            disability_grade=data.disability_grade,
            disability_certified_on=data.disability_certified_on,
        )
        self.session.add(person)
        return person

    async def update_person(
        self,
        person_id: int,
        expected_version: int,
        *,
        name: str | None = None,
        id_number: str | None = None,
        phone: object = _UNSET,
        hukou_type: object = _UNSET,
        disability: object = _UNSET,
        deceased: bool | None = None,
        guardian_id: object = _UNSET,
    ) -> Person:
        """Change a person if nobody changed it since ``expected_version``."""
        person = await self.person(person_id, "input.id")
        if person.version != expected_version:
            raise DomainError.of(
                "input.expectedVersion",
                _(
                    "the person was changed meanwhile: current version is {version}",
                    version=person.version,
                ),
                ErrorCode.VERSION_CONFLICT,
            )
        errors: list[FieldError] = []
        if name is not None:
            errors += text_problems("input.name", name, 100)
            person.name = name.strip()
        if id_number is not None:
            # Collected, not raised: every bad field of the input is reported at once.
            try:
                number = self.parse_id_number(id_number, "input.idNumber")
                await self.check_id_number_free(number, "input.idNumber", exclude=person.id)
                apply_id_number(person, self.cipher, number)
            except DomainError as exc:
                errors += exc.errors
        if phone is not _UNSET:
            problems = phone_errors("input.phone", phone)  # type: ignore[arg-type]
            errors += problems
            if not problems:
                person.phone = None if phone is None else phones.normalise(phone)  # type: ignore[arg-type]
        if hukou_type is not _UNSET:
            person.hukou_type = hukou_type  # type: ignore[assignment]
        if disability is not _UNSET:
            parts: tuple[int | None, int | None, dt.date | None] = disability or (None, None, None)  # type: ignore[assignment]
            category, grade, certified_on = parts
            errors += _disability_errors(category, grade, "input.disability")
            errors += future_start(certified_on, "input.disability.certifiedOn")
            person.disability_category = category
            person.disability_grade = grade
            person.disability_certified_on = certified_on
        if deceased is not None:
            person.deceased = deceased
        if guardian_id is not _UNSET:
            if guardian_id is not None:
                if guardian_id == person.id:
                    errors.append(
                        FieldError(
                            "input.guardianId",
                            _("a person cannot be their own guardian"),
                            ErrorCode.INVALID_INPUT,
                        )
                    )
                else:
                    await self.person(guardian_id, "input.guardianId")  # type: ignore[arg-type]
            person.guardian_id = guardian_id  # type: ignore[assignment]
        if errors:
            raise DomainError(*errors)
        await self.flush()
        return person

    # -- households ------------------------------------------------------------

    async def create_household(
        self,
        region_code: str,
        address: str | None,
        members: list[MemberData],
        start: dt.date | None,
    ) -> Household:
        """A new household with exactly one head among ``members``."""
        region = await self.region(region_code, "input.regionCode")
        check_length("input.address", address, Household.address)
        heads = [m for m in members if m.relation == Relation.HEAD]
        if not heads:
            raise DomainError.of(
                "input.members",
                _("a household needs exactly one HEAD member"),
                ErrorCode.HOUSEHOLD_WITHOUT_HEAD,
            )
        if len(heads) > 1:
            raise DomainError.of(
                "input.members",
                _("a household has exactly one HEAD member"),
                ErrorCode.MULTIPLE_HEADS,
            )
        if len(members) > 50:
            raise DomainError.of("input.members", _("at most 50 members"), ErrorCode.INVALID_INPUT)
        check_start(start, "input.startDate")
        start = start or today()
        household = Household(region_code=region.code, area_path=region.path, address=address)
        self.session.add(household)
        persons = await self._members_persons(members, region, start)
        await self.flush()
        for member, person in zip(members, persons, strict=True):
            self.session.add(
                Membership(
                    household_id=household.id,
                    person_id=person.id,
                    relation=member.relation,
                    start_date=start,
                )
            )
        await self.flush()
        return household

    async def _members_persons(
        self, members: list[MemberData], region: Region, start: dt.date
    ) -> list[Person]:
        errors: list[FieldError] = []
        persons: list[Person] = []
        seen: dict[str, int] = {}
        for index, member in enumerate(members):
            field = f"input.members.{index}"
            try:
                person = await self._member_person(member, region, field, start)
            except DomainError as exc:
                errors += exc.errors
                continue
            key = person.id_number_digest
            if key in seen:
                errors.append(
                    FieldError(
                        field,
                        _("the same person as member {member}", member=seen[key]),
                        ErrorCode.ALREADY_A_MEMBER,
                    )
                )
            seen[key] = index
            persons.append(person)
        if errors:
            raise DomainError(*errors)
        return persons

    async def _member_person(
        self, member: MemberData, region: Region, field: str, start: dt.date
    ) -> Person:
        if (member.person is None) == (member.person_id is None):
            raise DomainError.of(
                field, _("give either person (a new person) or personId"), ErrorCode.INVALID_INPUT
            )
        if member.person is not None:
            return await self.create_person(member.person, region, f"{field}.person")
        assert member.person_id is not None
        person = await self.person(member.person_id, f"{field}.personId")
        await self._check_no_overlap(person.id, start, f"{field}.personId")
        self.move(person, region)
        return person

    async def _check_no_overlap(self, person_id: int, start: dt.date, field: str) -> None:
        """A person belongs to one household at a time: a membership starting on ``start``
        is refused when another of the person's memberships overlaps it (periods, see
        :func:`bangfu.core.effective.overlaps`). One not ended -- in force today, or
        starting later (written before the rule) -- is ``ALREADY_IN_A_HOUSEHOLD``; one ended
        after ``start`` is ``INVALID_DATE_RANGE``. The partial unique index on unended
        memberships agrees: two unended memberships always overlap."""
        other = await self.overlapping_membership(person_id, start)
        if other is None:
            return
        if other.end_date is not None:
            raise DomainError.of(
                "input.startDate",
                _(
                    "the person's previous membership ended on {date}: start on or after it",
                    date=other.end_date.isoformat(),
                ),
                ErrorCode.INVALID_DATE_RANGE,
            )
        if other.start_date > today():
            raise DomainError.of(
                field,
                _(
                    "the person has a membership of another household from {date}, recorded "
                    "before future starts were refused: end it there first",
                    date=other.start_date.isoformat(),
                ),
                ErrorCode.ALREADY_IN_A_HOUSEHOLD,
            )
        raise DomainError.of(
            field,
            _("the person belongs to another household: remove them there first"),
            ErrorCode.ALREADY_IN_A_HOUSEHOLD,
        )

    def move(self, person: Person, region: Region) -> None:
        person.region_code = region.code
        person.area_path = region.path

    async def add_member(
        self, household_id: int, member: MemberData, start: dt.date | None
    ) -> Membership:
        household = await self.household(household_id, "input.householdId")
        check_start(start, "input.startDate")
        if member.relation == Relation.HEAD:
            raise DomainError.of(
                "input.relation",
                _("a household has one head: use householdHeadChange"),
                ErrorCode.MULTIPLE_HEADS,
            )
        region = await self.region(household.region_code, "input.householdId")
        if member.person_id is not None:
            current = await self.current_membership(member.person_id)
            if current is not None and current.household_id == household.id:
                raise DomainError.of(
                    "input.personId",
                    _("the person is already a member"),
                    ErrorCode.ALREADY_A_MEMBER,
                )
        start = start or today()
        person = await self._member_person(member, region, "input", start)
        await self.flush()
        membership = Membership(
            household_id=household.id,
            person_id=person.id,
            relation=member.relation,
            start_date=start,
        )
        self.session.add(membership)
        household.updated_at = dt.datetime.now(dt.UTC)
        await self.flush()
        return membership

    async def remove_member(
        self, household_id: int, person_id: int, end: dt.date | None, reason: str | None
    ) -> Membership:
        """End a membership; the row stays as history."""
        household = await self.household(household_id, "input.householdId")
        check_length("input.reason", reason, Membership.end_reason)
        membership = next(
            (m for m in await self.current_members(household.id) if m.person_id == person_id), None
        )
        if membership is None:
            raise DomainError.of(
                "input.personId", _("the person is not a current member"), ErrorCode.NOT_A_MEMBER
            )
        if membership.relation == Relation.HEAD:
            raise DomainError.of(
                "input.personId",
                _("the head cannot be removed: change the head first"),
                ErrorCode.HEAD_CANNOT_BE_REMOVED,
            )
        # A membership starting after today (written before the rule) is withdrawn by
        # default: ended on its start day, it is never in force.
        end = end or max(today(), membership.start_date)
        if end < membership.start_date:
            raise DomainError.of(
                "input.endDate",
                _("the membership would end before it began"),
                ErrorCode.INVALID_DATE_RANGE,
            )
        membership.end_date = end
        membership.end_reason = reason
        await self.flush()
        return membership

    async def change_head(
        self,
        household_id: int,
        new_head_id: int,
        former_head_relation: Relation,
        on: dt.date | None,
    ) -> Household:
        """Make a current member the head; both changes are kept as history."""
        household = await self.household(household_id, "input.householdId")
        if former_head_relation == Relation.HEAD:
            raise DomainError.of(
                "input.formerHeadRelation",
                _("the former head cannot stay HEAD"),
                ErrorCode.MULTIPLE_HEADS,
            )
        members = await self.current_members(household.id)
        old_head = next(m for m in members if m.relation == Relation.HEAD)
        new_head = next((m for m in members if m.person_id == new_head_id), None)
        if new_head is None:
            raise DomainError.of(
                "input.newHeadId",
                _("the new head must be a current member"),
                ErrorCode.NOT_A_MEMBER,
            )
        if new_head is old_head:
            raise DomainError.of(
                "input.newHeadId", _("this person is the head already"), ErrorCode.INVALID_INPUT
            )
        check_start(on, "input.date")
        on = on or today()
        if on < max(old_head.start_date, new_head.start_date):
            raise DomainError.of(
                "input.date",
                _("the change would predate the memberships"),
                ErrorCode.INVALID_DATE_RANGE,
            )
        for ended in (old_head, new_head):
            ended.end_date = on
            ended.end_reason = "head of household changed"
        await self.flush()  # end both before the new rows meet the one-head index
        self.session.add_all(
            [
                Membership(
                    household_id=household.id,
                    person_id=new_head.person_id,
                    relation=Relation.HEAD,
                    start_date=on,
                ),
                Membership(
                    household_id=household.id,
                    person_id=old_head.person_id,
                    relation=former_head_relation,
                    start_date=on,
                ),
            ]
        )
        household.updated_at = dt.datetime.now(dt.UTC)
        await self.flush()
        return household

    # -- categories ------------------------------------------------------------

    async def assign_category(
        self,
        person_id: int,
        category: Category,
        valid_from: dt.date,
        valid_to: dt.date | None,
        certifying_organisation_id: int,
        evidence: str | None,
        monthly_allowance: decimal.Decimal | None,
        rule_version: str | None,
    ) -> CategoryAssignment:
        person = await self.person(person_id, "input.personId")
        errors = [
            *length_errors("input.evidence", evidence, CategoryAssignment.evidence),
            *length_errors("input.ruleVersion", rule_version, CategoryAssignment.rule_version),
            *future_start(valid_from, "input.validFrom"),
        ]
        if valid_to is not None and valid_to < valid_from:
            errors.append(
                FieldError(
                    "input.validTo",
                    _("the category would end before it began"),
                    ErrorCode.INVALID_DATE_RANGE,
                )
            )
        if monthly_allowance is not None and (
            monthly_allowance < 0 or monthly_allowance.as_tuple().exponent < -2  # type: ignore[operator]
        ):
            errors.append(
                FieldError(
                    "input.monthlyAllowance",
                    _("a non-negative amount in yuan with at most 2 decimals"),
                    ErrorCode.INVALID_AMOUNT,
                )
            )
        organisation: Organisation | None = None
        try:
            organisation = await self.organisation(
                certifying_organisation_id, "input.certifyingOrganisationId"
            )
        except DomainError as exc:
            errors += exc.errors
        if not errors and (problem := eligibility.rule_version_problem(rule_version, valid_from)):
            errors.append(FieldError("input.ruleVersion", problem, ErrorCode.INVALID_RULE_VERSION))
        if errors:
            raise DomainError(*errors)
        assert organisation is not None
        rule_set = eligibility.rule_set_on(valid_from)
        errors = await self.category_problems(
            rule_set, person, category, valid_from, valid_to, organisation
        )
        if errors:
            raise DomainError(*errors)
        overlapping = await self.session.scalar(
            select(CategoryAssignment.id).where(
                CategoryAssignment.person_id == person.id,
                CategoryAssignment.category == category,
                (CategoryAssignment.valid_to.is_(None))
                | (CategoryAssignment.valid_to >= valid_from),
                *(() if valid_to is None else (CategoryAssignment.valid_from <= valid_to,)),
            )
        )
        if overlapping is not None:
            raise DomainError.of(
                "input.category",
                _("the person already holds {category} in this period", category=category.value),
                ErrorCode.OVERLAP,
            )
        assignment = CategoryAssignment(
            person_id=person.id,
            category=category,
            valid_from=valid_from,
            valid_to=valid_to,
            certifying_organisation_id=certifying_organisation_id,
            evidence=evidence,
            monthly_allowance=monthly_allowance,
            rule_version=rule_set.version,
        )
        self.session.add(assignment)
        await self.flush()
        return assignment

    async def category_problems(
        self,
        rule_set: eligibility.RuleSet,
        person: Person,
        category: Category,
        valid_from: dt.date,
        valid_to: dt.date | None,
        organisation: Organisation,
    ) -> list[FieldError]:
        """NOT_ELIGIBLE for every rule of ``category`` the person breaks, NOT_COMPETENT when
        ``organisation`` may not certify it (core/registry/eligibility.py)."""
        facts = await person_facts(self.session, person, valid_from)
        last_day = eligibility.last_day_in_force(valid_from, valid_to, today())
        errors = [
            FieldError(
                "input.category",
                eligibility.broken_rule_message(category, rule),
                ErrorCode.NOT_ELIGIBLE,
            )
            for rule in rule_set.broken(category, facts, valid_from, last_day)
        ]
        region = await self.session.get(Region, organisation.region_code)
        assert region is not None
        certifier = eligibility.Certifier(organisation, region.path, region.level)
        problem = eligibility.competence_problem(rule_set, category, certifier, person.area_path)
        if problem is not None:
            errors.append(
                FieldError("input.certifyingOrganisationId", problem, ErrorCode.NOT_COMPETENT)
            )
        return errors

    async def end_category(
        self, assignment_id: int, valid_to: dt.date, reason: str | None
    ) -> CategoryAssignment:
        check_length("input.reason", reason, CategoryAssignment.end_reason)
        assignment = await self.session.get(CategoryAssignment, assignment_id)
        if assignment is None:
            raise DomainError.of(
                "input.id", _("no CategoryAssignment with this ID"), ErrorCode.NOT_FOUND
            )
        if assignment.valid_to is not None and assignment.valid_to <= valid_to:
            raise DomainError.of(
                "input.id", _("the category has ended already"), ErrorCode.ALREADY_ENDED
            )
        if valid_to < assignment.valid_from:
            raise DomainError.of(
                "input.validTo",
                _(
                    "the category would end before it began ({start})",
                    start=assignment.valid_from.isoformat(),
                ),
                ErrorCode.INVALID_DATE_RANGE,
            )
        assignment.valid_to = valid_to
        assignment.end_reason = reason
        await self.flush()
        return assignment

    async def flush(self) -> None:
        """Flush, turning a lost uniqueness race into the same error the check gives."""
        try:
            # Changed between our version check and our write: VERSION_CONFLICT.
            await flush_or_version_conflict(self.session, "input.expectedVersion")
        except IntegrityError as exc:
            text = str(exc.orig).lower()
            if "id_number_digest" in text:
                raise DomainError.of(
                    None, _("this ID number is already registered"), ErrorCode.DUPLICATE_ID_NUMBER
                ) from exc
            if "membership" in text:
                raise DomainError.of(
                    None,
                    _("the membership conflicts with a current one"),
                    ErrorCode.ALREADY_IN_A_HOUSEHOLD,
                ) from exc
            raise


async def person_facts(
    session: AsyncSession, person: Person, valid_from: dt.date
) -> eligibility.Facts:
    """What the category rules read about ``person`` for an assignment from ``valid_from``."""
    membership = await session.scalar(
        select(Membership.id)
        .where(
            Membership.person_id == person.id,
            Membership.end_date.is_(None) | (Membership.end_date >= valid_from),
        )
        .limit(1)
    )
    return eligibility.Facts(
        birth_date=person.birth_date,
        disability_category=person.disability_category,
        disability_grade=person.disability_grade,
        in_household=membership is not None,
    )


def _disability_errors(category: int | None, grade: int | None, field: str) -> list[FieldError]:
    if category is None and grade is None:
        return []
    if category is None or grade is None:
        return [FieldError(field, _("give both category and grade"), ErrorCode.INVALID_INPUT)]
    errors = []
    if not 1 <= category <= 7:
        errors.append(
            FieldError(
                f"{field}.category", _("GB/T 26341 categories are 1 to 7"), ErrorCode.INVALID_INPUT
            )
        )
    if not 1 <= grade <= 4:
        errors.append(
            FieldError(
                f"{field}.grade",
                _("GB/T 26341 grades are 1 to 4"),
                ErrorCode.INVALID_DISABILITY_GRADE,
            )
        )
    return errors
