"""GraphQL types and the ``Person.medical`` field of the medical plugin."""

import decimal
from typing import Any

import strawberry
from strawberry.types import Info

from plugins.medical.models import InsuranceEnrolment, InsuranceScheme
from schema.access import person_data

InsuranceSchemeType = strawberry.enum(InsuranceScheme, name="MedicalInsuranceScheme")


@strawberry.type(name="MedicalInsurance", description="Basic medical insurance for one year.")
class MedicalInsurance:
    year: int
    scheme: InsuranceScheme
    premium: decimal.Decimal = strawberry.field(description="Yuan.")
    premium_paid_by_government: bool

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, InsuranceEnrolment)


@strawberry.type(name="MedicalOnPerson", description="A person's medical cover (医疗救助, R3).")
class MedicalOnPerson:
    insured_this_year: bool = strawberry.field(
        description="Enrolled in basic medical insurance for this calendar year."
    )
    insurance: list[MedicalInsurance] = strawberry.field(description="Every year on record.")


@strawberry.type
class MedicalPersonFields:
    """Mixed into ``Person`` by the medical plugin."""

    @strawberry.field(
        description="Medical cover: insurance by year (medical plugin).",
        extensions=person_data("medical:read", child="medical:read-sensitive"),
    )
    async def medical(self, info: Info) -> MedicalOnPerson | None:
        rows = await info.context.loaders["medical_insurance"].load(self.id)  # type: ignore[attr-defined]
        year = info.context.today.year
        return MedicalOnPerson(insured_this_year=any(r.year == year for r in rows), insurance=rows)
