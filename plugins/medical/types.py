"""GraphQL types and the ``Person.medical`` field of the medical plugin.

Every field of ``MedicalOnPerson`` loads what it needs through its own DataLoader, so a
query pays only for what it selects, and a page of persons costs the same number of
statements whatever its size.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from sqlalchemy import BigInteger, String, case, cast, extract, func, literal, select
from sqlalchemy.orm import aliased
from strawberry.types import Info

from bangfu.core.i18n import _
from bangfu.core.security.crypto import DecryptionError
from bangfu.plugin import (
    SQL_YEAR,
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
    then,
    to_global_id,
)
from bangfu.plugins.medical import diagnoses
from bangfu.plugins.medical.access import diagnosis_access
from bangfu.plugins.medical.amounts import ratio
from bangfu.plugins.medical.models import (
    Hospitalisation,
    InsuranceEnrolment,
    InsuranceScheme,
    MedicalAidClaim,
    MedicalCondition,
)
from bangfu.plugins.medical.settings import medical_settings

log = logging.getLogger("bangfu.medical")

InsuranceSchemeType = graphql_enum(
    InsuranceScheme,
    name="MedicalInsuranceScheme",
    description="The basic medical insurance scheme (基本医疗保险) a person is enrolled in.",
    values={
        InsuranceScheme.RESIDENT: "Urban and rural residents' basic medical insurance "
        "(城乡居民基本医疗保险).",
        InsuranceScheme.EMPLOYEE: "Employees' basic medical insurance (职工基本医疗保险).",
    },
)


# ---------------------------------------------------------------------------------------
# SQL forms (compiled execution, docs/plugins/hooks.md "Compiled fields: SQL forms"): each
# gives exactly what the resolver beside it gives, in the loaders' order. Which illness a
# person has (diagnosisCode, diagnosisName, diagnosis, hospital) has none: its guard is
# ours (access.DiagnosisGuard, which audits every read), so a page selecting it runs on
# the ordinary path.
# ---------------------------------------------------------------------------------------


def _year() -> Any:
    # Today's year as the plan binds it.
    return SQL_YEAR


def _sql_id(type_name: str) -> dict[str, Any]:
    return sql_global_id(type_name)


def _cents(amount: Any) -> Any:
    """An amount in yuan (two places) as whole fen, exact on both databases (SQLite keeps
    the column as a float)."""
    return cast(func.round(amount * 100), BigInteger)


def _padded(number: Any, places: int) -> Any:
    """A whole number from 0 to 10**places - 1 as text of ``places`` digits."""
    zeros = [
        (number < 10**digits, literal("0" * (places - digits), String))
        for digits in range(1, places)
    ]
    return case(*zeros, else_=literal("", String)) + cast(number, String)


def _decimal_text(units: Any, places: int) -> Any:
    """A whole, non-negative number of ``10**-places`` as the text of a ``Decimal`` with
    ``places`` places (``125000`` and 2: ``1250.00``)."""
    scale = 10**places
    return cast(units // scale, String) + literal(".", String) + _padded(units % scale, places)


def _ratio(part_cents: Any, whole_cents: Any) -> Any:
    """``amounts.ratio``: part / whole rounded half up to 4 places, in whole numbers
    (exact on both databases): floor((2 * 10000 * part + whole) / (2 * whole))."""
    return _decimal_text((part_cents * 20000 + whole_cents) // (whole_cents * 2), 4)


def _this_year(person: Any, build: Any) -> Any:
    """``build(claim)`` over the person's claims settled this calendar year."""
    claim = aliased(MedicalAidClaim)
    return (
        select(build(claim))
        .where(claim.person_id == person.id, extract("year", claim.settled_on) == _year())
        .correlate(person)
        .scalar_subquery()
    )


def _sum_cents(column: str) -> Any:
    """The cents of ``column`` summed over this year's claims (null without any)."""
    return lambda person: cast(
        _this_year(person, lambda claim: func.sum(_cents(getattr(claim, column)))), BigInteger
    )


_total_cents = _sum_cents("total_cost")
_paid_cents = _sum_cents("out_of_pocket")


def _exists(model: Any, person: Any, *where: Any) -> Any:
    """Whether the person has a row of ``model`` meeting ``where(row)``."""
    row = aliased(model)
    return (
        select(row.id)
        .where(row.person_id == person.id, *(w(row) for w in where))
        .correlate(person)
        .exists()
    )


def _condition_count(person: Any) -> Any:
    condition = aliased(MedicalCondition)
    return (
        select(func.count(condition.id))
        .where(condition.person_id == person.id)
        .correlate(person)
        .scalar_subquery()
    )


