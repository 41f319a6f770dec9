"""GraphQL types of the education plugin and the ``Person.education`` field.

Every type is named ``Education...``. Resolvers receive ORM rows (``Enrolment``,
``EducationAid``, core's ``Person``) and load what they refer to through DataLoaders
(``bangfu.plugins.education.loaders`` and core's ``region``, ``organisation`` and ``person``).
"""

import datetime as dt
import decimal
from typing import Any, cast

import strawberry
from strawberry.types import Info

from bangfu.core.errors import FieldError
from bangfu.plugins.education import loaders, models
from bangfu.plugins.education.models import (
    AidKind,
    Enrolment,
    EnrolmentStatus,
    FundingSource,
    SchoolStage,
)
from bangfu.plugins.education.rules import at_school, in_effect, of_compulsory_age
from bangfu.schema.access import person_data
from bangfu.schema.errors import Error
from bangfu.schema.prefetch import direct, prefetchable, ready
from bangfu.schema.relay import Node, to_global_id
from bangfu.schema.types import Organisation, Region

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
    @direct
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("EducationEnrolment", cast(Any, self).id))

    @strawberry.field(description="Whether this is the child's current period (no end date).")
    @direct
    def current(self) -> bool:
        return self.end_date is None

    @strawberry.field(description="The region of the school.")
    async def school_region(self, info: Info) -> Region | None:
        if self.school_region_code is None:
            return None
        return await info.context.loaders["region"].load(self.school_region_code)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The child: a `Person` (select its fields with `... on Person`); null "
        "when you may not see the person."
    )
    @prefetchable
    def person(self, info: Info) -> Node | None:
        return ready(info.context.loaders["person"], cast(Any, self).person_id)  # type: ignore[no-any-return]

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
    @direct
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("EducationAid", cast(Any, self).id))

    @strawberry.field(description="The organisation that granted the aid.")
    async def granting_organisation(self, info: Info) -> Organisation | None:
        return await info.context.loaders["organisation"].load(  # type: ignore[no-any-return]
            cast(Any, self).granting_organisation_id
        )

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.EducationAid)


@strawberry.type(
    name="EducationOnPerson",
    description="A person's schooling and education aid (教育救助, R3 有学上, 上好学).",
)
class EducationOnPerson:
    person: strawberry.Private[Any]

    @strawberry.field(description="The period without an end date, if any.")
    @prefetchable
    def current_enrolment(self, info: Info) -> EducationEnrolment | None:
        return ready(info.context.loaders[loaders.CURRENT_ENROLMENT], self.person.id)  # type: ignore[no-any-return]

    @strawberry.field(description="Every period of schooling, newest first, the current included.")
    @prefetchable
    def history(self, info: Info) -> list[EducationEnrolment]:
        return ready(info.context.loaders[loaders.ENROLMENTS], self.person.id)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Of compulsory-education age (6 to 15) today with no period ENROLLED or "
        "SUSPENDED holding today: the child is unaccounted for."
    )
    async def unaccounted_for(self, info: Info) -> bool:
        today = info.context.today
        if self.person.deceased or not of_compulsory_age(self.person.birth_date, today):
            return False
        periods = await info.context.loaders[loaders.ENROLMENTS].load(self.person.id)
        return not any(at_school(p) and in_effect(p, today) for p in periods)

    @strawberry.field(
        description="Aid granted this school year (1 September to 31 August), oldest first."
    )
    @prefetchable
    def aid_this_school_year(self, info: Info) -> list[EducationAid]:
        return ready(info.context.loaders[loaders.AID_THIS_SCHOOL_YEAR], self.person.id)  # type: ignore[no-any-return]

    @strawberry.field(description="The total of `aidThisSchoolYear`, in exact yuan.")
    async def aid_total_this_school_year(self, info: Info) -> decimal.Decimal:
        rows = await info.context.loaders[loaders.AID_THIS_SCHOOL_YEAR].load(self.person.id)
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
    @prefetchable
    def education(self) -> EducationOnPerson | None:
        return EducationOnPerson(person=self)


@strawberry.type(
    name="EducationError", description="One problem with an education input. Nothing was changed."
)
class EducationError(Error):
    @classmethod
    def of(cls, error: FieldError) -> "EducationError":
        """A payload error from a domain error (core's codes or the plugin's)."""
        return cls(field=error.field, message=error.message, code=error.code)
