"""The education use cases: record and end enrolments, grant aid.

Each runs inside the caller's transaction as the session's actor (area-scoped: a child
outside the actor's area is ``NOT_FOUND``), checks all of its input first and raises
:class:`bangfu.core.errors.DomainError` with :class:`EducationErrorCode` codes on bad input;
the caller rolls back, so nothing is ever half-written. A dropout raises a
``SCHOOL_DROPOUT`` care event through the plugin host, in the same transaction.
"""

import dataclasses
import datetime as dt
import decimal
import enum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.care.events import CareEventKind, CareEventRaised
from bangfu.core.effective import future_start
from bangfu.core.errors import DomainError, FieldError
from bangfu.core.i18n import N_, _
from bangfu.core.plugins import PluginHost
from bangfu.core.registry.models import Person, Region
from bangfu.core.registry.service import Registry
from bangfu.plugins.education.models import (
    MAX_GRADE,
    AidKind,
    EducationAid,
    Enrolment,
    EnrolmentStatus,
    FundingSource,
    SchoolStage,
)
from bangfu.schema.relay import to_global_id

NAME = "education"
MAX_AMOUNT = decimal.Decimal("9999999999.99")  # Numeric(12, 2)
CENT = decimal.Decimal("0.01")


class EducationErrorCode(enum.StrEnum):
    """Why the education plugin refused an input."""

    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    FUTURE_DATE = "FUTURE_DATE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    OVERLAP = "OVERLAP"
    NO_CURRENT_ENROLMENT = "NO_CURRENT_ENROLMENT"
    INVALID_STATUS_CHANGE = "INVALID_STATUS_CHANGE"
    INVALID_GRADE = "INVALID_GRADE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    UNKNOWN_ORGANISATION = "UNKNOWN_ORGANISATION"


Code = EducationErrorCode

#: Which grades a stage has, one whole message each (a stage's name is not glued in).
GRADES_OF_STAGE = {
    SchoolStage.PRESCHOOL: N_("a preschool (PRESCHOOL) grade is 1 to {highest}"),
    SchoolStage.PRIMARY: N_("a primary school (PRIMARY) grade is 1 to {highest}"),
    SchoolStage.JUNIOR_SECONDARY: N_(
        "a junior secondary school (JUNIOR_SECONDARY) grade is 1 to {highest}"
    ),
    SchoolStage.SENIOR_SECONDARY: N_(
        "a senior secondary school (SENIOR_SECONDARY) grade is 1 to {highest}"
    ),
    SchoolStage.SECONDARY_VOCATIONAL: N_(
        "a secondary vocational school (SECONDARY_VOCATIONAL) grade is 1 to {highest}"
    ),
    SchoolStage.HIGHER: N_("a higher education (HIGHER) grade is 1 to {highest}"),
}


def grades_of(stage: SchoolStage) -> str:
    """Which grades ``stage`` has, in the reader's language."""
    message = GRADES_OF_STAGE[stage]
    return _(message, highest=MAX_GRADE[stage])


@dataclasses.dataclass
class EnrolmentData:
    """A period of schooling to record (see ``EducationEnrolmentRecordInput``)."""

    person_id: int
    status: EnrolmentStatus
    start_date: dt.date
    school_name: str | None = None
    school_region_code: str | None = None
    stage: SchoolStage | None = None
    grade: int | None = None
    end_date: dt.date | None = None
    end_reason: str | None = None


@dataclasses.dataclass
class AidData:
    """Education aid to grant (see ``EducationAidGrantInput``)."""

    person_id: int
    kind: AidKind
    amount: decimal.Decimal
    granted_on: dt.date
    funding_source: FundingSource
    granting_organisation_id: int
    programme: str | None = None
    donor: str | None = None
    note: str | None = None


