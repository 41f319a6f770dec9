"""GraphQL types of the employment plugin and the ``Person.employment`` field.

The record types accept the ORM rows themselves (``is_type_of``), so resolvers return rows.
Every relation is loaded through the plugin's DataLoaders (``bangfu.plugins.employment.loaders``).
"""

import datetime as dt
import decimal
from typing import Any

import strawberry
from strawberry.types import Info

from bangfu.core.errors import FieldError
from bangfu.plugins.employment.models import (
    JobPlacement,
    PublicWelfarePost,
    Training,
    UnableReason,
    WorkStatus,
    WorkStatusRecord,
)
from bangfu.schema.access import person_data
from bangfu.schema.errors import Error, payload_errors
from bangfu.schema.prefetch import direct, prefetchable, ready
from bangfu.schema.relay import to_global_id

WorkStatusType = strawberry.enum(
    WorkStatus, name="EmploymentWorkStatus", description="What a person does for a living."
)
UnableReasonType = strawberry.enum(
    UnableReason, name="EmploymentUnableReason", description="Why a person cannot work."
)

# Health data (PIPL art. 28): the department and the roles whose duty needs it.
SENSITIVE = person_data("employment:read", sensitive="employment:read-sensitive", child=None)


@strawberry.type(
    description="One problem with an employment mutation's input. Nothing was changed."
)
class EmploymentError(Error):
    pass


def employment_errors(errors: list[FieldError]) -> list[EmploymentError]:
    return payload_errors(EmploymentError, errors)


@strawberry.type(
    name="EmploymentUnableToWork",
    description="Why a person cannot work: sensitive (health data).",
)
class EmploymentUnableToWork:
    reason: UnableReason | None
    disability_grade: int | None = strawberry.field(
        description="GB/T 26341 grade 1 (most severe) to 4, when the reason is DISABILITY."
    )
    detail: str | None


@strawberry.type(
    name="EmploymentStatus",
    description="A person's work status from a date; the one without `until` is current.",
)
class EmploymentStatus:
    status: WorkStatus
    employer: str | None = strawberry.field(
        description="The employer (EMPLOYED), or the business (SELF_EMPLOYED)."
    )
    monthly_income: decimal.Decimal | None = strawberry.field(
        description="Declared monthly income from this work, in yuan (exact)."
    )
    since: dt.date
    until: dt.date | None = strawberry.field(description="Empty while current.")

    @strawberry.field(description="Global ID of this status record.")
    @direct
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("EmploymentStatus", self.id))  # type: ignore[arg-type]

    @strawberry.field(
        description="Why the person cannot work (UNABLE_TO_WORK only): sensitive, needs "
        "employment:read-sensitive.",
        extensions=SENSITIVE,
    )
    @direct
    def unable_to_work(self) -> EmploymentUnableToWork | None:
        row: Any = self
        if row.status is not WorkStatus.UNABLE_TO_WORK:
            return None
        return EmploymentUnableToWork(
            reason=row.unable_reason,
            disability_grade=row.disability_grade,
            detail=row.reason_detail,
        )

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, WorkStatusRecord)


@strawberry.type(name="EmploymentTraining", description="A vocational training (职业技能培训).")
class EmploymentTraining:
    course: str
    provider: str
    start_date: dt.date
    end_date: dt.date | None = strawberry.field(description="The (planned) last day.")
    completed: bool

    @strawberry.field(description="Global ID; `employmentTrainingComplete` takes it.")
    @direct
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("EmploymentTraining", self.id))  # type: ignore[arg-type]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Training)


@strawberry.type(name="EmploymentPlacement", description="A job placement (就业安置).")
class EmploymentPlacement:
    employer: str
    post: str
    start_date: dt.date
    end_date: dt.date | None = strawberry.field(description="Empty while the job lasts.")
    monthly_wage: decimal.Decimal = strawberry.field(description="Yuan a month (exact).")

    @strawberry.field(description="Global ID of this placement.")
    @direct
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("EmploymentPlacement", self.id))  # type: ignore[arg-type]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, JobPlacement)


@strawberry.type(
    name="EmploymentWelfarePost",
    description="A public-welfare post (公益性岗位) for a fixed period.",
)
class EmploymentWelfarePost:
    post: str
    monthly_subsidy: decimal.Decimal = strawberry.field(description="Yuan a month (exact).")
    start_date: dt.date
    end_date: dt.date

    @strawberry.field(description="Global ID of this welfare post.")
    @direct
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("EmploymentWelfarePost", self.id))  # type: ignore[arg-type]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, PublicWelfarePost)


def _under_way(rows: list[Any], day: dt.date) -> Any:
    """The row whose period covers ``day`` (records of one kind do not overlap)."""
    return next(
        (r for r in rows if r.start_date <= day and (r.end_date is None or r.end_date >= day)),
        None,
    )


@strawberry.type(name="EmploymentOnPerson", description="A person's work (就业救助, R3).")
class EmploymentOnPerson:
    person_id: strawberry.Private[int]

    @strawberry.field(description="The status without an end, if any.")
    @prefetchable
    def current_status(self, info: Info) -> EmploymentStatus | None:
        return ready(info.context.loaders["employment_current_status"], self.person_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Every status on record, the newest first.")
    @prefetchable
    def history(self, info: Info) -> list[EmploymentStatus]:
        return ready(info.context.loaders["employment_status_history"], self.person_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Trainings, the latest start first.")
    @prefetchable
    def trainings(self, info: Info) -> list[EmploymentTraining]:
        return ready(info.context.loaders["employment_trainings"], self.person_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Job placements, the latest start first.")
    @prefetchable
    def placements(self, info: Info) -> list[EmploymentPlacement]:
        return ready(info.context.loaders["employment_placements"], self.person_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The placement under way today, if any.")
    async def current_placement(self, info: Info) -> EmploymentPlacement | None:
        rows = await info.context.loaders["employment_placements"].load(self.person_id)
        return _under_way(rows, info.context.today)  # type: ignore[no-any-return]

    @strawberry.field(description="Public-welfare posts, the latest start first.")
    @prefetchable
    def welfare_posts(self, info: Info) -> list[EmploymentWelfarePost]:
        return ready(info.context.loaders["employment_welfare_posts"], self.person_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The public-welfare post held today, if any.")
    async def current_welfare_post(self, info: Info) -> EmploymentWelfarePost | None:
        rows = await info.context.loaders["employment_welfare_posts"].load(self.person_id)
        return _under_way(rows, info.context.today)  # type: ignore[no-any-return]


@strawberry.type
class EmploymentPersonFields:
    """Mixed into ``Person`` by the employment plugin."""

    @strawberry.field(
        description="Work: status and its history, trainings, placements and public-welfare "
        "posts (employment plugin). A child's needs employment:read-sensitive.",
        extensions=person_data("employment:read", child="employment:read-sensitive"),
    )
    @prefetchable
    def employment(self) -> EmploymentOnPerson | None:
        return EmploymentOnPerson(person_id=self.id)  # type: ignore[attr-defined]
