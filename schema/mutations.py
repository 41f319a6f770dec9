"""Core mutations: noun first, one input, a payload with the object and ``errors``."""

import datetime as dt
import decimal
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core.registry import models
from bangfu.core.registry.organisations import create_organisation
from bangfu.core.registry.service import MemberData, PersonData, Registry
from bangfu.schema.composed import HouseholdType, PersonType
from bangfu.schema.core_types import Membership
from bangfu.schema.descriptions import ERRORS, INPUT
from bangfu.schema.errors import CoreError
from bangfu.schema.permissions import requires
from bangfu.schema.relay import decode_id
from bangfu.schema.transactions import run_mutation
from bangfu.schema.types import CategoryAssignment, Organisation

T = TypeVar("T")


@strawberry.input(description="Disability per GB/T 26341.")
class DisabilityInput:
    category: int = strawberry.field(description="1 to 7.")
    grade: int = strawberry.field(description="1 to 4.")
    certified_on: dt.date | None = strawberry.field(
        default=None, description="Date of the disability certificate (残疾人证), if known."
    )


@strawberry.input(description="A new person. Birth date and sex are taken from the ID number.")
class PersonInput:
    name: str = strawberry.field(description="Full name, as on the ID card.")
    id_number: str = strawberry.field(
        description="18 characters (15-digit legacy numbers are upgraded)."
    )
    phone: str | None = strawberry.field(
        default=None,
        description="A mobile or landline number of mainland China (13812345678, "
        "0357-2091234, +86 allowed); stored as its national digits (13812345678, "
        "03572091234). Anything else is refused with INVALID_PHONE_NUMBER.",
    )
    hukou_type: models.HukouType | None = strawberry.field(
        default=None, description="Household registration type (户口性质), if known."
    )
    disability: DisabilityInput | None = strawberry.field(
        default=None, description="The person's certified disability, if any."
    )

    def data(self) -> PersonData:
        return PersonData(
            name=self.name,
            id_number=self.id_number,
            phone=self.phone,
            hukou_type=None if self.hukou_type is None else models.HukouType(self.hukou_type),
            disability_category=self.disability.category if self.disability else None,
            disability_grade=self.disability.grade if self.disability else None,
            disability_certified_on=self.disability.certified_on if self.disability else None,
        )


@strawberry.input(description="A member of a new household: a new `person`, or a `personId`.")
class HouseholdMemberInput:
    relation: models.Relation = strawberry.field(
        description="Relation to the head (HEAD for the head)."
    )
    person: PersonInput | None = strawberry.field(
        default=None, description="A person not yet registered; give this or `personId`."
    )
    person_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The global ID of a registered person without a current household; give "
        "this or `person`.",
    )


@strawberry.input(description="A new household with its members (`householdCreate`).")
class HouseholdCreateInput:
    region_code: str = strawberry.field(description="The village (or other region) it lives in.")
    address: str | None = strawberry.field(
        default=None, description="Street address, free text (at most 200 characters)."
    )
    members: list[HouseholdMemberInput] = strawberry.field(
        description="The members; exactly one with relation HEAD."
    )
    start_date: dt.date | None = strawberry.field(
        default=None, description="When the memberships begin (today by default)."
    )


@strawberry.input(
    description="A member to add to a household (`householdMemberAdd`): a new `person`, or a "
    "`personId`."
)
class HouseholdMemberAddInput:
    household_id: strawberry.ID = strawberry.field(description="The household's global ID.")
    relation: models.Relation = strawberry.field(
        description="Relation to the head; not HEAD (`householdHeadChange` changes the head)."
    )
    person: PersonInput | None = strawberry.field(
        default=None, description="A person not yet registered; give this or `personId`."
    )
    person_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The global ID of a registered person without a current household; give "
        "this or `person`.",
    )
    start_date: dt.date | None = strawberry.field(
        default=None, description="When the membership begins (today by default)."
    )


