"""Medical mutations: noun first, one input, a payload with the record and ``errors``.

Only the medical department and city administrators write (``medical:write``). Every
mutation runs in one transaction (``bangfu.plugin.run_mutation``) and is audited
by core; the audit trail masks the diagnosis and its code (their names say "diagnosis").
"""

import datetime as dt
import decimal
from typing import Annotated, Any

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
    person_id: strawberry.ID = strawberry.field(description="The person (a Person ID).")
    year: int = strawberry.field(
        description="The calendar year insured: 2000 to next year. Recording a year again "
        "corrects it."
    )
    scheme: InsuranceScheme = strawberry.field(description="The scheme enrolled in.")
    premium: decimal.Decimal = strawberry.field(
        description='The year\'s premium, in yuan, exact (a string such as "380.00").'
    )
    premium_paid_by_government: bool = strawberry.field(
        default=False, description="The government paid the premium (hardship categories)."
    )
    critical_illness_covered: bool = strawberry.field(
        default=True, description="Also covered by critical-illness insurance (大病保险)."
    )


@strawberry.input(description="A chronic or serious condition from the configured list.")
class MedicalConditionRecordInput:
    person_id: strawberry.ID = strawberry.field(description="The person (a Person ID).")
    diagnosis_code: str = strawberry.field(
        description="A code of the configured list (e.g. DIABETES, UREMIA)."
    )
    diagnosis: str | None = strawberry.field(
        default=None, description="The diagnosis as written (stored encrypted; 500 characters)."
    )
    serious: bool | None = strawberry.field(
        default=None, description="A serious illness (大病); by default as the list says."
    )
    diagnosed_on: dt.date = strawberry.field(
        description="The day it was diagnosed; not in the future."
    )


@strawberry.input(description="A stay in hospital.")
class MedicalHospitalisationRecordInput:
    person_id: strawberry.ID = strawberry.field(description="The person (a Person ID).")
    hospital: str = strawberry.field(
        description="The hospital's name (sensitive: it may tell the illness); at most 200 "
        "characters."
    )
    admitted_on: dt.date = strawberry.field(
        description="The day the person was admitted; not in the future."
    )
    discharged_on: dt.date | None = strawberry.field(
        default=None, description="Empty while the person is still in hospital."
    )
    serious: bool = strawberry.field(
        default=False,
        description="Admitted for a serious illness: raises a hospitalisation care event.",
    )


@strawberry.input(description="The discharge of a person still in hospital.")
class MedicalHospitalisationDischargeInput:
    id: strawberry.ID = strawberry.field(description="The stay (a MedicalHospitalisation ID).")
    discharged_on: dt.date = strawberry.field(
        description="The day the person left hospital; not before the admission, not in the future."
    )


@strawberry.input(
    description="A one-stop settlement: the four parts must add up to the total exactly."
)
class MedicalClaimSettleInput:
    person_id: strawberry.ID = strawberry.field(description="The person (a Person ID).")
    hospitalisation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The hospitalisation it settles, if any."
    )
    total_cost: decimal.Decimal = strawberry.field(
        description="The total costs, in yuan: more than 0, at most 2 decimals, a string "
        'such as "4820.50".'
    )
    paid_by_insurance: decimal.Decimal = strawberry.field(
        description="Paid by basic and critical-illness insurance, in yuan; 0 or more."
    )
    paid_by_medical_aid: decimal.Decimal = strawberry.field(
        description="Paid by medical aid (医疗救助), in yuan; 0 or more."
    )
    paid_by_donations: decimal.Decimal = strawberry.field(
        default=decimal.Decimal("0.00"),
        description="Paid by charity and donations, in yuan; 0 or more (0.00 by default).",
    )
    out_of_pocket: decimal.Decimal = strawberry.field(
        description="Paid by the person, in yuan; 0 or more."
    )
    settled_on: dt.date = strawberry.field(
        description="The day the costs were settled; not in the future."
    )


@strawberry.type(description="What `medicalInsuranceRecord` answers.")
class MedicalInsurancePayload:
    insurance: MedicalInsurance | None = strawberry.field(
        description="The insurance recorded; null when `errors` is not empty."
    )
    errors: list[MedicalError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(description="What `medicalConditionRecord` answers.")
class MedicalConditionPayload:
    condition: MedicalConditionType | None = strawberry.field(
        description="The condition recorded; null when `errors` is not empty."
    )
    errors: list[MedicalError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(
    description="What `medicalHospitalisationRecord` and `medicalHospitalisationDischarge` answer."
)
class MedicalHospitalisationPayload:
    hospitalisation: MedicalHospitalisation | None = strawberry.field(
        description="The stay recorded or ended; null when `errors` is not empty."
    )
    errors: list[MedicalError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


@strawberry.type(description="What `medicalClaimSettle` answers.")
class MedicalClaimPayload:
    claim: MedicalClaim | None = strawberry.field(
        description="The settlement recorded; null when `errors` is not empty."
    )
    errors: list[MedicalError] = strawberry.field(
        description="Every problem with the input; empty on success. Nothing was changed "
        "when there is one."
    )


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
        self,
        info: Info,
        input: Annotated[
            MedicalInsuranceRecordInput,
            strawberry.argument(description="The person, the year and the insurance."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            MedicalConditionRecordInput,
            strawberry.argument(description="The person and the condition."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            MedicalHospitalisationRecordInput,
            strawberry.argument(description="The person and the stay."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            MedicalHospitalisationDischargeInput,
            strawberry.argument(description="The stay and the day of discharge."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            MedicalClaimSettleInput,
            strawberry.argument(description="The person, the costs and who paid them."),
        ],
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
