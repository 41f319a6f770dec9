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
from sqlalchemy import BigInteger, String, and_, case, cast, extract, func, literal, not_, select
from sqlalchemy.orm import aliased
from strawberry.types import Info

from bangfu.core.effective import current, in_force, is_current
from bangfu.plugin import (
    SQL_MONTH_DAY,
    SQL_TODAY,
    SQL_YEAR,
    Error,
    Node,
    OrganisationType,
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
from bangfu.plugins.education import loaders, models
from bangfu.plugins.education.models import (
    AT_SCHOOL,
    AidKind,
    Enrolment,
    EnrolmentStatus,
    FundingSource,
    SchoolStage,
)
from bangfu.plugins.education.rules import (
    COMPULSORY_FROM_AGE,
    COMPULSORY_TO_AGE,
    at_school,
    in_effect,
    of_compulsory_age,
)
from bangfu.schema.types import Region

SchoolStageType = graphql_enum(
    SchoolStage,
    name="EducationSchoolStage",
    description="The stage of schooling (学段).",
    values={
        SchoolStage.PRESCHOOL: "Kindergarten (学前教育), grades 1 to 3.",
        SchoolStage.PRIMARY: "Primary school (小学), grades 1 to 6; compulsory.",
        SchoolStage.JUNIOR_SECONDARY: "Junior secondary school (初中), grades 1 to 3; compulsory.",
        SchoolStage.SENIOR_SECONDARY: "Senior secondary school (普通高中), grades 1 to 3.",
        SchoolStage.SECONDARY_VOCATIONAL: "Secondary vocational school (中职), grades 1 to 3.",
        SchoolStage.HIGHER: "Higher education (高等教育), years 1 to 8.",
    },
)
EnrolmentStatusType = graphql_enum(
    EnrolmentStatus,
    name="EducationEnrolmentStatus",
    description="The status of a period of schooling (学籍状态). ENROLLED and SUSPENDED mean "
    "the child has a school place (R3 有学上).",
    values={
        EnrolmentStatus.ENROLLED: "At school (在校).",
        EnrolmentStatus.SUSPENDED: "Suspended (休学): still enrolled, not attending for now; "
        "counts as having a school place.",
        EnrolmentStatus.DROPPED_OUT: "Dropped out (辍学): left school before finishing. "
        "Recording it raises a SCHOOL_DROPOUT care event for the child.",
        EnrolmentStatus.GRADUATED: "Graduated (毕业): finished the stage.",
        EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE: "Not yet of school age (未到入学年龄): the "
        "period has no school, stage or grade.",
    },
)
AidKindType = graphql_enum(
    AidKind,
    name="EducationAidKind",
    description="The kind of education aid (教育资助).",
    values={
        AidKind.TUITION_WAIVER: "Tuition waived or reduced (学费减免).",
        AidKind.BOARDING_SUBSIDY: "Living subsidy for boarding pupils (寄宿生生活补助).",
        AidKind.SCHOLARSHIP: "A scholarship or bursary (奖学金、助学金).",
        AidKind.TRANSPORT: "A transport subsidy (交通补助).",
        AidKind.OTHER: "Any other education aid; say what in `note`.",
    },
)
FundingSourceType = graphql_enum(
    FundingSource,
    name="EducationFundingSource",
    description="Where the money of education aid came from (R4: government assistance "
    "with social donations).",
    values={
        FundingSource.GOVERNMENT_PROGRAMME: "A government programme, named in `programme`.",
        FundingSource.SOCIAL_DONATION: "A social donation (社会捐助), the donor named in `donor`.",
    },
)


# ---------------------------------------------------------------------------------------
# SQL forms (compiled execution, docs/plugins/hooks.md "Compiled fields: SQL forms"): each
# gives exactly what the resolver beside it gives, in the loaders' order.
# ---------------------------------------------------------------------------------------


def _today() -> tuple[Any, Any, Any]:
    """Today as the plan binds it: the date, its year and its ``MMDD``."""
    return SQL_TODAY, SQL_YEAR, SQL_MONTH_DAY


def _in_this_school_year(day: Any) -> Any:
    """``day`` lies in the school year holding today (``rules.school_year``)."""
    _, year, month_day = _today()
    this = year - case((month_day < "0901", 1), else_=0)
    of_day = extract("year", day) - case((extract("month", day) < 9, 1), else_=0)
    return of_day == this


def _cents(amount: Any) -> Any:
    """An amount in yuan (two places) as whole fen, exact on both databases."""
    return cast(func.round(amount * 100), BigInteger)


def _yuan(cents: Any) -> Any:
    """Whole fen as the text of a ``Decimal`` with two places (``1250.00``)."""
    fen = cents % 100
    return (
        cast(cents // 100, String)
        + literal(".", String)
        + case((fen < 10, literal("0", String)), else_=literal("", String))
        + cast(fen, String)
    )


def _aid_total(person: Any) -> Any:
    """``aidTotalThisSchoolYear``: the sum of the loader's rows, ``0.00`` without any."""
    aid = aliased(models.EducationAid)
    cents = (
        select(cast(func.coalesce(func.sum(_cents(aid.amount)), 0), BigInteger))
        .where(aid.person_id == person.id, _in_this_school_year(aid.granted_on))
        .correlate(person)
        .scalar_subquery()
    )
    return _yuan(cents)


def _unaccounted_for(person: Any, sql: Any) -> Any:
    """Alive, of compulsory-education age today, and no ENROLLED or SUSPENDED period
    holding today (``rules.in_effect``: from its start, up to, not on, its end)."""
    today, year, month_day = _today()
    period = aliased(Enrolment)
    at_school_today = (
        select(period.id)
        .where(
            period.person_id == person.id,
            period.status.in_(AT_SCHOOL),
            in_force(period.start_date, period.end_date, today),
        )
        .correlate(person)
        .exists()
    )
    return sql.boolean(
        and_(
            not_(person.deceased),
            sql.age(person.birth_date, year, month_day).between(
                COMPULSORY_FROM_AGE, COMPULSORY_TO_AGE
            ),
            not_(at_school_today),
        )
    )


def _enrolment_order(enrolment: Any) -> list[Any]:
    return [enrolment.start_date.desc(), enrolment.id.desc()]


@sql_model(Enrolment)
# Read as Person.education reads it (educationEnrolments, a list of every child's periods,
# needs education:read-sensitive): education:read, and for a child under 14
# education:read-sensitive.
@node_source(
    Enrolment,
    read="education:read",
    child="education:read-sensitive",
    person=lambda row: row.person_id,
)
@strawberry.type(
    name="EducationEnrolment",
    description="A period of a child's schooling with its status; current while it has no "
    "end date.",
)
class EducationEnrolment(Node):
    school_name: str | None = strawberry.field(
        description="The school's name; null only for NOT_YET_OF_SCHOOL_AGE."
    )
    school_region_code: str | None = strawberry.field(
        description="The code of the school's region (any region of the city, not only the "
        "child's); null when not recorded."
    )
    stage: SchoolStage | None = strawberry.field(
        description="The stage of schooling; null only for NOT_YET_OF_SCHOOL_AGE."
    )
    grade: int | None = strawberry.field(
        description="The grade within the stage: 1 to 6 in PRIMARY, 1 to 3 in PRESCHOOL and "
        "the secondary stages, 1 to 8 in HIGHER; null when not recorded."
    )
    status: EnrolmentStatus = strawberry.field(description="The status of the period.")
    start_date: dt.date = strawberry.field(
        description="The first day of the period (the period holds from this day)."
    )
    end_date: dt.date | None = strawberry.field(
        description="The day the period ended (it no longer holds on that day); empty while "
        "current."
    )
    end_reason: str | None = strawberry.field(
        description="Why the period ended, in words (a transfer, 外出务工, ...); null while "
        "current or when none was given."
    )

    @strawberry.field(  # type: ignore[misc]
        description="The global ID of the enrolment.",
        metadata=sql_global_id("EducationEnrolment"),
    )
    @staticmethod
    @direct
    def id(root: Enrolment) -> strawberry.ID:
        return strawberry.ID(to_global_id("EducationEnrolment", root.id))

    @strawberry.field(
        description="Whether this is the child's current period: started (not after "
        "today) and no end date.",
        metadata=sql_value(
            lambda row, sql: sql.boolean(current(row.start_date, row.end_date, SQL_TODAY))
        ),
    )
    @staticmethod
    @direct
    def current(root: Enrolment, info: Info) -> bool:
        return is_current(root.start_date, root.end_date, info.context.today)

    @strawberry.field(
        description="The region of the school.",
        metadata=sql_one("Region", lambda row, region: region.code == row.school_region_code),
    )
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


@sql_model(models.EducationAid)
# Read through Person.education: its rule (a child's aid needs education:read-sensitive).
@node_source(
    models.EducationAid,
    read="education:read",
    child="education:read-sensitive",
    person=lambda row: row.person_id,
)
@strawberry.type(name="EducationAid", description="Education aid granted to a child (教育资助).")
class EducationAid(Node):
    kind: AidKind = strawberry.field(description="The kind of aid.")
    amount: decimal.Decimal = strawberry.field(
        description='Yuan, exact to the fen (a string such as "1250.00").'
    )
    granted_on: dt.date = strawberry.field(
        description="The day the aid was granted; it counts in the school year (1 September "
        "to 31 August) holding this day."
    )
    funding_source: FundingSource = strawberry.field(description="Where the money came from.")
    programme: str | None = strawberry.field(
        description="The government programme, for GOVERNMENT_PROGRAMME."
    )
    donor: str | None = strawberry.field(description="The donor, for SOCIAL_DONATION.")
    note: str | None = strawberry.field(description="A free note; null when none.")

    @strawberry.field(  # type: ignore[misc]
        description="The global ID of the aid.",
        metadata=sql_global_id("EducationAid"),
    )
    @staticmethod
    @direct
    def id(root: models.EducationAid) -> strawberry.ID:
        return strawberry.ID(to_global_id("EducationAid", root.id))

    @strawberry.field(
        description="The organisation that granted the aid.",
        metadata=sql_one(
            "Organisation",
            lambda row, organisation: organisation.id == row.granting_organisation_id,
        ),
    )
    @staticmethod
    async def granting_organisation(
        root: models.EducationAid, info: Info
    ) -> OrganisationType | None:
        return await info.context.loaders["organisation"].load(root.granting_organisation_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.EducationAid)


@sql_model(Person)
@strawberry.type(
    name="EducationOnPerson",
    description="A person's schooling and education aid (教育救助, R3 有学上, 上好学).",
)
class EducationOnPerson:
    person: strawberry.Private[Person]

    @strawberry.field(
        description="The period without an end date that has started (not after today), if any.",
        metadata=sql_one(
            "EducationEnrolment",
            # At most one: a partial unique index says so.
            lambda person, enrolment: and_(
                enrolment.person_id == person.id,
                current(enrolment.start_date, enrolment.end_date, SQL_TODAY),
            ),
        ),
    )
    @staticmethod
    @prefetchable
    def current_enrolment(root: EducationOnPerson, info: Info) -> EducationEnrolment | None:
        return ready(info.context.loaders[loaders.CURRENT_ENROLMENT], root.person.id)

    @strawberry.field(
        description="Every period of schooling, newest first, the current included.",
        metadata=sql_many(
            "EducationEnrolment",
            lambda person, enrolment, _arguments: enrolment.person_id == person.id,
            _enrolment_order,
        ),
    )
    @staticmethod
    @prefetchable
    def history(root: EducationOnPerson, info: Info) -> list[EducationEnrolment]:
        return ready(info.context.loaders[loaders.ENROLMENTS], root.person.id)

    @strawberry.field(
        description="Of compulsory-education age (6 to 15) today with no period ENROLLED or "
        "SUSPENDED holding today: the child is unaccounted for.",
        metadata=sql_value(_unaccounted_for),
    )
    @staticmethod
    async def unaccounted_for(root: EducationOnPerson, info: Info) -> bool:
        today = info.context.today
        if root.person.deceased or not of_compulsory_age(root.person.birth_date, today):
            return False
        periods = await info.context.loaders[loaders.ENROLMENTS].load(root.person.id)
        return not any(at_school(p) and in_effect(p, today) for p in periods)

    @strawberry.field(
        description="Aid granted this school year (1 September to 31 August), oldest first.",
        metadata=sql_many(
            "EducationAid",
            lambda person, aid, _arguments: and_(
                aid.person_id == person.id, _in_this_school_year(aid.granted_on)
            ),
            lambda aid: [aid.granted_on, aid.id],
        ),
    )
    @staticmethod
    @prefetchable
    def aid_this_school_year(root: EducationOnPerson, info: Info) -> list[EducationAid]:
        return ready(info.context.loaders[loaders.AID_THIS_SCHOOL_YEAR], root.person.id)

    @strawberry.field(
        description="The total of `aidThisSchoolYear`, in exact yuan.",
        metadata=sql_value(lambda person, _sql: _aid_total(person)),
    )
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
        metadata=sql_same_row("EducationOnPerson"),
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
