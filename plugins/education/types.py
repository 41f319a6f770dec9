"""GraphQL types of the education plugin and the ``Person.education`` field.

Every type is named ``Education...``. Resolvers receive ORM rows (``Enrolment``,
``EducationAid``, core's ``Person``) and load what they refer to through DataLoaders
(``bangfu.plugins.education.loaders`` and core's ``region``, ``organisation`` and ``person``).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import strawberry
from strawberry.types import Info

from bangfu.plugin import (
    Error,
    OrganisationType,
    Person,
    direct,
    person_data,
    prefetchable,
    ready,
    to_global_id,
)
from bangfu.plugins.education import loaders, models
from bangfu.plugins.education.models import (
    AidKind,
    Enrolment,
    EnrolmentStatus,
    FundingSource,
    SchoolStage,
)
from bangfu.plugins.education.rules import at_school, in_effect, of_compulsory_age
from bangfu.schema.relay import Node
from bangfu.schema.types import Region

SchoolStageType = strawberry.enum(
    SchoolStage, name="EducationSchoolStage", description="学段: the stage of schooling."
)
EnrolmentStatusType = strawberry.enum(
    EnrolmentStatus,
    name="EducationEnrolmentStatus",
    description="The status of a period of schooling. ENROLLED and SUSPENDED mean the child "
    "has a school place.",
)
AidKindType = strawberry.enum(AidKind, name="EducationAidKind", description="教育资助的种类.")
FundingSourceType = strawberry.enum(
    FundingSource,
    name="EducationFundingSource",
    description="A GOVERNMENT_PROGRAMME (named in `programme`) or a SOCIAL_DONATION "
    "(named in `donor`).",
)


@strawberry.type(
    name="EducationEnrolment",
    description="A period of a child's schooling with its status; current while it has no "
    "end date.",
)
class EducationEnrolment:
    school_name: str | None = strawberry.field(description="Empty only for NOT_YET_OF_SCHOOL_AGE.")
    school_region_code: str | None
    stage: SchoolStage | None
    grade: int | None
    status: EnrolmentStatus
    start_date: dt.date
    end_date: dt.date | None = strawberry.field(
        description="The day the period ended (it no longer holds on that day); empty while "
        "current."
    )
    end_reason: str | None

    @strawberry.field(description="The global ID of the enrolment.")
    @staticmethod
    @direct
    def id(root: Enrolment) -> strawberry.ID:
        return strawberry.ID(to_global_id("EducationEnrolment", root.id))

    @strawberry.field(description="Whether this is the child's current period (no end date).")
    @staticmethod
    @direct
    def current(root: Enrolment) -> bool:
        return root.end_date is None

    @strawberry.field(description="The region of the school.")
    @staticmethod
    async def school_region(root: Enrolment, info: Info) -> Region | None:
        if root.school_region_code is None:
            return None
        return await info.context.loaders["region"].load(root.school_region_code)

    @strawberry.field(
        description="The child: a `Person` (select its fields with `... on Person`); null "
        "when you may not see the person."
    )
    @staticmethod
    @prefetchable
    def person(root: Enrolment, info: Info) -> Node | None:
        return ready(info.context.loaders["person"], root.person_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Enrolment)


@strawberry.type(name="EducationAid", description="Education aid granted to a child (教育资助).")
class EducationAid:
    kind: AidKind
    amount: decimal.Decimal = strawberry.field(
        description='Yuan, exact to the fen (a string such as "1250.00").'
    )
    granted_on: dt.date
    funding_source: FundingSource
    programme: str | None = strawberry.field(
        description="The government programme, for GOVERNMENT_PROGRAMME."
    )
    donor: str | None = strawberry.field(description="The donor, for SOCIAL_DONATION.")
    note: str | None

    @strawberry.field(description="The global ID of the aid.")
    @staticmethod
    @direct
    def id(root: models.EducationAid) -> strawberry.ID:
        return strawberry.ID(to_global_id("EducationAid", root.id))

    @strawberry.field(description="The organisation that granted the aid.")
    @staticmethod
    async def granting_organisation(
        root: models.EducationAid, info: Info
    ) -> OrganisationType | None:
        return await info.context.loaders["organisation"].load(root.granting_organisation_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.EducationAid)


@strawberry.type(
    name="EducationOnPerson",
    description="A person's schooling and education aid (教育救助, R3 有学上, 上好学).",
)
class EducationOnPerson:
    person: strawberry.Private[Person]

    @strawberry.field(description="The period without an end date, if any.")
    @staticmethod
    @prefetchable
    def current_enrolment(root: EducationOnPerson, info: Info) -> EducationEnrolment | None:
        return ready(info.context.loaders[loaders.CURRENT_ENROLMENT], root.person.id)

    @strawberry.field(description="Every period of schooling, newest first, the current included.")
    @staticmethod
    @prefetchable
    def history(root: EducationOnPerson, info: Info) -> list[EducationEnrolment]:
        return ready(info.context.loaders[loaders.ENROLMENTS], root.person.id)

    @strawberry.field(
        description="Of compulsory-education age (6 to 15) today with no period ENROLLED or "
        "SUSPENDED holding today: the child is unaccounted for."
    )
    @staticmethod
    async def unaccounted_for(root: EducationOnPerson, info: Info) -> bool:
        today = info.context.today
        if root.person.deceased or not of_compulsory_age(root.person.birth_date, today):
            return False
        periods = await info.context.loaders[loaders.ENROLMENTS].load(root.person.id)
        return not any(at_school(p) and in_effect(p, today) for p in periods)

    @strawberry.field(
        description="Aid granted this school year (1 September to 31 August), oldest first."
    )
    @staticmethod
    @prefetchable
    def aid_this_school_year(root: EducationOnPerson, info: Info) -> list[EducationAid]:
        return ready(info.context.loaders[loaders.AID_THIS_SCHOOL_YEAR], root.person.id)

    @strawberry.field(description="The total of `aidThisSchoolYear`, in exact yuan.")
    @staticmethod
    async def aid_total_this_school_year(root: EducationOnPerson, info: Info) -> decimal.Decimal:
        rows = await info.context.loaders[loaders.AID_THIS_SCHOOL_YEAR].load(root.person.id)
        # Summed as decimals here rather than by SQL SUM: SQLite would add floats.
        return sum((row.amount for row in rows), decimal.Decimal("0.00"))


@strawberry.type
class EducationPersonFields:
    """Mixed into ``Person`` by the education plugin."""

    @strawberry.field(
        description="Schooling and education aid (education plugin); for a child under 14 "
        "it needs education:read-sensitive.",
        extensions=person_data("education:read", child="education:read-sensitive"),
    )
    @staticmethod
    @prefetchable
    def education(root: Person) -> EducationOnPerson | None:
        return EducationOnPerson(person=root)


@strawberry.type(
    name="EducationError", description="One problem with an education input. Nothing was changed."
)
class EducationError(Error):
    """Core's codes or the plugin's (``EducationErrorCode``); built by ``run_mutation``."""
