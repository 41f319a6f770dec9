"""The employment use cases: record a work status, a training, a placement, a welfare post.

Every method runs inside the caller's transaction as the session's actor (area scoping
applies: a person outside the actor's area is NOT_FOUND, like an absent one), checks the
input first and raises :class:`bangfu.core.errors.DomainError` with every problem it finds; the
caller rolls back, so nothing is ever half-written.
"""

import dataclasses
import datetime as dt
import decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.calendar import age_on
from bangfu.core.effective import future_start
from bangfu.core.errors import DomainError, FieldError
from bangfu.core.i18n import N_, _
from bangfu.core.registry.models import Person
from bangfu.core.registry.service import Registry
from bangfu.core.security.actor import Actor
from bangfu.core.security.crypto import FieldCipher
from bangfu.plugins.employment.errors import EmploymentErrorCode as Code
from bangfu.plugins.employment.models import (
    WORKING,
    JobPlacement,
    PublicWelfarePost,
    Training,
    UnableReason,
    WorkStatus,
    WorkStatusRecord,
)

WORKING_AGE = 16  # Labour Law art. 15: no employment under 16
TEXT_LENGTH = 200
FEN = decimal.Decimal("0.01")
LARGEST_AMOUNT = decimal.Decimal("9999999999.99")  # Numeric(12, 2)
WELFARE_POST_EMPLOYER = "公益性岗位"

# Statuses that need a person of working age at their start.
AT_WORK_OR_LOOKING = frozenset(
    {
        WorkStatus.EMPLOYED,
        WorkStatus.SELF_EMPLOYED,
        WorkStatus.SEEKING_WORK,
        WorkStatus.IN_TRAINING,
    }
)


@dataclasses.dataclass(frozen=True)
class StatusData:
    """A work status to record from ``since``."""

    status: WorkStatus
    since: dt.date
    employer: str | None = None
    monthly_income: decimal.Decimal | None = None
    unable_reason: UnableReason | None = None
    disability_grade: int | None = None
    reason_detail: str | None = None