@sql_model(InsuranceEnrolment)
@strawberry.type(
    name="MedicalInsurance",
    description="Basic medical insurance for one year, and critical-illness cover that year.",
)
class MedicalInsurance:
    year: int = strawberry.field(description="The calendar year insured (such as 2026).")
    scheme: InsuranceScheme = strawberry.field(description="The scheme enrolled in.")
    premium: decimal.Decimal = strawberry.field(description="The year's premium, in yuan (exact).")
    premium_paid_by_government: bool = strawberry.field(
        description="Whether the government paid the premium (资助参保) for the person."
    )
    critical_illness_covered: bool = strawberry.field(
        description="Covered by critical-illness insurance (大病保险) that year."
    )

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, InsuranceEnrolment)


@node_source(
    MedicalCondition,
    read="medical:read",
    child="medical:read-sensitive",
    person=lambda row: row.person_id,
)
@sql_model(MedicalCondition)
@strawberry.type(
    name="MedicalCondition",
    description="A chronic or serious illness. That it exists, and whether it is serious, "
    "anyone who reads `Person.medical` sees; which illness it is (code, name, diagnosis) "
    "only the medical department, city administrators and the person's paired official "
    "(PIPL art. 28): others get null and a FORBIDDEN error at those fields.",
)
class MedicalConditionType(Node):
    serious: bool = strawberry.field(description="A serious illness (大病).")
    diagnosed_on: dt.date = strawberry.field(description="The day it was diagnosed.")

    @strawberry.field(  # type: ignore[misc]
        description="The global ID of the condition.", metadata=_sql_id("MedicalCondition")
    )
    @staticmethod
    @direct
    def id(root: MedicalCondition) -> strawberry.ID:
        return strawberry.ID(to_global_id("MedicalCondition", root.id))

    @strawberry.field(
        description="Code from the configured list of conditions (sensitive).",
        extensions=diagnosis_access(),
    )
    @staticmethod
    def diagnosis_code(root: MedicalCondition) -> str | None:
        return root.diagnosis_code

    @strawberry.field(
        description="Name of the condition, from the configured list (sensitive).",
        extensions=diagnosis_access(),
    )
    @staticmethod
    def diagnosis_name(root: MedicalCondition) -> str | None:
        code = root.diagnosis_code
        return medical_settings().conditions.get(code, code)

    @strawberry.field(
        description="The diagnosis as the doctor wrote it, if recorded (sensitive; stored "
        "encrypted). A stored value that fails its integrity check answers null with "
        "an UNREADABLE_VALUE error, never garbage.",
        extensions=diagnosis_access(),
    )
    @staticmethod
    def diagnosis(root: MedicalCondition, info: Info) -> str | None:
        if root.diagnosis_cipher is None:
            return None
        try:
            return diagnoses.unseal(info.context.cipher, root.person_id, root.diagnosis_cipher)
        except DecryptionError:
            log.error("medical condition %s: stored diagnosis failed its integrity check", root.id)
            raise GraphQLError(
                _("the stored value failed its integrity check; the incident is logged"),
                extensions={"code": "UNREADABLE_VALUE"},
            ) from None

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, MedicalCondition)


@node_source(
    Hospitalisation,
    read="medical:read",
    child="medical:read-sensitive",
    person=lambda row: row.person_id,
)
@sql_model(Hospitalisation)
@strawberry.type(
    name="MedicalHospitalisation",
    description="A stay in hospital; `dischargedOn` is empty while the person is there.",
)
class MedicalHospitalisation(Node):
    admitted_on: dt.date = strawberry.field(description="The day the person was admitted.")
    discharged_on: dt.date | None = strawberry.field(
        description="The day the person was discharged; null while in hospital."
    )
    serious: bool = strawberry.field(description="Admitted for a serious illness.")

    @strawberry.field(  # type: ignore[misc]
        description="The global ID of the hospitalisation.",
        metadata=_sql_id("MedicalHospitalisation"),
    )
    @staticmethod
    @direct
    def id(root: Hospitalisation) -> strawberry.ID:
        return strawberry.ID(to_global_id("MedicalHospitalisation", root.id))

    @strawberry.field(
        description="The hospital (sensitive: its name may tell the illness); masked like "
        "the diagnoses of conditions.",
        extensions=diagnosis_access(),
    )
    @staticmethod
    def hospital(root: Hospitalisation) -> str | None:
        return root.hospital

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Hospitalisation)


