"""GraphQL types and the ``Person.employment`` field of the employment plugin."""

import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from plugins.employment.models import WorkStatus, WorkStatusRecord
from schema.access import person_data

WorkStatusType = strawberry.enum(WorkStatus, name="EmploymentWorkStatus")


@strawberry.type(name="EmploymentStatus", description="A person's work status from a date.")
class EmploymentStatus:
    status: WorkStatus
    employer: str | None
    reason: str | None = strawberry.field(description="Why unable to work, when so.")
    since: dt.date
    until: dt.date | None = strawberry.field(description="Empty while current.")

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, WorkStatusRecord)


@strawberry.type(name="EmploymentOnPerson", description="A person's work (就业救助, R3).")
class EmploymentOnPerson:
    current_status: EmploymentStatus | None


@strawberry.type
class EmploymentPersonFields:
    """Mixed into ``Person`` by the employment plugin."""

    @strawberry.field(
        description="Work: the current status (employment plugin).",
        extensions=person_data("employment:read", child="employment:read-sensitive"),
    )
    async def employment(self, info: Info) -> EmploymentOnPerson | None:
        current = await info.context.loaders["employment_current_status"].load(self.id)  # type: ignore[attr-defined]
        return EmploymentOnPerson(current_status=current)