class Problems:
    """Collects input problems, so one answer names every field at fault."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str, code: Code) -> None:
        self.errors.append(FieldError(field, message, code))

    def start(self, day: dt.date, field: str, today: dt.date) -> None:
        """A start may not be after today (core's rule, bangfu.core.effective)."""
        self.errors += future_start(day, field, today=today)

    def text(self, value: str | None, field: str, *, required: bool) -> str | None:
        """``value`` stripped; REQUIRED when blank and needed, TOO_LONG over 200."""
        cleaned = (value or "").strip() or None
        if cleaned is None and required:
            self.add(field, _("must not be blank"), Code.REQUIRED)
        elif cleaned is not None and len(cleaned) > TEXT_LENGTH:
            self.add(field, _("at most {limit} characters", limit=TEXT_LENGTH), Code.TOO_LONG)
        elif cleaned is not None and not cleaned.isprintable():
            # Control characters (NUL above all, which PostgreSQL refuses) are never meant.
            self.add(field, _("must not contain control characters"), Code.INVALID_INPUT)
        return cleaned

    def amount(
        self, value: decimal.Decimal | None, field: str, *, positive: bool
    ) -> decimal.Decimal | None:
        """Exact yuan: finite, to the fen, not negative (and above zero if ``positive``)."""
        if value is None:
            return None
        if not value.is_finite():
            self.add(field, _("must be a number of yuan"), Code.INVALID_AMOUNT)
        elif value < 0:
            self.add(field, _("must not be negative"), Code.INVALID_AMOUNT)
        elif positive and value == 0:
            self.add(field, _("must be more than 0 yuan"), Code.INVALID_AMOUNT)
        elif value > LARGEST_AMOUNT:
            self.add(
                field, _("must not exceed {limit} yuan", limit=LARGEST_AMOUNT), Code.INVALID_AMOUNT
            )
        elif value != value.quantize(FEN):
            self.add(field, _("at most two decimal places (fen)"), Code.INVALID_AMOUNT)
        else:
            return value.quantize(FEN)
        return None

    def period(self, start: dt.date, end: dt.date | None, end_field: str) -> None:
        if end is not None and end < start:
            self.add(
                end_field,
                _("ends before it starts ({start})", start=start.isoformat()),
                Code.INVALID_DATE_RANGE,
            )

    def working_age(self, person: Person, day: dt.date, field: str, too_young: str) -> None:
        """``too_young``: the message (marked with ``N_``, placeholder ``{age}``) for a
        person under working age on ``day``."""
        if day < person.birth_date:
            self.add(field, _("before the person was born"), Code.INVALID_DATE_RANGE)
        elif age_on(person.birth_date, day) < WORKING_AGE:
            self.add(field, _(too_young, age=WORKING_AGE), Code.UNDER_WORKING_AGE)

    def raise_any(self) -> None:
        if self.errors:
            raise DomainError(*self.errors)


def overlapping(model: Any, start: dt.date, end: dt.date | None) -> Any:
    """Rows of ``model`` whose period (an empty end: open) meets ``start``..``end``."""
    condition = or_(model.end_date.is_(None), model.end_date >= start)
    if end is not None:
        condition = and_(condition, model.start_date <= end)
    return condition


#: Under working age, for each status that needs working age (whole messages).
TOO_YOUNG_FOR = {
    WorkStatus.EMPLOYED: N_("EMPLOYED needs a person of at least {age}"),
    WorkStatus.SELF_EMPLOYED: N_("SELF_EMPLOYED needs a person of at least {age}"),
    WorkStatus.SEEKING_WORK: N_("SEEKING_WORK needs a person of at least {age}"),
    WorkStatus.IN_TRAINING: N_("IN_TRAINING needs a person of at least {age}"),
}


@dataclasses.dataclass
class Employment:
    """The employment use cases for one transaction and actor."""

    session: AsyncSession
    actor: Actor
    cipher: FieldCipher
    today: dt.date

    async def person(self, person_id: int, field: str = "input.personId") -> Person:
        """A living person in the actor's area, or NOT_FOUND / PERSON_DECEASED."""
        person = await Registry(self.session, self.actor, self.cipher).person(person_id, field)
        if person.deceased:
            raise DomainError.of(
                field, _("the person is recorded as deceased"), Code.PERSON_DECEASED
            )
        return person

    async def current_status(self, person_id: int) -> WorkStatusRecord | None:
        return await self.session.scalar(
            select(WorkStatusRecord).where(
                WorkStatusRecord.person_id == person_id, WorkStatusRecord.until.is_(None)
            )
        )

    # -- work status -----------------------------------------------------------

    async def record_status(self, person_id: int, data: StatusData) -> WorkStatusRecord:
        """Record ``data`` as the person's status; the current one ends the day before."""
        person = await self.person(person_id)
        problems = Problems()
        employer, income, detail = self._check_status(person, data, problems)
        problems.raise_any()
        current = await self.current_status(person.id)
        if current is not None and data.since <= current.since:
            raise DomainError.of(
                "input.since",
                _(
                    "the current status ({status}) began on {since}; a new status must begin "
                    "after it",
                    status=current.status,
                    since=current.since.isoformat(),
                ),
                Code.OUT_OF_ORDER,
            )
        return await self._open_status(
            person.id,
            current,
            dataclasses.replace(
                data, employer=employer, monthly_income=income, reason_detail=detail
            ),
        )

    def _check_status(
        self, person: Person, data: StatusData, problems: Problems
    ) -> tuple[str | None, decimal.Decimal | None, str | None]:
        status = WorkStatus(data.status)
        if data.since > self.today:
            problems.add("input.since", _("must not be in the future"), Code.FUTURE_DATE)
        elif status in AT_WORK_OR_LOOKING:
            problems.working_age(person, data.since, "input.status", TOO_YOUNG_FOR[status])
        elif data.since < person.birth_date:
            problems.add("input.since", _("before the person was born"), Code.INVALID_DATE_RANGE)
        if status in WORKING:
            employer = problems.text(
                data.employer, "input.employer", required=status is WorkStatus.EMPLOYED
            )
            income = problems.amount(data.monthly_income, "input.monthlyIncome", positive=False)
        else:
            employer = income = None
            if data.employer is not None:
                problems.add(
                    "input.employer",
                    _("not for {status}", status=status.value),
                    Code.NOT_APPLICABLE,
                )
            if data.monthly_income is not None:
                problems.add(
                    "input.monthlyIncome",
                    _("not for {status}", status=status.value),
                    Code.NOT_APPLICABLE,
                )
        detail = None
        if status is WorkStatus.UNABLE_TO_WORK:
            detail = problems.text(data.reason_detail, "input.unableToWork.detail", required=False)
            if data.unable_reason is None:
                problems.add(
                    "input.unableToWork", _("say why the person cannot work"), Code.REQUIRED
                )
            elif data.unable_reason is UnableReason.DISABILITY:
                if data.disability_grade is None or not 1 <= data.disability_grade <= 4:
                    problems.add(
                        "input.unableToWork.disabilityGrade",
                        _("a disability grade 1 to 4 (GB/T 26341) is needed"),
                        Code.INVALID_DISABILITY_GRADE,
                    )
            elif data.disability_grade is not None:
                problems.add(
                    "input.unableToWork.disabilityGrade",
                    _("only for the reason DISABILITY"),
                    Code.NOT_APPLICABLE,
                )
        elif data.unable_reason is not None or data.reason_detail is not None:
            problems.add("input.unableToWork", _("only for UNABLE_TO_WORK"), Code.NOT_APPLICABLE)
        return employer, income, detail

    async def _open_status(
        self, person_id: int, current: WorkStatusRecord | None, data: StatusData
    ) -> WorkStatusRecord:
        if current is not None:
            current.until = data.since - dt.timedelta(days=1)
            await self._flush()  # the old one closes before the new one opens (unique index)
        record = WorkStatusRecord(
            person_id=person_id,
            status=WorkStatus(data.status),
            since=data.since,
            employer=data.employer,
            monthly_income=data.monthly_income,
            unable_reason=data.unable_reason,
            disability_grade=data.disability_grade,
            reason_detail=data.reason_detail,
        )
        self.session.add(record)
        await self._flush()
        return record

    async def employed_from(
        self, person_id: int, start: dt.date, end: dt.date | None, employer: str, income: Any
    ) -> None:
        """After a placement or welfare post: the status becomes EMPLOYED from ``start``,
        if the post is under way today and no newer status is on record."""
        if start > self.today or (end is not None and end < self.today):
            return
        current = await self.current_status(person_id)
        if current is not None and (
            current.since >= start
            or (current.status is WorkStatus.EMPLOYED and current.employer == employer)
        ):
            return
        await self._open_status(
            person_id,
            current,
            StatusData(WorkStatus.EMPLOYED, start, employer=employer, monthly_income=income),
        )

    # -- training --------------------------------------------------------------

    async def record_training(
        self,
        person_id: int,
        course: str,
        provider: str,
        start: dt.date,
        end: dt.date | None,
    ) -> Training:
        person = await self.person(person_id)
        problems = Problems()
        course_ = problems.text(course, "input.course", required=True)
        provider_ = problems.text(provider, "input.provider", required=True)
        problems.start(start, "input.startDate", self.today)
        problems.period(start, end, "input.endDate")
        problems.working_age(
            person,
            start,
            "input.startDate",
            N_("vocational training needs a person of at least {age}"),
        )
        problems.raise_any()
        other = await self.session.scalar(
            select(Training)
            .where(Training.person_id == person.id, overlapping(Training, start, end))
            .limit(1)
        )
        if other is not None:
            if other.end_date is None:
                message = _(
                    "overlaps the training {course} ({start} to open end)",
                    course=repr(other.course),
                    start=other.start_date.isoformat(),
                )
            else:
                message = _(
                    "overlaps the training {course} ({start} to {end})",
                    course=repr(other.course),
                    start=other.start_date.isoformat(),
                    end=other.end_date.isoformat(),
                )
            raise DomainError.of("input.startDate", message, Code.OVERLAP)
        training = Training(
            person_id=person.id,
            course=course_,
            provider=provider_,
            start_date=start,
            end_date=end,
            completed=False,
        )
        self.session.add(training)
        await self.session.flush()
        return training

    async def complete_training(self, training_id: int, end: dt.date | None) -> Training:
        """Mark a training completed on ``end`` (default: its planned end, else today)."""
        training = await self.session.get(Training, training_id)
        if training is None:
            raise DomainError.of(
                "input.id", _("no EmploymentTraining with this ID"), Code.NOT_FOUND
            )
        if training.completed:
            raise DomainError.of(
                "input.id",
                _("completed already on {day}", day=training.end_date),
                Code.ALREADY_ENDED,
            )
        day = end or training.end_date or self.today
        problems = Problems()
        if day > self.today:
            problems.add("input.endDate", _("must not be in the future"), Code.FUTURE_DATE)
        problems.period(training.start_date, day, "input.endDate")
        problems.raise_any()
        training.end_date = day
        training.completed = True
        await self.session.flush()
        return training

    # -- placements and welfare posts --------------------------------------------

    async def record_placement(
        self,
        person_id: int,
        employer: str,
        post: str,
        start: dt.date,
        end: dt.date | None,
        monthly_wage: decimal.Decimal,
        *,
        update_status: bool,
    ) -> JobPlacement:
        person = await self.person(person_id)
        problems = Problems()
        employer_ = problems.text(employer, "input.employer", required=True)
        post_ = problems.text(post, "input.post", required=True)
        wage = problems.amount(monthly_wage, "input.monthlyWage", positive=True)
        problems.start(start, "input.startDate", self.today)
        problems.period(start, end, "input.endDate")
        problems.working_age(
            person, start, "input.startDate", N_("a job needs a person of at least {age}")
        )
        problems.raise_any()
        other = await self.session.scalar(
            select(JobPlacement)
            .where(JobPlacement.person_id == person.id, overlapping(JobPlacement, start, end))
            .limit(1)
        )
        if other is not None:
            if other.end_date is None:
                message = _(
                    "overlaps the placement at {employer} ({start} to open end): end that one "
                    "first",
                    employer=other.employer,
                    start=other.start_date.isoformat(),
                )
            else:
                message = _(
                    "overlaps the placement at {employer} ({start} to {end}): end that one first",
                    employer=other.employer,
                    start=other.start_date.isoformat(),
                    end=other.end_date.isoformat(),
                )
            raise DomainError.of("input.startDate", message, Code.OVERLAP)
        placement = JobPlacement(
            person_id=person.id,
            employer=employer_,
            post=post_,
            start_date=start,
            end_date=end,
            monthly_wage=wage,
        )
        self.session.add(placement)
        await self.session.flush()
        if update_status:
            assert employer_ is not None
            await self.employed_from(person.id, start, end, employer_, wage)
        return placement

    async def assign_welfare_post(
        self,
        person_id: int,
        post: str,
        monthly_subsidy: decimal.Decimal,
        start: dt.date,
        end: dt.date,
        *,
        update_status: bool,
    ) -> PublicWelfarePost:
        person = await self.person(person_id)
        problems = Problems()
        post_ = problems.text(post, "input.post", required=True)
        subsidy = problems.amount(monthly_subsidy, "input.monthlySubsidy", positive=True)
        problems.start(start, "input.startDate", self.today)
        problems.period(start, end, "input.endDate")
        problems.working_age(
            person,
            start,
            "input.startDate",
            N_("a public-welfare post needs a person of at least {age}"),
        )
        problems.raise_any()
        other = await self.session.scalar(
            select(PublicWelfarePost)
            .where(
                PublicWelfarePost.person_id == person.id,
                overlapping(PublicWelfarePost, start, end),
            )
            .limit(1)
        )
        if other is not None:
            if other.end_date is None:
                message = _(
                    "overlaps the public-welfare post {post} ({start} to open end): one post "
                    "at a time",
                    post=repr(other.post),
                    start=other.start_date.isoformat(),
                )
            else:
                message = _(
                    "overlaps the public-welfare post {post} ({start} to {end}): one post at "
                    "a time",
                    post=repr(other.post),
                    start=other.start_date.isoformat(),
                    end=other.end_date.isoformat(),
                )
            raise DomainError.of("input.startDate", message, Code.OVERLAP)
        welfare_post = PublicWelfarePost(
            person_id=person.id,
            post=post_,
            monthly_subsidy=subsidy,
            start_date=start,
            end_date=end,
        )
        self.session.add(welfare_post)
        await self.session.flush()
        if update_status:
            await self.employed_from(
                person.id, start, end, f"{WELFARE_POST_EMPLOYER}：{post_}", subsidy
            )
        return welfare_post

    async def _flush(self) -> None:
        """Flush, turning a lost race for the one current status into a clear error."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise DomainError.of(
                "input.personId",
                _("the person's work status was changed meanwhile: read it again"),
                Code.VERSION_CONFLICT,
            ) from exc
