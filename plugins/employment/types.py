"""GraphQL types of the employment plugin and the ``Person.employment`` field.

The record types accept the ORM rows themselves (``is_type_of``), so resolvers return rows.
Every relation is loaded through the plugin's DataLoaders (``bangfu.plugins.employment.loaders``).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import strawberry
from sqlalchemy import and_, inspect, select
from sqlalchemy.orm import aliased
from strawberry.types import Info

from bangfu.core.effective import current, holds, in_force
from bangfu.plugin import (
    SQL_TODAY,
    Error,
    Node,
    Person,
    direct,
    graphql_enum,
    node_source,
    person_data,
    prefetchable,
    ready,
    sql_global_id,
    sql_many,
    sql_model,
    sql_one,
    sql_same_row,
    sql_value,
    to_global_id,
)
from bangfu.plugins.employment.models import (
    JobPlacement,
    PublicWelfarePost,
    Training,
    UnableReason,
    WorkStatus,
    WorkStatusRecord,
)

WorkStatusType = graphql_enum(
    WorkStatus,
    name="EmploymentWorkStatus",
    description="What a person does for a living (就业状态). EMPLOYED and SELF_EMPLOYED count "
    "as having work (R3 有事干, the WORK indicator); UNABLE_TO_WORK, STUDENT and RETIRED are "
    "not expected to work.",
    values={
        WorkStatus.EMPLOYED: "Employed by an employer (named in `employer`).",
        WorkStatus.SELF_EMPLOYED: "Self-employed or running a business (named in `employer`).",
        WorkStatus.SEEKING_WORK: "Able to work and looking for work; listed by "
        "`employmentJobSeekers`.",
        WorkStatus.IN_TRAINING: "In vocational training (职业技能培训) instead of work.",
        WorkStatus.UNABLE_TO_WORK: "Cannot work; the reason is in `unableToWork` (sensitive).",
        WorkStatus.STUDENT: "At school or in higher education.",
        WorkStatus.RETIRED: "Retired.",
    },
)
UnableReasonType = graphql_enum(
    UnableReason,
    name="EmploymentUnableReason",
    description="Why a person cannot work (sensitive: health data, PIPL art. 28).",
    values={
        UnableReason.DISABILITY: "A disability; its GB/T 26341 grade (1 to 4) is in "
        "`disabilityGrade`.",
        UnableReason.ILLNESS: "An illness.",
        UnableReason.AGE: "Age: too old to work.",
    },
)

# Health data (PIPL art. 28): the department and the roles whose duty needs it.
SENSITIVE = person_data("employment:read", sensitive="employment:read-sensitive", child=None)


@strawberry.type(
    description="One problem with an employment mutation's input. Nothing was changed."
)
class EmploymentError(Error):
    """Core's codes or the plugin's (``EmploymentErrorCode``); built by ``run_mutation``."""


@sql_model(WorkStatusRecord)
@strawberry.type(
    name="EmploymentUnableToWork",
    description="Why a person cannot work: sensitive (health data).",
)
class EmploymentUnableToWork:
    reason: UnableReason | None = strawberry.field(
        description="Why the person cannot work.",
        metadata=sql_value(lambda row, _sql: row.unable_reason),
    )
    disability_grade: int | None = strawberry.field(
        description="GB/T 26341 grade 1 (most severe) to 4, when the reason is DISABILITY."
    )
    detail: str | None = strawberry.field(
        description="A note on why the person cannot work, in words; null when none.",
        metadata=sql_value(lambda row, _sql: row.reason_detail),
    )


@node_source(
    WorkStatusRecord,
    read="employment:read",
    child="employment:read-sensitive",
    person=lambda row: row.person_id,
)
@sql_model(WorkStatusRecord)
@strawberry.type(
    name="EmploymentStatus",
    description="A person's work status from a date; the one without `until` is current.",
)
class EmploymentStatus(Node):
    status: WorkStatus = strawberry.field(description="The work status.")
    employer: str | None = strawberry.field(
        description="The employer (EMPLOYED), or the business (SELF_EMPLOYED)."
    )
    monthly_income: decimal.Decimal | None = strawberry.field(
        description="Declared monthly income from this work, in yuan (exact)."
    )
    since: dt.date = strawberry.field(description="The first day of this status.")
    until: dt.date | None = strawberry.field(
        description="The last day of this status (the day before the next one began); null "
        "while current."
    )

    @strawberry.field(  # type: ignore[misc]
        description="Global ID of this status record.",
        metadata=sql_global_id("EmploymentStatus"),
    )
    @staticmethod
    @direct
    def id(root: WorkStatusRecord) -> strawberry.ID:
        return strawberry.ID(to_global_id("EmploymentStatus", root.id))

    @strawberry.field(
        description="Why the person cannot work (UNABLE_TO_WORK only): sensitive, needs "
        "employment:read-sensitive.",
        extensions=SENSITIVE,
        metadata=sql_same_row(
            "EmploymentUnableToWork",
            lambda row: row.status == WorkStatus.UNABLE_TO_WORK,
        ),
    )
    @staticmethod
    @direct
    def unable_to_work(root: WorkStatusRecord) -> EmploymentUnableToWork | None:
        if root.status is not WorkStatus.UNABLE_TO_WORK:
            return None
        return EmploymentUnableToWork(
            reason=root.unable_reason,
            disability_grade=root.disability_grade,
            detail=root.reason_detail,
        )

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, WorkStatusRecord)


@node_source(
    Training,
    read="employment:read",
    child="employment:read-sensitive",
    person=lambda row: row.person_id,
)
@sql_model(Training)
@strawberry.type(name="EmploymentTraining", description="A vocational training (职业技能培训).")
class EmploymentTraining(Node):
    course: str = strawberry.field(description="The course, such as 电工 or 家政服务.")
    provider: str = strawberry.field(description="Who gives the training.")
    start_date: dt.date = strawberry.field(description="The first day of the training.")
    end_date: dt.date | None = strawberry.field(
        description="The last day, planned or actual; null when not known."
    )
    completed: bool = strawberry.field(
        description="Whether the person completed it (`employmentTrainingComplete`)."
    )

    @strawberry.field(  # type: ignore[misc]
        description="Global ID; `employmentTrainingComplete` takes it.",
        metadata=sql_global_id("EmploymentTraining"),
    )
    @staticmethod
    @direct
    def id(root: Training) -> strawberry.ID:
        return strawberry.ID(to_global_id("EmploymentTraining", root.id))

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Training)


@node_source(
    JobPlacement,
    read="employment:read",
    child="employment:read-sensitive",
    person=lambda row: row.person_id,
)
@sql_model(JobPlacement)
@strawberry.type(name="EmploymentPlacement", description="A job placement (就业安置).")
class EmploymentPlacement(Node):
    employer: str = strawberry.field(description="The employer the person was placed with.")
    post: str = strawberry.field(description="The job, such as 保安 or 流水线操作工.")
    start_date: dt.date = strawberry.field(description="The first day of the job.")
    end_date: dt.date | None = strawberry.field(
        description="The last day of the job; null while it lasts."
    )
    monthly_wage: decimal.Decimal = strawberry.field(description="Yuan a month (exact).")

    @strawberry.field(  # type: ignore[misc]
        description="Global ID of this placement.", metadata=sql_global_id("EmploymentPlacement")
    )
    @staticmethod
    @direct
    def id(root: JobPlacement) -> strawberry.ID:
        return strawberry.ID(to_global_id("EmploymentPlacement", root.id))

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, JobPlacement)


@node_source(
    PublicWelfarePost,
    read="employment:read",
    child="employment:read-sensitive",
    person=lambda row: row.person_id,
)
@sql_model(PublicWelfarePost)
@strawberry.type(
    name="EmploymentWelfarePost",
    description="A public-welfare post (公益性岗位) for a fixed period.",
)
class EmploymentWelfarePost(Node):
    post: str = strawberry.field(description="The post, such as 村保洁员 or 护林员.")
    monthly_subsidy: decimal.Decimal = strawberry.field(description="Yuan a month (exact).")
    start_date: dt.date = strawberry.field(description="The first day of the post.")
    end_date: dt.date = strawberry.field(description="The last day of the fixed period.")

    @strawberry.field(  # type: ignore[misc]
        description="Global ID of this welfare post.",
        metadata=sql_global_id("EmploymentWelfarePost"),
    )
    @staticmethod
    @direct
    def id(root: PublicWelfarePost) -> strawberry.ID:
        return strawberry.ID(to_global_id("EmploymentWelfarePost", root.id))

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, PublicWelfarePost)


def _under_way(rows: list[Any], day: dt.date) -> Any:
    """The row whose period covers ``day`` (records of one kind do not overlap)."""
    return next(
        (r for r in rows if holds(r.start_date, r.end_date, day, end_inclusive=True)),
        None,
    )


def _latest_first(row: Any) -> list[Any]:
    """The loaders' order of trainings, placements and welfare posts."""
    return [row.start_date.desc(), row.id.desc()]