@strawberry.input(
    description="A membership to end (`householdMemberRemove`); it stays in the history."
)
class HouseholdMemberRemoveInput:
    household_id: strawberry.ID = strawberry.field(description="The household's global ID.")
    person_id: strawberry.ID = strawberry.field(
        description="The global ID of the current member whose membership ends; not the head."
    )
    end_date: dt.date | None = strawberry.field(default=None, description="Today by default.")
    reason: str | None = strawberry.field(
        default=None, description="Why it ends (moved, married, died), free text."
    )


@strawberry.input(description="A new head for a household (`householdHeadChange`).")
class HouseholdHeadChangeInput:
    household_id: strawberry.ID = strawberry.field(description="The household's global ID.")
    new_head_id: strawberry.ID = strawberry.field(description="A current member (a Person ID).")
    former_head_relation: models.Relation = strawberry.field(
        description="The former head's relation to the new head."
    )
    date: dt.date | None = strawberry.field(
        default=None, description="When the change takes effect (today by default)."
    )


@strawberry.input(description="Fields to change; omitted fields stay as they are.")
class PersonUpdateInput:
    id: strawberry.ID = strawberry.field(description="The person's global ID.")
    expected_version: int = strawberry.field(
        description="The `version` you read; a stale one gets VERSION_CONFLICT."
    )
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A corrected name; null is ignored."
    )
    id_number: str | None = strawberry.field(
        default=strawberry.UNSET, description="A corrected ID number (birth date and sex follow)."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A mobile or landline number of mainland China, stored as its national "
        "digits (see PersonInput.phone); null removes it.",
    )
    hukou_type: models.HukouType | None = strawberry.field(
        default=strawberry.UNSET, description="A new registration type; null removes it."
    )
    disability: DisabilityInput | None = strawberry.field(
        default=strawberry.UNSET, description="null removes the disability."
    )
    deceased: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Whether the person has died; null is ignored.",
    )
    guardian_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null removes the guardian."
    )


@strawberry.input(description="A hardship category to certify for a person (`categoryAssign`, R2).")
class CategoryAssignInput:
    person_id: strawberry.ID = strawberry.field(description="The person's global ID.")
    category: models.Category = strawberry.field(description="The category certified.")
    valid_from: dt.date = strawberry.field(description="First day the category holds.")
    valid_to: dt.date | None = strawberry.field(
        default=None, description="Last day it holds; omitted: until ended (`categoryEnd`)."
    )
    certifying_organisation_id: strawberry.ID = strawberry.field(
        description="The global ID of the organisation that certifies it."
    )
    evidence: str | None = strawberry.field(
        default=None,
        description="What the certification rests on (a decision number, a document), free "
        "text (at most 500 characters).",
    )
    monthly_allowance: decimal.Decimal | None = strawberry.field(
        default=None, description='Yuan, exact (a string such as "650.00").'
    )
    rule_version: str | None = strawberry.field(
        default=None,
        description="The version of the category rules applied (`categoryRules`): omitted, "
        "the version in force on validFrom; given, it must be that version "
        "(INVALID_RULE_VERSION otherwise).",
    )


@strawberry.input(description="A category assignment to end (`categoryEnd`); the record stays.")
class CategoryEndInput:
    id: strawberry.ID = strawberry.field(description="The CategoryAssignment.")
    valid_to: dt.date = strawberry.field(description="Last day the category holds.")
    reason: str | None = strawberry.field(default=None, description="Why it ends, free text.")


@strawberry.type(description="The result of `categoryAssign` or `categoryEnd`.")
class CategoryAssignmentPayload:
    category_assignment: CategoryAssignment | None = strawberry.field(
        description="The category assignment as saved; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.input(
    description="A new township or village organisation (`organisationCreate`, R7): a "
    "乡镇党委, 乡镇政府, 村党支部 or 村委会."
)
class OrganisationCreateInput:
    name: str = strawberry.field(
        description="Official name, in Chinese (中共古城镇委员会), at most 200 characters; "
        "unique within the region."
    )
    kind: models.OrganisationKind = strawberry.field(
        description="TOWNSHIP_PARTY_COMMITTEE or TOWNSHIP_GOVERNMENT on a TOWNSHIP, "
        "VILLAGE_PARTY_BRANCH or VILLAGE_COMMITTEE on a VILLAGE, GRASSROOTS_PARTY_ORGANISATION "
        "on either; other kinds are reference data and are refused."
    )
    region_code: str = strawberry.field(
        description="The township (9 digits) or village (12 digits) it serves, inside your "
        "area; its level must be the kind's (WRONG_REGION_LEVEL)."
    )
    code: str | None = strawberry.field(
        default=None,
        description="Stable unique code, 2 to 64 letters, digits or . _ -; omitted: the "
        "region code and the kind (`141023100201-village-party-branch`).",
    )


