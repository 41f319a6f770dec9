"""GraphQL types and the ``Person.education`` field of the education plugin."""

import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from plugins.education.models import Enrolment, EnrolmentStatus, SchoolStage
from schema.access import person_data

SchoolStageType = strawberry.enum(SchoolStage, name="EducationSchoolStage")
EnrolmentStatusType = strawberry.enum(EnrolmentStatus, name="EducationEnrolmentStatus")


@strawberry.type(name="EducationEnrolment", description="A child's enrolment at a school.")
class EducationEnrolment:
    school_name: str
    school_region_code: str | None
    stage: SchoolStage
    grade: int | None
    status: EnrolmentStatus
    start_date: dt.date
    end_date: dt.date | None = strawberry.field(description="Empty while current.")

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Enrolment)


@strawberry.type(name="EducationOnPerson", description="A person's schooling (教育救助, R3).")
class EducationOnPerson:
    current_enrolment: EducationEnrolment | None = strawberry.field(
        description="The enrolment without an end date, if any."
    )


@strawberry.type
class EducationPersonFields:
    """Mixed into ``Person`` by the education plugin."""

    @strawberry.field(
        description="Schooling: the current enrolment (education plugin).",
        extensions=person_data("education:read", child="education:read-sensitive"),
    )
    async def education(self, info: Info) -> EducationOnPerson | None:
        current = await info.context.loaders["education_current_enrolment"].load(self.id)  # type: ignore[attr-defined]
        return EducationOnPerson(current_enrolment=current)