def _under_way_sql(person: Any, row: Any) -> Any:
    """The SQL form of :func:`_under_way`: the first row, in the loader's order, of the
    person's rows of this kind whose period covers today."""
    other = aliased(_model_of(row))
    first = (
        select(other.id)
        .where(
            other.person_id == person.id,
            in_force(other.start_date, other.end_date, SQL_TODAY, end_inclusive=True),
        )
        .correlate(person)
        .order_by(*_latest_first(other))
        .limit(1)
        .scalar_subquery()
    )
    return row.id == first


def _model_of(row: Any) -> Any:
    return inspect(row).mapper.class_


@sql_model(Person)
@strawberry.type(name="EmploymentOnPerson", description="A person's work (就业救助, R3).")
class EmploymentOnPerson:
    person_id: strawberry.Private[int]

    @strawberry.field(
        description="The status without an end that has started (not after today), if any.",
        metadata=sql_one(
            "EmploymentStatus",
            lambda person, status: and_(
                status.person_id == person.id, current(status.since, status.until, SQL_TODAY)
            ),
        ),
    )
    @staticmethod
    @prefetchable
    def current_status(root: EmploymentOnPerson, info: Info) -> EmploymentStatus | None:
        return ready(info.context.loaders["employment_current_status"], root.person_id)

    @strawberry.field(
        description="Every status on record, the newest first.",
        metadata=sql_many(
            "EmploymentStatus",
            lambda person, status, _arguments: status.person_id == person.id,
            lambda status: [status.since.desc(), status.id.desc()],
        ),
    )
    @staticmethod
    @prefetchable
    def history(root: EmploymentOnPerson, info: Info) -> list[EmploymentStatus]:
        return ready(info.context.loaders["employment_status_history"], root.person_id)

    @strawberry.field(
        description="Trainings, the latest start first.",
        metadata=sql_many(
            "EmploymentTraining",
            lambda person, row, _arguments: row.person_id == person.id,
            _latest_first,
        ),
    )
    @staticmethod
    @prefetchable
    def trainings(root: EmploymentOnPerson, info: Info) -> list[EmploymentTraining]:
        return ready(info.context.loaders["employment_trainings"], root.person_id)

    @strawberry.field(
        description="Job placements, the latest start first.",
        metadata=sql_many(
            "EmploymentPlacement",
            lambda person, row, _arguments: row.person_id == person.id,
            _latest_first,
        ),
    )
    @staticmethod
    @prefetchable
    def placements(root: EmploymentOnPerson, info: Info) -> list[EmploymentPlacement]:
        return ready(info.context.loaders["employment_placements"], root.person_id)

    @strawberry.field(
        description="The placement under way today, if any.",
        metadata=sql_one("EmploymentPlacement", lambda person, row: _under_way_sql(person, row)),
    )
    @staticmethod
    async def current_placement(root: EmploymentOnPerson, info: Info) -> EmploymentPlacement | None:
        rows = await info.context.loaders["employment_placements"].load(root.person_id)
        return _under_way(rows, info.context.today)

    @strawberry.field(
        description="Public-welfare posts, the latest start first.",
        metadata=sql_many(
            "EmploymentWelfarePost",
            lambda person, row, _arguments: row.person_id == person.id,
            _latest_first,
        ),
    )
    @staticmethod
    @prefetchable
    def welfare_posts(root: EmploymentOnPerson, info: Info) -> list[EmploymentWelfarePost]:
        return ready(info.context.loaders["employment_welfare_posts"], root.person_id)

    @strawberry.field(
        description="The public-welfare post held today, if any.",
        metadata=sql_one("EmploymentWelfarePost", lambda person, row: _under_way_sql(person, row)),
    )
    @staticmethod
    async def current_welfare_post(
        root: EmploymentOnPerson, info: Info
    ) -> EmploymentWelfarePost | None:
        rows = await info.context.loaders["employment_welfare_posts"].load(root.person_id)
        return _under_way(rows, info.context.today)


@strawberry.type
class EmploymentPersonFields:
    """Mixed into ``Person`` by the employment plugin."""

    @strawberry.field(
        description="Work: status and its history, trainings, placements and public-welfare "
        "posts (employment plugin). A child's needs employment:read-sensitive.",
        extensions=person_data("employment:read", child="employment:read-sensitive"),
        metadata=sql_same_row("EmploymentOnPerson"),
    )
    @staticmethod
    @prefetchable
    def employment(root: Person) -> EmploymentOnPerson | None:
        return EmploymentOnPerson(person_id=root.id)