@dataclasses.dataclass
class Education:
    """The education use cases for one transaction.

    :param registry: core's registry use cases on the same session (persons and
        organisations, looked up as the actor).
    :param host: the plugin host, to raise care events.
    :param today: today in Asia/Shanghai.
    """

    registry: Registry
    host: PluginHost
    today: dt.date

    @property
    def session(self) -> AsyncSession:
        return self.registry.session

    async def person(self, person_id: int) -> Person:
        return await self.registry.person(person_id, "input.personId")

    # -- enrolments ------------------------------------------------------------

    async def record_enrolment(self, data: EnrolmentData) -> Enrolment:
        """Record a period of schooling, current (no end date) or past."""
        person = await self.person(data.person_id)
        school_name = _text(data.school_name)
        errors = _school_errors(data.status, school_name, data.stage, data.grade)
        if data.end_date is not None:
            if data.end_date < data.start_date:
                errors.append(
                    FieldError(
                        "input.endDate",
                        _("the enrolment would end before it began: check the end date"),
                        Code.INVALID_DATE_RANGE,
                    )
                )
            errors += self._not_in_future(data.end_date, "input.endDate")
        errors += future_start(data.start_date, "input.startDate", today=self.today)
        if data.start_date < person.birth_date:
            errors.append(
                FieldError(
                    "input.startDate",
                    _("the child was not born yet on this day: check the start date"),
                    Code.INVALID_DATE_RANGE,
                )
            )
        errors += _length(data.end_reason, 200, "input.endReason")
        if data.school_region_code is not None:
            errors += await self._region_errors(data.school_region_code)
        if errors:
            raise DomainError(*errors)
        await self._check_no_overlap(person.id, data.start_date, data.end_date)
        enrolment = Enrolment(
            person_id=person.id,
            school_name=school_name,
            school_region_code=data.school_region_code,
            stage=data.stage,
            grade=data.grade,
            status=data.status,
            start_date=data.start_date,
            end_date=data.end_date,
            end_reason=_text(data.end_reason),
        )
        self.session.add(enrolment)
        await self.session.flush()
        if enrolment.status is EnrolmentStatus.DROPPED_OUT:
            await self._raise_dropout(enrolment, enrolment.end_date or enrolment.start_date)
        return enrolment

    async def end_enrolment(
        self,
        person_id: int,
        end_date: dt.date,
        status: EnrolmentStatus | None,
        reason: str | None,
    ) -> Enrolment:
        """End the child's current period on ``end_date``, with how it ended.

        ``status`` None keeps the period's status (a transfer to another school).
        """
        person = await self.person(person_id)
        enrolment = await self.session.scalar(
            select(Enrolment).where(Enrolment.person_id == person.id, Enrolment.end_date.is_(None))
        )
        if enrolment is None:
            raise DomainError.of(
                "input.personId",
                _("the child has no current enrolment to end"),
                Code.NO_CURRENT_ENROLMENT,
            )
        errors: list[FieldError] = []
        if end_date < enrolment.start_date:
            errors.append(
                FieldError(
                    "input.endDate",
                    _(
                        "the enrolment would end before it began ({start}): check the end date",
                        start=enrolment.start_date,
                    ),
                    Code.INVALID_DATE_RANGE,
                )
            )
        errors += self._not_in_future(end_date, "input.endDate")
        if (
            status is EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE
            and enrolment.status is not EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE
        ):
            errors.append(
                FieldError(
                    "input.status",
                    _(
                        "a period at school cannot end as NOT_YET_OF_SCHOOL_AGE: choose how "
                        "it ended"
                    ),
                    Code.INVALID_STATUS_CHANGE,
                )
            )
        elif (
            status is not None
            and status is not EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE
            and enrolment.status is EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE
        ):
            # No school was recorded for it (the database's check would refuse the row).
            errors.append(
                FieldError(
                    "input.status",
                    _(
                        "a period not yet of school age cannot end as {status}: record the "
                        "schooling as a new enrolment",
                        status=status.value,
                    ),
                    Code.INVALID_STATUS_CHANGE,
                )
            )
        errors += _length(reason, 200, "input.reason")
        if errors:
            raise DomainError(*errors)
        dropped_now = (
            status is EnrolmentStatus.DROPPED_OUT
            and enrolment.status is not EnrolmentStatus.DROPPED_OUT
        )
        enrolment.end_date = end_date
        enrolment.end_reason = _text(reason)
        if status is not None:
            enrolment.status = status
        await self.session.flush()
        if dropped_now:
            await self._raise_dropout(enrolment, end_date)
        return enrolment

    async def _check_no_overlap(self, person_id: int, start: dt.date, end: dt.date | None) -> None:
        """Periods are ``[start, end)``: a new one may begin on the day another ended."""
        clash = await self.session.scalar(
            select(Enrolment)
            .where(
                Enrolment.person_id == person_id,
                or_(Enrolment.end_date.is_(None), Enrolment.end_date > start),
                *(() if end is None else (Enrolment.start_date < end,)),
            )
            .order_by(Enrolment.start_date)
            .limit(1)
        )
        if clash is not None:
            what = clash.school_name or clash.status.value
            if clash.end_date is None:
                message = _(
                    "overlaps the current enrolment at {school} since {start}: end that one first",
                    school=what,
                    start=clash.start_date,
                )
            else:
                message = _(
                    "overlaps the enrolment at {school} from {start} to {end}: end that one first",
                    school=what,
                    start=clash.start_date,
                    end=clash.end_date,
                )
            raise DomainError.of("input.startDate", message, Code.OVERLAP)

    async def _raise_dropout(self, enrolment: Enrolment, occurred_on: dt.date) -> None:
        school = enrolment.school_name or "school"
        stage = f" ({enrolment.stage.value})" if enrolment.stage else ""
        await self.host.raise_care_event(
            self.session,
            CareEventRaised(
                person_id=enrolment.person_id,
                kind=CareEventKind.SCHOOL_DROPOUT,
                occurred_on=occurred_on,
                raised_by=NAME,
                summary=f"dropped out of {school}{stage} on {occurred_on.isoformat()}",
                source=to_global_id("EducationEnrolment", enrolment.id),
            ),
        )

    async def _region_errors(self, code: str) -> list[FieldError]:
        # Any region of the city: a child may go to school outside the actor's area.
        if await self.session.get(Region, code) is None:
            return [
                FieldError(
                    "input.schoolRegionCode",
                    _("unknown region code {code}: use a region of the city", code=repr(code)),
                    Code.UNKNOWN_REGION,
                )
            ]
        return []

    def _not_in_future(self, day: dt.date, field: str) -> list[FieldError]:
        if day > self.today:
            return [FieldError(field, _("{day} is in the future", day=day), Code.FUTURE_DATE)]
        return []

    # -- aid -------------------------------------------------------------------

    async def grant_aid(self, data: AidData) -> EducationAid:
        """Record education aid granted to a child."""
        person = await self.person(data.person_id)
        errors = _amount_errors(data.amount)
        errors += self._not_in_future(data.granted_on, "input.grantedOn")
        if data.granted_on < person.birth_date:
            errors.append(
                FieldError(
                    "input.grantedOn",
                    _("the child was not born yet on this day: check the date of the grant"),
                    Code.INVALID_DATE_RANGE,
                )
            )
        programme, donor = _text(data.programme), _text(data.donor)
        if data.funding_source is FundingSource.GOVERNMENT_PROGRAMME and programme is None:
            errors.append(
                FieldError(
                    "input.programme",
                    _("name the government programme that funds the aid"),
                    Code.REQUIRED,
                )
            )
        if data.funding_source is FundingSource.SOCIAL_DONATION and donor is None:
            errors.append(FieldError("input.donor", _("name the donor of the aid"), Code.REQUIRED))
        errors += _length(programme, 200, "input.programme")
        errors += _length(donor, 200, "input.donor")
        errors += _length(data.note, 500, "input.note")
        try:
            await self.registry.organisation(
                data.granting_organisation_id, "input.grantingOrganisationId"
            )
        except DomainError as exc:
            errors += exc.errors
        if errors:
            raise DomainError(*errors)
        aid = EducationAid(
            person_id=person.id,
            kind=data.kind,
            amount=data.amount.quantize(CENT),
            granted_on=data.granted_on,
            funding_source=data.funding_source,
            programme=programme,
            donor=donor,
            granting_organisation_id=data.granting_organisation_id,
            note=_text(data.note),
        )
        self.session.add(aid)
        await self.session.flush()
        return aid


