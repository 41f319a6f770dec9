"""The medical use cases: record insurance, conditions, hospitalisations and claims.

Each runs inside the caller's transaction as the session's actor, checks the whole
input first and raises :class:`bangfu.core.errors.DomainError` with every problem found; the
caller rolls back, so bad input never changes anything. The person is looked up through
the registry in the actor's area: one outside it is NOT_FOUND, like one that does not
exist.
"""

import dataclasses
import datetime as dt
import decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.i18n import N_, _
from bangfu.core.plugins import PluginHost
from bangfu.core.registry.service import Registry
from bangfu.core.security.crypto import FieldCipher
from bangfu.plugin import (
    Actor,
    CareEventKind,
    CareEventRaised,
    DomainError,
    FieldError,
    Person,
    to_global_id,
)
from bangfu.plugins.medical import diagnoses
from bangfu.plugins.medical.amounts import amount_error
from bangfu.plugins.medical.errors import MedicalErrorCode
from bangfu.plugins.medical.models import (
    Hospitalisation,
    InsuranceEnrolment,
    InsuranceScheme,
    MedicalAidClaim,
    MedicalCondition,
)
from bangfu.plugins.medical.settings import MedicalSettings

NAME = "medical"
MAX_DIAGNOSIS = 500
MAX_HOSPITAL = 200
FIRST_YEAR = 2000


@dataclasses.dataclass
class ClaimParts:
    total_cost: decimal.Decimal
    paid_by_insurance: decimal.Decimal
    paid_by_medical_aid: decimal.Decimal
    paid_by_donations: decimal.Decimal
    out_of_pocket: decimal.Decimal


