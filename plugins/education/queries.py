"""Root queries of the education plugin: enrolments, and children unaccounted for.

Both list children's data, so both need ``education:read-sensitive`` (held by the
education department and the roles whose duty needs children's data), like
``Person.education`` of a child under 14. Filters and counts are SQL; area scoping
applies to every statement through the ORM, so neither query filters by area itself.
"""

from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, select
from strawberry.types import Info

from bangfu.core.effective import current, in_force
from bangfu.core.i18n import _
from bangfu.plugin import (
    NARROWS,
    SCANS,
    After,
    Before,
    First,
    Last,
    Page,
    Person,
    PersonConnection,
    PersonEdge,
    Region,
    RegionCode,
    paginate,
    path_within,
    requires,
)
from bangfu.plugins.education.models import AT_SCHOOL, Enrolment, EnrolmentStatus, SchoolStage
from bangfu.plugins.education.rules import compulsory_birth_dates
from bangfu.plugins.education.types import EducationEnrolment
from bangfu.schema.input_limits import SEARCH

READ = "education:read-sensitive"


@strawberry.type(name="EducationEnrolmentEdge", description="An EducationEnrolment and its cursor.")
class EducationEnrolmentEdge:
    cursor: str = strawberry.field(
        description="Where this edge is in the list: pass it as `after` for the next page."
    )
    node: EducationEnrolment = strawberry.field(description="The period of schooling.")


@strawberry.type(
    name="EducationEnrolmentConnection", description="A page of EducationEnrolment objects."
)
class EducationEnrolmentConnection(Page):
    edges: list[EducationEnrolmentEdge] = strawberry.field(
        description="The periods of this page with their cursors, by ID."
    )
    nodes: list[EducationEnrolment] = strawberry.field(
        description="The periods of this page, by ID (the edges' nodes)."
    )


@strawberry.input(
    name="EducationEnrolmentFilter",
    description="Filters for `educationEnrolments`; all given filters must hold.",
)
class EducationEnrolmentFilter:
    school_name: str | None = strawberry.field(
        default=None,
        description="Part of the school's name (matched literally); at most 100 characters "
        "by default.",
        metadata={**SCANS, **SEARCH},
    )
    stage: SchoolStage | None = strawberry.field(
        default=None, description="Only periods at this stage of schooling.", metadata=SCANS
    )
    status: EnrolmentStatus | None = strawberry.field(
        default=None, description="Only periods with this status.", metadata=SCANS
    )
    region_code: str | None = strawberry.field(
        default=None,
        description="Only children living in this region or below it.",
        metadata=NARROWS,
    )
    school_region_code: str | None = strawberry.field(
        default=None, description="Only schools in this region or below it.", metadata=SCANS
    )
    current: bool | None = strawberry.field(
        default=None,
        description="true: only current periods; false: only ended ones.",
        metadata=SCANS,
    )


async def region_path(info: Info, code: str, argument: str) -> str:
    region = await info.context.loaders["region"].load(code)
    if region is None:
        raise ValueError(
            _("{argument}: unknown region code {code}", argument=argument, code=repr(code))
        )
    return region.path


async def enrolments_statement(info: Info, filter: EducationEnrolmentFilter | None) -> Select[Any]:
    statement = select(Enrolment)
    if filter is None:
        return statement
    if filter.school_name:
        statement = statement.where(
            Enrolment.school_name.contains(filter.school_name.strip(), autoescape=True)
        )
    if filter.stage is not None:
        statement = statement.where(Enrolment.stage == SchoolStage(filter.stage))
    if filter.status is not None:
        statement = statement.where(Enrolment.status == EnrolmentStatus(filter.status))
    if filter.region_code is not None:
        path = await region_path(info, filter.region_code, "filter.regionCode")
        statement = statement.where(
            Enrolment.person_id.in_(select(Person.id).where(path_within(Person.area_path, path)))
        )
    if filter.school_region_code is not None:
        path = await region_path(info, filter.school_region_code, "filter.schoolRegionCode")
        statement = statement.where(
            Enrolment.school_region_code.in_(
                select(Region.code).where(path_within(Region.path, path))
            )
        )
    if filter.current is not None:
        statement = statement.where(
            current(Enrolment.start_date, Enrolment.end_date, info.context.today)
            if filter.current
            else Enrolment.end_date.is_not(None)
        )
    return statement


async def unaccounted_statement(info: Info, region_code: str | None) -> Select[Any]:
    """Living persons of compulsory-education age today with no school place holding today."""
    today = info.context.today
    born_after, born_up_to = compulsory_birth_dates(today)
    at_school = select(Enrolment.person_id).where(
        Enrolment.status.in_(AT_SCHOOL),
        in_force(Enrolment.start_date, Enrolment.end_date, today),
    )
    statement = select(Person).where(
        Person.birth_date > born_after,
        Person.birth_date <= born_up_to,
        Person.deceased.is_(False),
        Person.id.not_in(at_school),
    )
    if region_code is not None:
        path = await region_path(info, region_code, "regionCode")
        statement = statement.where(path_within(Person.area_path, path))
    return statement


@strawberry.type
class EducationQuery:
    @strawberry.field(
        description="Periods of schooling of children in your area, by ID, a page at a "
        "time (`first` 1 to 100).",
        extensions=requires(READ),
    )
    async def education_enrolments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            EducationEnrolmentFilter | None,
            strawberry.argument(description="Only the periods matching every filter given."),
        ] = None,
    ) -> EducationEnrolmentConnection:
        return await paginate(
            info.context,
            EducationEnrolmentConnection,
            EducationEnrolmentEdge,
            await enrolments_statement(info, filter),
            Enrolment,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="Children of compulsory-education age (6 to 15) in your area, or in "
        "`regionCode` and below, with no period ENROLLED or SUSPENDED holding today: "
        "unaccounted for (控辍保学).",
        extensions=requires(READ),
        metadata=SCANS,  # an anti-join over the area's children
    )
    async def education_unaccounted_children(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        region_code: RegionCode = None,
    ) -> PersonConnection:
        return await paginate(
            info.context,
            PersonConnection,
            PersonEdge,
            await unaccounted_statement(info, region_code),
            Person,
            first=first,
            after=after,
            last=last,
            before=before,
        )