@node_source(
    MedicalAidClaim,
    read="medical:read",
    child="medical:read-sensitive",
    person=lambda row: row.person_id,
)
@sql_model(MedicalAidClaim)
@strawberry.type(
    name="MedicalClaim",
    description="A one-stop settlement (一站式结算) of medical costs, in yuan: the four "
    "parts add up to the total exactly.",
)
class MedicalClaim(Node):
    total_cost: decimal.Decimal = strawberry.field(
        description="The total medical costs settled, in yuan: the sum of the four parts."
    )
    paid_by_insurance: decimal.Decimal = strawberry.field(
        description="Paid by basic and critical-illness insurance, in yuan."
    )
    paid_by_medical_aid: decimal.Decimal = strawberry.field(
        description="Paid by medical aid (医疗救助), in yuan."
    )
    paid_by_donations: decimal.Decimal = strawberry.field(
        description="Paid by charity and donations, in yuan."
    )
    out_of_pocket: decimal.Decimal = strawberry.field(
        description="Paid by the person themselves, in yuan."
    )
    settled_on: dt.date = strawberry.field(description="The day the costs were settled.")

    @strawberry.field(description="The global ID of the claim.", metadata=_sql_id("MedicalClaim"))  # type: ignore[misc]
    @staticmethod
    @direct
    def id(root: MedicalAidClaim) -> strawberry.ID:
        return strawberry.ID(to_global_id("MedicalClaim", root.id))

    @strawberry.field(
        description="outOfPocket / totalCost, exact, rounded half up to 4 places.",
        metadata=sql_value(
            lambda row, _sql: _ratio(_cents(row.out_of_pocket), _cents(row.total_cost))
        ),
    )
    @staticmethod
    def out_of_pocket_ratio(root: MedicalAidClaim) -> decimal.Decimal:
        return ratio(root.out_of_pocket, root.total_cost)

    @strawberry.field(
        description="The hospitalisation settled, if the claim names one.",
        metadata=sql_one(
            "MedicalHospitalisation",
            lambda row, stay: stay.id == row.hospitalisation_id,
        ),
    )
    @staticmethod
    async def hospitalisation(root: MedicalAidClaim, info: Info) -> MedicalHospitalisation | None:
        hospitalisation_id = root.hospitalisation_id
        if hospitalisation_id is None:
            return None
        return await info.context.loaders["medical_hospitalisation"].load(hospitalisation_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, MedicalAidClaim)


@sql_model(Person)  # compiled: this year's claims of the person's row, summed
@strawberry.type(
    name="MedicalOutOfPocket", description="What a person paid themselves, over a year's claims."
)
class MedicalOutOfPocket:
    year: int = strawberry.field(
        description="The calendar year of the claims (this year).",
        metadata=sql_value(lambda _person, _sql: _year()),
    )
    total_cost: decimal.Decimal = strawberry.field(
        description="The total costs of the year's claims, in yuan (exact).",
        metadata=sql_value(lambda person, _sql: _decimal_text(_total_cents(person), 2)),
    )
    out_of_pocket: decimal.Decimal = strawberry.field(
        description="What the person paid themselves over the year's claims, in yuan (exact).",
        metadata=sql_value(lambda person, _sql: _decimal_text(_paid_cents(person), 2)),
    )
    ratio: decimal.Decimal = strawberry.field(
        description="outOfPocket / totalCost, exact, rounded half up to 4 places.",
        metadata=sql_value(lambda person, _sql: _ratio(_paid_cents(person), _total_cents(person))),
    )