@strawberry.type(description="The result of `organisationCreate`.")
class OrganisationPayload:
    organisation: Organisation | None = strawberry.field(
        description="The organisation as saved; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


def _given(value: Any) -> bool:
    return value is not strawberry.UNSET


@strawberry.type(
    name="HouseholdPayload",
    description="The result of `householdCreate` or `householdHeadChange`.",
)
class HouseholdPayload:
    household: HouseholdType | None = strawberry.field(
        description="The household as saved; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(
    name="MembershipPayload",
    description="The result of `householdMemberAdd` or `householdMemberRemove`.",
)
class MembershipPayload:
    membership: Membership | None = strawberry.field(
        description="The membership added or ended; null when the input was refused."
    )
    household: HouseholdType | None = strawberry.field(
        description="The household with its members after the change; null when the input "
        "was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="PersonPayload", description="The result of `personUpdate`.")
class PersonPayload:
    person: PersonType | None = strawberry.field(
        description="The person as saved, with the new `version`; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


def registry(session: AsyncSession, context: Any) -> Registry:
    """The registry's use cases in the mutation's transaction, as the request's actor."""
    return Registry(session, context.actor, context.cipher)


def members(items: list[HouseholdMemberInput]) -> list[MemberData]:
    return [
        MemberData(
            relation=models.Relation(m.relation),
            person=m.person.data() if m.person else None,
            person_id=decode_id(m.person_id, "Person", f"input.members.{i}.personId")
            if m.person_id is not None
            else None,
        )
        for i, m in enumerate(items)
    ]


@strawberry.type(name="Mutation")
class CoreMutation:
    @strawberry.mutation(
        description="Register a household with its members (exactly one HEAD).",
        extensions=requires("registry:write"),
    )
    async def household_create(
        self, info: Info, input: Annotated[HouseholdCreateInput, INPUT]
    ) -> HouseholdPayload:
        async def work(registry: Registry) -> Any:
            return await registry.create_household(
                input.region_code, input.address, members(input.members), input.start_date
            )

        return await run_mutation(info, HouseholdPayload, work, service=registry)

    @strawberry.mutation(
        description="Add a member (a new person or an existing one without a household).",
        extensions=requires("registry:write"),
    )
    async def household_member_add(
        self, info: Info, input: Annotated[HouseholdMemberAddInput, INPUT]
    ) -> MembershipPayload:
        async def work(registry: Registry) -> Any:
            member = MemberData(
                relation=models.Relation(input.relation),
                person=input.person.data() if input.person else None,
                person_id=decode_id(input.person_id, "Person", "input.personId")
                if input.person_id is not None
                else None,
            )
            household_id = decode_id(input.household_id, "Household", "input.householdId")
            membership = await registry.add_member(household_id, member, input.start_date)
            return {
                "membership": membership,
                "household": await registry.household(household_id, "input.householdId"),
            }

        return await run_mutation(info, MembershipPayload, work, service=registry)

    @strawberry.mutation(
        description="End a member's membership; it stays in the history.",
        extensions=requires("registry:write"),
    )
    async def household_member_remove(
        self, info: Info, input: Annotated[HouseholdMemberRemoveInput, INPUT]
    ) -> MembershipPayload:
        async def work(registry: Registry) -> Any:
            household_id = decode_id(input.household_id, "Household", "input.householdId")
            membership = await registry.remove_member(
                household_id,
                decode_id(input.person_id, "Person", "input.personId"),
                input.end_date,
                input.reason,
            )
            return {
                "membership": membership,
                "household": await registry.household(household_id, "input.householdId"),
            }

        return await run_mutation(info, MembershipPayload, work, service=registry)

    @strawberry.mutation(
        description="Make another current member the head of household.",
        extensions=requires("registry:write"),
    )
    async def household_head_change(
        self, info: Info, input: Annotated[HouseholdHeadChangeInput, INPUT]
    ) -> HouseholdPayload:
        async def work(registry: Registry) -> Any:
            return await registry.change_head(
                decode_id(input.household_id, "Household", "input.householdId"),
                decode_id(input.new_head_id, "Person", "input.newHeadId"),
                models.Relation(input.former_head_relation),
                input.date,
            )

        return await run_mutation(info, HouseholdPayload, work, service=registry)

    @strawberry.mutation(
        description="Change a person; `expectedVersion` guards against lost updates.",
        extensions=requires("registry:write"),
    )
    async def person_update(
        self, info: Info, input: Annotated[PersonUpdateInput, INPUT]
    ) -> PersonPayload:
        async def work(registry: Registry) -> Any:
            changes: dict[str, Any] = {}
            if _given(input.name) and input.name is not None:
                changes["name"] = input.name
            if _given(input.id_number) and input.id_number is not None:
                changes["id_number"] = input.id_number
            if _given(input.phone):
                changes["phone"] = input.phone
            if _given(input.hukou_type):
                changes["hukou_type"] = (
                    None if input.hukou_type is None else models.HukouType(input.hukou_type)
                )
            if _given(input.disability):
                d = input.disability
                changes["disability"] = None if d is None else (d.category, d.grade, d.certified_on)
            if _given(input.deceased) and input.deceased is not None:
                changes["deceased"] = input.deceased
            if _given(input.guardian_id):
                changes["guardian_id"] = (
                    None
                    if input.guardian_id is None
                    else decode_id(input.guardian_id, "Person", "input.guardianId")
                )
            return await registry.update_person(
                decode_id(input.id, "Person", "input.id"), input.expected_version, **changes
            )

        return await run_mutation(info, PersonPayload, work, service=registry)

    @strawberry.mutation(
        description="Certify a hardship category for a person (R2).",
        extensions=requires("category:write"),
    )
    async def category_assign(
        self, info: Info, input: Annotated[CategoryAssignInput, INPUT]
    ) -> CategoryAssignmentPayload:
        async def work(registry: Registry) -> Any:
            return await registry.assign_category(
                decode_id(input.person_id, "Person", "input.personId"),
                models.Category(input.category),
                input.valid_from,
                input.valid_to,
                decode_id(
                    input.certifying_organisation_id,
                    "Organisation",
                    "input.certifyingOrganisationId",
                ),
                input.evidence,
                input.monthly_allowance,
                input.rule_version,
            )

        return await run_mutation(info, CategoryAssignmentPayload, work, service=registry)

    @strawberry.mutation(
        description="End a hardship category on a date; the record stays.",
        extensions=requires("category:write"),
    )
    async def category_end(
        self, info: Info, input: Annotated[CategoryEndInput, INPUT]
    ) -> CategoryAssignmentPayload:
        async def work(registry: Registry) -> Any:
            return await registry.end_category(
                decode_id(input.id, "CategoryAssignment", "input.id"),
                input.valid_to,
                input.reason,
            )

        return await run_mutation(info, CategoryAssignmentPayload, work, service=registry)

    @strawberry.mutation(
        description="Create a township or village organisation (R7): a city administrator "
        "anywhere, a civil-affairs officer in their own area.",
        extensions=requires("organisation:write"),
    )
    async def organisation_create(
        self, info: Info, input: Annotated[OrganisationCreateInput, INPUT]
    ) -> OrganisationPayload:
        async def work(session: AsyncSession) -> Any:
            return await create_organisation(
                session,
                info.context.actor,
                name=input.name,
                kind=models.OrganisationKind(input.kind),
                region_code=input.region_code,
                code=input.code,
            )

        return await run_mutation(info, OrganisationPayload, work)
