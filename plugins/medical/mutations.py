"""Medical mutations: noun first, one input, a payload with the record and ``errors``.

Only the medical department and city administrators write (``medical:write``). Every
mutation runs in one transaction (``bangfu.plugin.run_mutation``) and is audited
by core; the audit trail masks the diagnosis and its code (their names say "diagnosis").
"""

import datetime as dt
import decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.plugin import decode_id, requires, run_mutation
from bangfu.plugins.medical.errors import MedicalError
from bangfu.plugins.medical.models import InsuranceScheme
from bangfu.plugins.medical.service import ClaimParts, MedicalRecords
from bangfu.plugins.medical.settings import medical_settings
from bangfu.plugins.medical.types import (
    MedicalClaim,
    MedicalConditionType,
    MedicalHospitalisation,
    MedicalInsurance,
)

WRITE = "medical:write"


@strawberry.input(description="A person's basic medical insurance for one year.")
class MedicalInsuranceRecordInput:
    person_id: strawberry.ID
    year: int
    scheme: InsuranceScheme
    premium: decimal.Decimal = strawberry.field(description='Yuan, exact ("380.00").')
    premium_paid_by_government: bool = strawberry.field(
        default=False, description="The government paid the premium (hardship categories)."
    )
    critical_illness_covered: bool = strawberry.field(
        default=True, description="Also covered by critical-illness insurance (大病保险)."
    )


@strawberry.input(description="A chronic or serious condition from the configured list.")
class MedicalConditionRecordInput:
    person_id: strawberry.ID
    diagnosis_code: str = strawberry.field(
        description="A code of the configured list (e.g. DIABETES, UREMIA)."
    )
    diagnosis: str | None = strawberry.field(
        default=None, description="The diagnosis as written (stored encrypted; 500 characters)."
    )
    serious: bool | None = strawberry.field(
        default=None, description="A serious illness (大病); by default as the list says."
    )
    diagnosed_on: dt.date


@strawberry.input(description="A stay in hospital.")
class MedicalHospitalisationRecordInput:
    person_id: strawberry.ID
    hospital: str
    admitted_on: dt.date
    discharged_on: dt.date | None = strawberry.field(
        default=None, description="Empty while the person is still in hospital."
    )
    serious: bool = strawberry.field(
        default=False,
        description="Admitted for a serious illness: raises a hospitalisation care event.",
    )


@strawberry.input(description="The discharge of a person still in hospital.")
class MedicalHospitalisationDischargeInput:
    id: strawberry.ID = strawberry.field(description="The MedicalHospitalisation.")
    discharged_on: dt.date


@strawberry.input(
    description="A one-stop settlement: the four parts must add up to the total exactly."
)
class MedicalClaimSettleInput:
    person_id: strawberry.ID
    hospitalisation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The hospitalisation it settles, if any."
    )
    total_cost: decimal.Decimal = strawberry.field(description="Yuan, exact.")
    paid_by_insurance: decimal.Decimal
    paid_by_medical_aid: decimal.Decimal
    paid_by_donations: decimal.Decimal = decimal.Decimal("0.00")
    out_of_pocket: decimal.Decimal
    settled_on: dt.date


@strawberry.type
class MedicalInsurancePayload:
    insurance: MedicalInsurance | None
    errors: list[MedicalError]


@strawberry.type
class MedicalConditionPayload:
    condition: MedicalConditionType | None
    errors: list[MedicalError]


@strawberry.type
class MedicalHospitalisationPayload:
    hospitalisation: MedicalHospitalisation | None
    errors: list[MedicalError]


@strawberry.type
class MedicalClaimPayload:
    claim: MedicalClaim | None
    errors: list[MedicalError]


def medical_records(session: AsyncSession, context: Any) -> MedicalRecords:
    """The medical use cases in the mutation's transaction, as the request's actor."""
    return MedicalRecords(
        session=session,
        actor=context.actor,
        cipher=context.cipher,
        host=context.host,
        settings=medical_settings(),
        today=context.today,
    )


def _person(value: strawberry.ID) -> int:
    return decode_id(value, "Person", "input.personId")


@strawberry.type
class MedicalMutation:
    @strawberry.mutation(
        description="Record (or correct) a person's basic medical insurance for a year.",
        extensions=requires(WRITE),
    )
    async def medical_insurance_record(
        self, info: Info, input: MedicalInsuranceRecordInput
    ) -> MedicalInsurancePayload:
        async def work(records: MedicalRecords) -> Any:
            return await records.record_insurance(
                _person(input.person_id),
                input.year,
                InsuranceScheme(input.scheme),
                input.premium,
                input.premium_paid_by_government,
                input.critical_illness_covered,
            )

        return await run_mutation(info, MedicalInsurancePayload, work, service=medical_records)

    @strawberry.mutation(
        description="Record a chronic or serious condition (the diagnosis is sensitive).",
        extensions=requires(WRITE),
    )
    async def medical_condition_record(
        self, info: Info, input: MedicalConditionRecordInput
    ) -> MedicalConditionPayload:
        async def work(records: MedicalRecords) -> Any:
            return await records.record_condition(
                _person(input.person_id),
                input.diagnosis_code,
                input.diagnosis,
                input.serious,
                input.diagnosed_on,
            )

        return await run_mutation(info, MedicalConditionPayload, work, service=medical_records)

    @strawberry.mutation(
        description="Record a stay in hospital; admission for a serious illness raises a "
        "hospitalisation care event for the paired official.",
        extensions=requires(WRITE),
    )
    async def medical_hospitalisation_record(
        self, info: Info, input: MedicalHospitalisationRecordInput
    ) -> MedicalHospitalisationPayload:
        async def work(records: MedicalRecords) -> Any:
            return await records.record_hospitalisation(
                _person(input.person_id),
                input.hospital,
                input.admitted_on,
                input.discharged_on,
                input.serious,
            )

        return await run_mutation(
            info, MedicalHospitalisationPayload, work, service=medical_records
        )

    @strawberry.mutation(
        description="Record the discharge of a person still in hospital.",
        extensions=requires(WRITE),
    )
    async def medical_hospitalisation_discharge(
        self, info: Info, input: MedicalHospitalisationDischargeInput
    ) -> MedicalHospitalisationPayload:
        async def work(records: MedicalRecords) -> Any:
            return await records.discharge(
                decode_id(input.id, "MedicalHospitalisation", "input.id"), input.discharged_on
            )

        return await run_mutation(
            info, MedicalHospitalisationPayload, work, service=medical_records
        )

    @strawberry.mutation(
        description="Record a one-stop settlement (一站式结算) of medical costs.",
        extensions=requires(WRITE),
    )
    async def medical_claim_settle(
        self, info: Info, input: MedicalClaimSettleInput
    ) -> MedicalClaimPayload:
        async def work(records: MedicalRecords) -> Any:
            return await records.settle_claim(
                _person(input.person_id),
                None
                if input.hospitalisation_id is None
                else decode_id(
                    input.hospitalisation_id, "MedicalHospitalisation", "input.hospitalisationId"
                ),
                ClaimParts(
                    total_cost=input.total_cost,
                    paid_by_insurance=input.paid_by_insurance,
                    paid_by_medical_aid=input.paid_by_medical_aid,
                    paid_by_donations=input.paid_by_donations,
                    out_of_pocket=input.out_of_pocket,
                ),
                input.settled_on,
            )

        return await run_mutation(info, MedicalClaimPayload, work, service=medical_records)