@sql_model(Person)
@strawberry.type(name="MedicalOnPerson", description="A person's medical cover and care (R3).")
class MedicalOnPerson:
    person_id: strawberry.Private[int]

    @strawberry.field(
        description="Enrolled in basic medical insurance for this calendar year.",
        metadata=sql_value(
            lambda person, sql: sql.boolean(
                _exists(InsuranceEnrolment, person, lambda i: i.year == _year())
            )
        ),
    )
    @staticmethod
    @prefetchable
    def insured_this_year(root: MedicalOnPerson, info: Info) -> bool:
        return then(root._this_year(info), lambda row: row is not None)

    @strawberry.field(
        description="Covered by critical-illness insurance (大病保险) this year.",
        metadata=sql_value(
            lambda person, sql: sql.boolean(
                _exists(
                    InsuranceEnrolment,
                    person,
                    lambda i: i.year == _year(),
                    lambda i: i.critical_illness_covered,
                )
            )
        ),
    )
    @staticmethod
    @prefetchable
    def critical_illness_covered_this_year(root: MedicalOnPerson, info: Info) -> bool:
        return then(
            root._this_year(info), lambda row: row is not None and row.critical_illness_covered
        )

    @strawberry.field(
        description="Basic medical insurance, every year on record, newest first.",
        metadata=sql_many(
            "MedicalInsurance",
            lambda person, insurance, _arguments: insurance.person_id == person.id,
            # One enrolment a year per person (a unique constraint): no tie to break.
            lambda insurance: [insurance.year.desc()],
        ),
    )
    @staticmethod
    @prefetchable
    def insurance(root: MedicalOnPerson, info: Info) -> list[MedicalInsurance]:
        return ready(info.context.loaders["medical_insurance"], root.person_id)

    @strawberry.field(
        description="How many chronic or serious conditions are recorded.",
        metadata=sql_value(lambda person, _sql: _condition_count(person)),
    )
    @staticmethod
    async def condition_count(root: MedicalOnPerson, info: Info) -> int:
        return len(await info.context.loaders["medical_conditions"].load(root.person_id))

    @strawberry.field(
        description="Whether any recorded condition is serious (大病).",
        metadata=sql_value(
            lambda person, sql: sql.boolean(_exists(MedicalCondition, person, lambda c: c.serious))
        ),
    )
    @staticmethod
    async def has_serious_condition(root: MedicalOnPerson, info: Info) -> bool:
        conditions = await info.context.loaders["medical_conditions"].load(root.person_id)
        return any(c.serious for c in conditions)

    @strawberry.field(
        description="Chronic and serious conditions, newest first; what each is is masked "
        "unless you may read diagnoses.",
        metadata=sql_many(
            "MedicalCondition",
            lambda person, condition, _arguments: condition.person_id == person.id,
            lambda condition: [condition.diagnosed_on.desc(), condition.id.desc()],
        ),
    )
    @staticmethod
    @prefetchable
    def conditions(root: MedicalOnPerson, info: Info) -> list[MedicalConditionType]:
        return ready(info.context.loaders["medical_conditions"], root.person_id)

    @strawberry.field(
        description="Stays in hospital, newest first.",
        metadata=sql_many(
            "MedicalHospitalisation",
            lambda person, stay, _arguments: stay.person_id == person.id,
            lambda stay: [stay.admitted_on.desc(), stay.id.desc()],
        ),
    )
    @staticmethod
    @prefetchable
    def hospitalisations(root: MedicalOnPerson, info: Info) -> list[MedicalHospitalisation]:
        return ready(info.context.loaders["medical_hospitalisations"], root.person_id)

    @strawberry.field(
        description="Medical-aid claims settled, newest first.",
        metadata=sql_many(
            "MedicalClaim",
            lambda person, claim, _arguments: claim.person_id == person.id,
            lambda claim: [claim.settled_on.desc(), claim.id.desc()],
        ),
    )
    @staticmethod
    @prefetchable
    def claims(root: MedicalOnPerson, info: Info) -> list[MedicalClaim]:
        return ready(info.context.loaders["medical_claims"], root.person_id)

    @strawberry.field(
        description="Totals of the claims settled this calendar year; null without any.",
        metadata=sql_same_row(
            "MedicalOutOfPocket",
            lambda person: _this_year(person, lambda claim: func.count(claim.id)) > 0,
        ),
    )
    @staticmethod
    async def out_of_pocket_this_year(
        root: MedicalOnPerson, info: Info
    ) -> MedicalOutOfPocket | None:
        year = info.context.today.year
        claims = [
            c
            for c in await info.context.loaders["medical_claims"].load(root.person_id)
            if c.settled_on.year == year
        ]
        if not claims:
            return None
        total = sum((c.total_cost for c in claims), decimal.Decimal(0))
        paid = sum((c.out_of_pocket for c in claims), decimal.Decimal(0))
        return MedicalOutOfPocket(
            year=year, total_cost=total, out_of_pocket=paid, ratio=ratio(paid, total)
        )

    def _this_year(self, info: Info) -> Any:
        """This calendar year's enrolment (or None): a value, or an awaitable of it."""
        year = info.context.today.year
        return then(
            ready(info.context.loaders["medical_insurance"], self.person_id),
            lambda rows: next((r for r in rows if r.year == year), None),
        )


@strawberry.type
class MedicalPersonFields:
    """Mixed into ``Person`` by the medical plugin."""

    @strawberry.field(
        description="Medical cover and care: insurance, conditions (what they are is "
        "masked), hospitalisations and medical-aid claims (medical plugin).",
        extensions=person_data("medical:read", child="medical:read-sensitive"),
        metadata=sql_same_row("MedicalOnPerson"),
    )
    @staticmethod
    @prefetchable
    def medical(root: Person) -> MedicalOnPerson | None:
        return MedicalOnPerson(person_id=root.id)