@dataclasses.dataclass
class MedicalRecords:
    """The medical use cases for one transaction and actor."""

    session: AsyncSession
    actor: Actor
    cipher: FieldCipher
    host: PluginHost
    settings: MedicalSettings
    today: dt.date

    async def person(self, person_id: int, field: str = "input.personId") -> Person:
        return await Registry(self.session, self.actor, self.cipher).person(person_id, field)

    # -- insurance -------------------------------------------------------------

    async def record_insurance(
        self,
        person_id: int,
        year: int,
        scheme: InsuranceScheme,
        premium: decimal.Decimal,
        premium_paid_by_government: bool,
        critical_illness_covered: bool,
    ) -> InsuranceEnrolment:
        """Record (or correct) a person's basic medical insurance for one year."""
        person = await self.person(person_id)
        errors = [e for e in [amount_error(premium, "input.premium")] if e]
        if not FIRST_YEAR <= year <= self.today.year + 1:
            errors.append(
                FieldError(
                    "input.year",
                    _(
                        "the year must be between {first} and {last}",
                        first=FIRST_YEAR,
                        last=self.today.year + 1,
                    ),
                    MedicalErrorCode.INVALID_YEAR,
                )
            )
        _raise(errors)
        enrolment = await self.session.scalar(
            select(InsuranceEnrolment).where(
                InsuranceEnrolment.person_id == person.id, InsuranceEnrolment.year == year
            )
        )
        if enrolment is None:
            enrolment = InsuranceEnrolment(person_id=person.id, year=year)
            self.session.add(enrolment)
        enrolment.scheme = scheme
        enrolment.premium = premium.quantize(decimal.Decimal("0.01"))
        enrolment.premium_paid_by_government = premium_paid_by_government
        enrolment.critical_illness_covered = critical_illness_covered
        await self.session.flush()
        return enrolment

    # -- conditions ------------------------------------------------------------

    async def record_condition(
        self,
        person_id: int,
        code: str,
        diagnosis: str | None,
        serious: bool | None,
        diagnosed_on: dt.date,
    ) -> MedicalCondition:
        """Record a chronic or serious condition; the diagnosis text is encrypted."""
        person = await self.person(person_id)
        code = code.strip().upper()
        errors = []
        if code not in self.settings.conditions:
            errors.append(
                FieldError(
                    "input.diagnosisCode",
                    _(
                        "not a condition on the configured list (see the medical plugin's "
                        "settings for the codes)"
                    ),
                    MedicalErrorCode.UNKNOWN_CONDITION,
                )
            )
        text = (diagnosis or "").strip() or None
        if text is not None and len(text) > MAX_DIAGNOSIS:
            errors.append(
                FieldError(
                    "input.diagnosis",
                    _("a diagnosis has at most {limit} characters", limit=MAX_DIAGNOSIS),
                    MedicalErrorCode.TOO_LONG,
                )
            )
        errors += self._day_errors(diagnosed_on, "input.diagnosedOn", person, "diagnosed")
        _raise(errors)
        condition = MedicalCondition(
            person_id=person.id,
            diagnosis_code=code,
            diagnosis_cipher=None if text is None else diagnoses.seal(self.cipher, person.id, text),
            serious=self.settings.is_serious(code) if serious is None else serious,
            diagnosed_on=diagnosed_on,
        )
        self.session.add(condition)
        await self.session.flush()
        return condition

    # -- hospitalisations ------------------------------------------------------

    async def record_hospitalisation(
        self,
        person_id: int,
        hospital: str,
        admitted_on: dt.date,
        discharged_on: dt.date | None,
        serious: bool,
    ) -> Hospitalisation:
        """Record a stay in hospital. Admission for a serious illness raises a
        hospitalisation care event (五个关心) in the same transaction."""
        person = await self.person(person_id)
        name = hospital.strip()
        errors = []
        if not 0 < len(name) <= MAX_HOSPITAL:
            errors.append(
                FieldError(
                    "input.hospital",
                    _("give the hospital's name (at most {limit} characters)", limit=MAX_HOSPITAL),
                    MedicalErrorCode.TOO_LONG if name else MedicalErrorCode.REQUIRED,
                )
            )
        errors += self._day_errors(admitted_on, "input.admittedOn", person, "admitted")
        if discharged_on is not None:
            errors += self._discharge_errors(admitted_on, discharged_on, "input.dischargedOn")
        _raise(errors)
        stay = Hospitalisation(
            person_id=person.id,
            hospital=name,
            admitted_on=admitted_on,
            discharged_on=discharged_on,
            serious=serious,
        )
        self.session.add(stay)
        await self.session.flush()
        if serious:
            await self.host.raise_care_event(
                self.session,
                CareEventRaised(
                    person_id=person.id,
                    kind=CareEventKind.HOSPITALISATION,
                    occurred_on=admitted_on,
                    raised_by=NAME,
                    # Never the diagnosis nor the hospital: its name may tell the illness.
                    summary=f"Admitted to hospital for a serious illness on {admitted_on}.",
                    source=to_global_id("MedicalHospitalisation", stay.id),
                ),
            )
        return stay

    async def discharge(self, hospitalisation_id: int, discharged_on: dt.date) -> Hospitalisation:
        stay = await self.session.get(Hospitalisation, hospitalisation_id)
        if stay is None:
            raise DomainError.of(
                "input.id", _("no MedicalHospitalisation with this ID"), MedicalErrorCode.NOT_FOUND
            )
        if stay.discharged_on is not None:
            raise DomainError.of(
                "input.id",
                _("already discharged on {day}", day=stay.discharged_on),
                MedicalErrorCode.ALREADY_ENDED,
            )
        _raise(self._discharge_errors(stay.admitted_on, discharged_on, "input.dischargedOn"))
        stay.discharged_on = discharged_on
        await self.session.flush()
        return stay

    # -- claims ----------------------------------------------------------------

    async def settle_claim(
        self,
        person_id: int,
        hospitalisation_id: int | None,
        parts: ClaimParts,
        settled_on: dt.date,
    ) -> MedicalAidClaim:
        """Record a one-stop settlement; its parts must add up to its total exactly."""
        person = await self.person(person_id)
        errors = [
            e
            for e in (
                amount_error(parts.total_cost, "input.totalCost", positive=True),
                amount_error(parts.paid_by_insurance, "input.paidByInsurance"),
                amount_error(parts.paid_by_medical_aid, "input.paidByMedicalAid"),
                amount_error(parts.paid_by_donations, "input.paidByDonations"),
                amount_error(parts.out_of_pocket, "input.outOfPocket"),
            )
            if e is not None
        ]
        if not errors:
            added = (
                parts.paid_by_insurance
                + parts.paid_by_medical_aid
                + parts.paid_by_donations
                + parts.out_of_pocket
            )
            if added != parts.total_cost:
                errors.append(
                    FieldError(
                        "input.totalCost",
                        _(
                            "the parts add up to {added} yuan, not the total of {total} yuan",
                            added=added,
                            total=parts.total_cost,
                        ),
                        MedicalErrorCode.PARTS_DO_NOT_ADD_UP,
                    )
                )
        errors += self._day_errors(settled_on, "input.settledOn", person, "settled")
        if hospitalisation_id is not None:
            stay = await self.session.get(Hospitalisation, hospitalisation_id)
            if stay is None or stay.person_id != person.id:
                errors.append(
                    FieldError(
                        "input.hospitalisationId",
                        _("no MedicalHospitalisation of this person with this ID"),
                        MedicalErrorCode.NOT_FOUND,
                    )
                )
            elif settled_on < stay.admitted_on:
                errors.append(
                    FieldError(
                        "input.settledOn",
                        _("settled before the admission on {day}", day=stay.admitted_on),
                        MedicalErrorCode.INVALID_DATE_RANGE,
                    )
                )
        _raise(errors)
        claim = MedicalAidClaim(
            person_id=person.id,
            hospitalisation_id=hospitalisation_id,
            total_cost=parts.total_cost,
            paid_by_insurance=parts.paid_by_insurance,
            paid_by_medical_aid=parts.paid_by_medical_aid,
            paid_by_donations=parts.paid_by_donations,
            out_of_pocket=parts.out_of_pocket,
            settled_on=settled_on,
        )
        self.session.add(claim)
        await self.session.flush()
        return claim

    # -- checks ----------------------------------------------------------------

    def _day_errors(self, day: dt.date, field: str, person: Person, what: str) -> list[FieldError]:
        if day > self.today:
            future = IN_THE_FUTURE[what]
            return [FieldError(field, _(future), MedicalErrorCode.FUTURE_DATE)]
        if day < person.birth_date:
            unborn = BEFORE_BIRTH[what]
            return [FieldError(field, _(unborn), MedicalErrorCode.INVALID_DATE_RANGE)]
        return []

    def _discharge_errors(
        self, admitted_on: dt.date, discharged_on: dt.date, field: str
    ) -> list[FieldError]:
        if discharged_on < admitted_on:
            return [
                FieldError(
                    field,
                    _("discharged before the admission on {day}", day=admitted_on),
                    MedicalErrorCode.INVALID_DATE_RANGE,
                )
            ]
        if discharged_on > self.today:
            return [
                FieldError(
                    field, _("cannot be discharged in the future"), MedicalErrorCode.FUTURE_DATE
                )
            ]
        return []


#: A day in the future, and a day before the person was born, for each kind of event:
#: whole messages (a verb glued in would not translate).
IN_THE_FUTURE = {
    "diagnosed": N_("cannot be diagnosed in the future"),
    "admitted": N_("cannot be admitted in the future"),
    "settled": N_("cannot be settled in the future"),
}
BEFORE_BIRTH = {
    "diagnosed": N_("cannot be diagnosed before being born"),
    "admitted": N_("cannot be admitted before being born"),
    "settled": N_("cannot be settled before being born"),
}


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise DomainError(*errors)
