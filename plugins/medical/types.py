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
from strawberry.types import Info

from bangfu.core.security.crypto import DecryptionError
from bangfu.plugin import Person, direct, person_data, prefetchable, ready, then, to_global_id
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

InsuranceSchemeType = strawberry.enum(InsuranceScheme, name="MedicalInsuranceScheme")


@strawberry.type(
    name="MedicalInsurance",
    description="Basic medical insurance for one year, and critical-illness cover that year.",
)
class MedicalInsurance:
    year: int
    scheme: InsuranceScheme
    premium: decimal.Decimal = strawberry.field(description="Yuan.")
    premium_paid_by_government: bool
    critical_illness_covered: bool = strawberry.field(
        description="Covered by critical-illness insurance (大病保险) that year."
    )

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, InsuranceEnrolment)


@strawberry.type(
    name="MedicalCondition",
    description="A chronic or serious illness. That it exists, and whether it is serious, "
    "anyone who reads `Person.medical` sees; which illness it is (code, name, diagnosis) "
    "only the medical department, city administrators and the person's paired official "
    "(PIPL art. 28): others get null and a FORBIDDEN error at those fields.",
)
class MedicalConditionType:
    serious: bool = strawberry.field(description="A serious illness (大病).")
    diagnosed_on: dt.date

    @strawberry.field(description="The global ID of the condition.")
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
                "the stored value failed its integrity check; the incident is logged",
                extensions={"code": "UNREADABLE_VALUE"},
            ) from None

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, MedicalCondition)


@strawberry.type(
    name="MedicalHospitalisation",
    description="A stay in hospital; `dischargedOn` is empty while the person is there.",
)
class MedicalHospitalisation:
    admitted_on: dt.date
    discharged_on: dt.date | None
    serious: bool = strawberry.field(description="Admitted for a serious illness.")

    @strawberry.field(description="The global ID of the hospitalisation.")
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


@strawberry.type(
    name="MedicalClaim",
    description="A one-stop settlement (一站式结算) of medical costs, in yuan: the four "
    "parts add up to the total exactly.",
)
class MedicalClaim:
    total_cost: decimal.Decimal
    paid_by_insurance: decimal.Decimal = strawberry.field(
        description="Basic and critical-illness insurance."
    )
    paid_by_medical_aid: decimal.Decimal = strawberry.field(description="Medical aid (医疗救助).")
    paid_by_donations: decimal.Decimal = strawberry.field(description="Charity and donations.")
    out_of_pocket: decimal.Decimal = strawberry.field(description="Paid by the person.")
    settled_on: dt.date

    @strawberry.field(description="The global ID of the claim.")
    @staticmethod
    @direct
    def id(root: MedicalAidClaim) -> strawberry.ID:
        return strawberry.ID(to_global_id("MedicalClaim", root.id))

    @strawberry.field(description="outOfPocket / totalCost, exact, rounded half up to 4 places.")
    @staticmethod
    def out_of_pocket_ratio(root: MedicalAidClaim) -> decimal.Decimal:
        return ratio(root.out_of_pocket, root.total_cost)

    @strawberry.field(description="The hospitalisation settled, if the claim names one.")
    @staticmethod
    async def hospitalisation(root: MedicalAidClaim, info: Info) -> MedicalHospitalisation | None:
        hospitalisation_id = root.hospitalisation_id
        if hospitalisation_id is None:
            return None
        return await info.context.loaders["medical_hospitalisation"].load(hospitalisation_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, MedicalAidClaim)


@strawberry.type(
    name="MedicalOutOfPocket", description="What a person paid themselves, over a year's claims."
)
class MedicalOutOfPocket:
    year: int
    total_cost: decimal.Decimal
    out_of_pocket: decimal.Decimal
    ratio: decimal.Decimal = strawberry.field(
        description="outOfPocket / totalCost, exact, rounded half up to 4 places."
    )


@strawberry.type(name="MedicalOnPerson", description="A person's medical cover and care (R3).")
class MedicalOnPerson:
    person_id: strawberry.Private[int]

    @strawberry.field(description="Enrolled in basic medical insurance for this calendar year.")
    @staticmethod
    @prefetchable
    def insured_this_year(root: MedicalOnPerson, info: Info) -> bool:
        return then(root._this_year(info), lambda row: row is not None)

    @strawberry.field(description="Covered by critical-illness insurance (大病保险) this year.")
    @staticmethod
    @prefetchable
    def critical_illness_covered_this_year(root: MedicalOnPerson, info: Info) -> bool:
        return then(
            root._this_year(info), lambda row: row is not None and row.critical_illness_covered
        )

    @strawberry.field(description="Basic medical insurance, every year on record, newest first.")
    @staticmethod
    @prefetchable
    def insurance(root: MedicalOnPerson, info: Info) -> list[MedicalInsurance]:
        return ready(info.context.loaders["medical_insurance"], root.person_id)

    @strawberry.field(description="How many chronic or serious conditions are recorded.")
    @staticmethod
    async def condition_count(root: MedicalOnPerson, info: Info) -> int:
        return len(await info.context.loaders["medical_conditions"].load(root.person_id))

    @strawberry.field(description="Whether any recorded condition is serious (大病).")
    @staticmethod
    async def has_serious_condition(root: MedicalOnPerson, info: Info) -> bool:
        conditions = await info.context.loaders["medical_conditions"].load(root.person_id)
        return any(c.serious for c in conditions)

    @strawberry.field(
        description="Chronic and serious conditions, newest first; what each is is masked "
        "unless you may read diagnoses."
    )
    @staticmethod
    @prefetchable
    def conditions(root: MedicalOnPerson, info: Info) -> list[MedicalConditionType]:
        return ready(info.context.loaders["medical_conditions"], root.person_id)

    @strawberry.field(description="Stays in hospital, newest first.")
    @staticmethod
    @prefetchable
    def hospitalisations(root: MedicalOnPerson, info: Info) -> list[MedicalHospitalisation]:
        return ready(info.context.loaders["medical_hospitalisations"], root.person_id)

    @strawberry.field(description="Medical-aid claims settled, newest first.")
    @staticmethod
    @prefetchable
    def claims(root: MedicalOnPerson, info: Info) -> list[MedicalClaim]:
        return ready(info.context.loaders["medical_claims"], root.person_id)

    @strawberry.field(
        description="Totals of the claims settled this calendar year; null without any."
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
    )
    @staticmethod
    @prefetchable
    def medical(root: Person) -> MedicalOnPerson | None:
        return MedicalOnPerson(person_id=root.id)