def _text(value: str | None) -> str | None:
    """Trimmed text, or None for nothing but blanks."""
    if value is None or not value.strip():
        return None
    return value.strip()


def _length(value: str | None, limit: int, field: str) -> list[FieldError]:
    if value is not None and len(value.strip()) > limit:
        return [FieldError(field, _("at most {limit} characters", limit=limit), Code.TOO_LONG)]
    return []


def _school_errors(
    status: EnrolmentStatus, school_name: str | None, stage: SchoolStage | None, grade: int | None
) -> list[FieldError]:
    errors: list[FieldError] = []
    if status is not EnrolmentStatus.NOT_YET_OF_SCHOOL_AGE:
        if school_name is None:
            errors.append(
                FieldError("input.schoolName", _("the school's name is required"), Code.REQUIRED)
            )
        if stage is None:
            errors.append(
                FieldError("input.stage", _("the stage of schooling is required"), Code.REQUIRED)
            )
    errors += _length(school_name, 200, "input.schoolName")
    if grade is not None:
        if stage is None:
            errors.append(
                FieldError(
                    "input.grade",
                    _("a grade needs a stage: give the stage too"),
                    Code.INVALID_GRADE,
                )
            )
        elif not 1 <= grade <= MAX_GRADE[stage]:
            errors.append(
                FieldError(
                    "input.grade",
                    grades_of(stage),
                    Code.INVALID_GRADE,
                )
            )
    return errors


def _amount_errors(amount: decimal.Decimal) -> list[FieldError]:
    message = None
    if not amount.is_finite():
        message = _("the amount must be a number of yuan")
    elif amount <= 0:
        message = _("the amount must be more than 0 yuan")
    elif amount > MAX_AMOUNT:
        message = _("the amount must be at most {limit} yuan", limit=MAX_AMOUNT)
    elif amount != amount.quantize(CENT, rounding=decimal.ROUND_DOWN):
        message = _("the amount has at most 2 decimals (fen): round it to the fen")
    return [] if message is None else [FieldError("input.amount", message, Code.INVALID_AMOUNT)]
