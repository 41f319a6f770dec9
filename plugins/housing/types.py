"""GraphQL types of the housing plugin and the ``Household.housing`` field.

Every object is read through the per-request DataLoaders of :mod:`bangfu.plugins.housing.loaders`,
so a page of households costs the same number of statements whatever its size. IDs are
opaque global IDs made of the model's name and key (the same IDs the audit trail shows).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import strawberry
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased
from strawberry.types import Info

from bangfu.plugin import (
    SQL_TODAY,
    Error,
    Household,
    Node,
    OrganisationType,
    direct,
    graphql_enum,
    node_source,
    prefetchable,
    ready,
    requires,
    sql_global_id,
    sql_many,
    sql_model,
    sql_one,
    sql_same_row,
    sql_value,
    then,
    to_global_id,
)
from bangfu.plugins.housing.models import (
    ACTIVE_RENOVATION,
    DANGEROUS_GRADES,
    AidKind,
    DisasterKind,
    DisasterReport,
    FundingSource,
    HousingAid,
    RenovationProject,
    RenovationStatus,
    SafetyAppraisal,
    SafetyGrade,
)

SafetyGradeType = graphql_enum(
    SafetyGrade,
    name="HousingSafetyGrade",
    description="The safety grade of a dwelling (房屋安全等级, JGJ 125-2016): C partly "
    "dangerous, D wholly dangerous. The latest appraisal decides the goal GOOD_HOME "
    "(R3 居好家).",
    values={
        SafetyGrade.A: "Safe: the structure bears normal use and no danger was found.",
        SafetyGrade.B: "Basically safe: single members are dangerous, the main structure is "
        "not affected.",
        SafetyGrade.C: "Partly dangerous (局部危房): part of the load-bearing structure is "
        "unsafe; a renovation may start.",
        SafetyGrade.D: "Wholly dangerous (整幢危房): the load-bearing structure as a whole is "
        "unsafe; a renovation may start.",
    },
)
RenovationStatusType = graphql_enum(
    RenovationStatus,
    name="HousingRenovationStatus",
    description="Where a renovation of a dangerous house stands: PLANNED → APPROVED → "
    "UNDER_WAY → COMPLETED → ACCEPTED, one step at a time (`housingRenovationAdvance`).",
    values={
        RenovationStatus.PLANNED: "Planned: the first status; active.",
        RenovationStatus.APPROVED: "Approved for funding; active.",
        RenovationStatus.UNDER_WAY: "The works have started; active.",
        RenovationStatus.COMPLETED: "The works are finished; no longer active, still open "
        "until accepted on a new A or B appraisal.",
        RenovationStatus.ACCEPTED: "Accepted (验收) on an A or B appraisal: the final status.",
    },
)
FundingSourceType = graphql_enum(
    FundingSource,
    name="HousingFundingSource",
    description="Who pays a renovation's subsidy (R4: government assistance with social "
    "donations).",
    values={
        FundingSource.GOVERNMENT_PROGRAMME: "A government programme, named in `programmeName`.",
        FundingSource.SOCIAL_DONATION: "A social donation (社会捐助), the donor named in `donor`.",
    },
)
AidKindType = graphql_enum(
    AidKind,
    name="HousingAidKind",
    description="Housing aid other than renovation.",
    values={
        AidKind.RENTAL_SUBSIDY: "A rental subsidy (租赁补贴) paid each month.",
        AidKind.PUBLIC_RENTAL_HOUSING: "A public rental dwelling allocated (公租房实物配租); its "
        "address is in `dwellingAddress`.",
    },
)
DisasterKindType = graphql_enum(
    DisasterKind,
    name="HousingDisasterKind",
    description="What damaged the dwelling.",
    values={
        DisasterKind.FLOOD: "A flood.",
        DisasterKind.FIRE: "A fire.",
        DisasterKind.EARTHQUAKE: "An earthquake.",
        DisasterKind.OTHER: "Anything else; `damage` says what happened.",
    },
)


def _id(obj: Any) -> strawberry.ID:
    return strawberry.ID(to_global_id(type(obj).__name__, obj.id))


# ---------------------------------------------------------------------------------------
# SQL forms (compiled execution, docs/plugins/hooks.md "Compiled fields: SQL forms"): each
# gives exactly what the resolver beside it gives, in the loaders' order.
# ---------------------------------------------------------------------------------------


def _sql_id(model: type[Any]) -> dict[str, Any]:
    """The form of ``_id``: the global ID of the model's name and the row's key."""
    return sql_global_id(model.__name__)


def _today() -> Any:
    # Today's date as the plan binds it.
    return SQL_TODAY


def _first(household: Any, model: Any, order: Any, *where: Any) -> Any:
    """The key of the household's first row of ``model`` in ``order`` (the loader's),
    among those meeting ``where(row)``: what ``rows[0]`` of the loader is."""
    other = aliased(model)
    return (
        select(other.id)
        .where(other.household_id == household.id, *(w(other) for w in where))
        .correlate(household)
        .order_by(*order(other))
        .limit(1)
        .scalar_subquery()
    )


def _appraisal_order(a: Any) -> list[Any]:
    return [a.appraised_on.desc(), a.id.desc()]


def _renovation_order(r: Any) -> list[Any]:
    return [r.planned_on.desc(), r.id.desc()]


@strawberry.type(description="One problem with a housing mutation's input. Nothing was changed.")
class HousingError(Error):
    pass


@node_source(SafetyAppraisal, read="housing:read", id_name="SafetyAppraisal")
@sql_model(SafetyAppraisal)
@strawberry.type(name="HousingSafetyAppraisal", description="A dwelling safety appraisal.")
class HousingSafetyAppraisal(Node):
    grade: SafetyGrade = strawberry.field(description="The safety grade found.")
    appraised_on: dt.date = strawberry.field(description="The day of the appraisal.")
    appraiser_name: str | None = strawberry.field(
        description="The appraisal body (房屋安全鉴定机构), when it is not a registry organisation."
    )
    report_reference: str | None = strawberry.field(description="The appraisal report's number.")

    @strawberry.field(  # type: ignore[misc]
        description="The global ID of the appraisal.", metadata=_sql_id(SafetyAppraisal)
    )
    @staticmethod
    @direct
    def id(root: SafetyAppraisal) -> strawberry.ID:
        return _id(root)

    @strawberry.field(
        description="C (partly) or D (wholly dangerous).",
        metadata=sql_value(lambda row, sql: sql.boolean(row.grade.in_(DANGEROUS_GRADES))),
    )
    @staticmethod
    @direct
    def dangerous(root: SafetyAppraisal) -> bool:
        return root.grade in DANGEROUS_GRADES

    @strawberry.field(
        description="The appraising organisation, when it is in the registry.",
        metadata=sql_one(
            "Organisation",
            lambda row, organisation: organisation.id == row.appraising_organisation_id,
        ),
    )
    @staticmethod
    async def appraising_organisation(root: SafetyAppraisal, info: Info) -> OrganisationType | None:
        key = root.appraising_organisation_id
        if key is None:
            return None
        return await info.context.loaders["organisation"].load(key)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, SafetyAppraisal)


async def _appraisal(info: Info, key: int | None) -> HousingSafetyAppraisal | None:
    if key is None:
        return None
    return await info.context.loaders["housing_appraisal"].load(key)


@node_source(RenovationProject, read="housing:read", id_name="RenovationProject")
@sql_model(RenovationProject)
@strawberry.type(
    name="HousingRenovationProject",
    description="Renovation of a dangerous (C or D) house (农村危房改造).",
)
class HousingRenovationProject(Node):
    status: RenovationStatus = strawberry.field(description="Where the project stands.")
    subsidy_amount: decimal.Decimal = strawberry.field(
        description="The renovation subsidy, in yuan (exact)."
    )
    funding_source: FundingSource = strawberry.field(description="Who pays the subsidy.")
    programme_name: str | None = strawberry.field(
        description="The government programme paying, for GOVERNMENT_PROGRAMME."
    )
    donor: str | None = strawberry.field(description="Who donated, for SOCIAL_DONATION.")
    planned_on: dt.date = strawberry.field(description="The day the project was planned.")
    approved_on: dt.date | None = strawberry.field(
        description="The day it was approved; null before APPROVED."
    )
    started_on: dt.date | None = strawberry.field(
        description="The day the works started; null before UNDER_WAY."
    )
    completed_on: dt.date | None = strawberry.field(
        description="The day the works were finished; null before COMPLETED."
    )
    accepted_on: dt.date | None = strawberry.field(
        description="The day it was accepted; null before ACCEPTED."
    )
    note: str | None = strawberry.field(description="A free note; null when none.")
    version: int = strawberry.field(
        description="Send it as `expectedVersion` to `housingRenovationAdvance`."
    )

    @strawberry.field(  # type: ignore[misc]
        description="The global ID of the project.", metadata=_sql_id(RenovationProject)
    )
    @staticmethod
    @direct
    def id(root: RenovationProject) -> strawberry.ID:
        return _id(root)

    @strawberry.field(
        description="PLANNED, APPROVED or UNDER_WAY: the house is being dealt with.",
        metadata=sql_value(lambda row, sql: sql.boolean(row.status.in_(ACTIVE_RENOVATION))),
    )
    @staticmethod
    @direct
    def active(root: RenovationProject) -> bool:
        return root.status in ACTIVE_RENOVATION

    @strawberry.field(
        description="The C or D appraisal the project answers.",
        metadata=sql_one(
            "HousingSafetyAppraisal", lambda row, appraisal: appraisal.id == row.appraisal_id
        ),
    )
    @staticmethod
    async def appraisal(root: RenovationProject, info: Info) -> HousingSafetyAppraisal | None:
        return await _appraisal(info, root.appraisal_id)

    @strawberry.field(
        description="The A or B appraisal on which the project was accepted.",
        metadata=sql_one(
            "HousingSafetyAppraisal",
            lambda row, appraisal: appraisal.id == row.acceptance_appraisal_id,
        ),
    )
    @staticmethod
    async def acceptance_appraisal(
        root: RenovationProject, info: Info
    ) -> HousingSafetyAppraisal | None:
        return await _appraisal(info, root.acceptance_appraisal_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, RenovationProject)


@node_source(HousingAid, read="housing:read", id_name="HousingAid")
@sql_model(HousingAid)
@strawberry.type(
    name="HousingAid", description="A rental subsidy or a public rental housing allocation."
)
class HousingAidType(Node):
    kind: AidKind = strawberry.field(description="The kind of aid.")
    monthly_amount: decimal.Decimal = strawberry.field(
        description="Yuan per month, exact: the subsidy paid, or the rent waived."
    )
    period_start: dt.date = strawberry.field(description="The first day of the aid.")
    period_end: dt.date = strawberry.field(description="The last day of the aid (included).")
    dwelling_address: str | None = strawberry.field(
        description="The allocated dwelling, for PUBLIC_RENTAL_HOUSING."
    )

    @strawberry.field(description="The global ID of the aid.", metadata=_sql_id(HousingAid))  # type: ignore[misc]
    @staticmethod
    @direct
    def id(root: HousingAid) -> strawberry.ID:
        return _id(root)

    @strawberry.field(
        description="Whether today lies in the period.",
        metadata=sql_value(
            lambda row, sql: sql.boolean(
                and_(row.period_start <= _today(), row.period_end >= _today())
            )
        ),
    )
    @staticmethod
    @direct
    def active(root: HousingAid, info: Info) -> bool:
        return root.period_start <= info.context.today <= root.period_end

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, HousingAid)


@node_source(DisasterReport, read="housing:read", id_name="DisasterReport")
@sql_model(DisasterReport)
@strawberry.type(
    name="HousingDisasterReport",
    description="The household's dwelling damaged by a disaster; open until responded to.",
)
class HousingDisasterReport(Node):
    kind: DisasterKind = strawberry.field(description="What damaged the dwelling.")
    occurred_on: dt.date = strawberry.field(description="The day the disaster happened.")
    damage: str = strawberry.field(description="The damage to the dwelling, in words.")
    reported_on: dt.date = strawberry.field(
        description="The day it was reported (`housingDisasterReport`)."
    )
    responded_on: dt.date | None = strawberry.field(
        description="When help was recorded (`housingDisasterRespond`); empty while open."
    )
    response: str | None = strawberry.field(description="What was done, in words; null while open.")

    @strawberry.field(description="The global ID of the report.", metadata=_sql_id(DisasterReport))  # type: ignore[misc]
    @staticmethod
    @direct
    def id(root: DisasterReport) -> strawberry.ID:
        return _id(root)

    @strawberry.field(
        description="Whether a response is recorded: the report is closed.",
        metadata=sql_value(lambda row, sql: sql.boolean(row.responded_on.is_not(None))),
    )
    @staticmethod
    def responded(root: DisasterReport) -> bool:
        return root.responded_on is not None

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, DisasterReport)


@sql_model(Household)
def _latest_dangerous(household: Any) -> Any:
    """Whether the household's latest appraisal (the loader's ``rows[0]``) is C or D:
    false without any appraisal."""
    latest = aliased(SafetyAppraisal)
    return (
        select(latest.id)
        .where(
            latest.id == _first(household, SafetyAppraisal, _appraisal_order),
            latest.grade.in_(DANGEROUS_GRADES),
        )
        .exists()
    )


@sql_model(Household)
@strawberry.type(name="HousingOnHousehold", description="A household's dwelling (住房救助).")
class HousingOnHousehold:
    household_id: strawberry.Private[int]

    def _appraisals(self, info: Info) -> Any:
        return ready(info.context.loaders["housing_appraisals"], self.household_id)

    @strawberry.field(
        description="The newest appraisal (by date), if the dwelling was appraised.",
        metadata=sql_one(
            "HousingSafetyAppraisal",
            lambda household, appraisal: (
                appraisal.id == _first(household, SafetyAppraisal, _appraisal_order)
            ),
        ),
    )
    @staticmethod
    @prefetchable
    def latest_appraisal(root: HousingOnHousehold, info: Info) -> HousingSafetyAppraisal | None:
        return then(root._appraisals(info), lambda rows: rows[0] if rows else None)

    @strawberry.field(
        description="Every appraisal, newest first.",
        metadata=sql_many(
            "HousingSafetyAppraisal",
            lambda household, appraisal, _arguments: appraisal.household_id == household.id,
            _appraisal_order,
        ),
    )
    @staticmethod
    @prefetchable
    def appraisals(root: HousingOnHousehold, info: Info) -> list[HousingSafetyAppraisal]:
        return root._appraisals(info)

    @strawberry.field(
        description="The latest appraisal is C or D.",
        metadata=sql_value(lambda household, sql: sql.boolean(_latest_dangerous(household))),
    )
    @staticmethod
    @prefetchable
    def dangerous(root: HousingOnHousehold, info: Info) -> bool:
        return then(
            root._appraisals(info), lambda rows: bool(rows) and rows[0].grade in DANGEROUS_GRADES
        )

    @strawberry.field(
        description="The renovation not yet accepted, if any (at most one).",
        metadata=sql_one(
            "HousingRenovationProject",
            lambda household, project: (
                project.id
                == _first(
                    household,
                    RenovationProject,
                    _renovation_order,
                    lambda r: r.status != RenovationStatus.ACCEPTED,
                )
            ),
        ),
    )
    @staticmethod
    async def open_renovation(
        root: HousingOnHousehold, info: Info
    ) -> HousingRenovationProject | None:
        rows = await info.context.loaders["housing_renovations"].load(root.household_id)
        return next((r for r in rows if r.status is not RenovationStatus.ACCEPTED), None)

    @strawberry.field(
        description="Every renovation project, newest first.",
        metadata=sql_many(
            "HousingRenovationProject",
            lambda household, project, _arguments: project.household_id == household.id,
            _renovation_order,
        ),
    )
    @staticmethod
    @prefetchable
    def renovations(root: HousingOnHousehold, info: Info) -> list[HousingRenovationProject]:
        return ready(info.context.loaders["housing_renovations"], root.household_id)

    @strawberry.field(
        description="Rental subsidies and public rental housing, newest first.",
        metadata=sql_many(
            "HousingAid",
            lambda household, aid, _arguments: aid.household_id == household.id,
            lambda aid: [aid.period_start.desc(), aid.id.desc()],
        ),
    )
    @staticmethod
    @prefetchable
    def aid(root: HousingOnHousehold, info: Info) -> list[HousingAidType]:
        return ready(info.context.loaders["housing_aid"], root.household_id)

    @strawberry.field(
        description="Disaster reports, newest first.",
        metadata=sql_many(
            "HousingDisasterReport",
            lambda household, report, _arguments: report.household_id == household.id,
            lambda report: [report.occurred_on.desc(), report.id.desc()],
        ),
    )
    @staticmethod
    @prefetchable
    def disasters(root: HousingOnHousehold, info: Info) -> list[HousingDisasterReport]:
        return ready(info.context.loaders["housing_disasters"], root.household_id)


@strawberry.type
class HousingHouseholdFields:
    """Mixed into ``Household`` by the housing plugin."""

    @strawberry.field(
        description="Dwelling safety, renovation, housing aid and disasters (housing plugin).",
        extensions=requires("housing:read"),
        metadata=sql_same_row("HousingOnHousehold"),
    )
    @staticmethod
    @prefetchable
    def housing(root: Household) -> HousingOnHousehold | None:
        return HousingOnHousehold(household_id=root.id)
