"""One plan per household (一户一策, R4, R5): measures that answer the key problems."""

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, exists, select

from bangfu.core.calendar import CHINA
from bangfu.core.care.common import CareService
from bangfu.core.care.enums import FundingSource, MeasureStatus, ProblemDomain, VisitOutcome
from bangfu.core.care.plan_models import AssistancePlan, Measure, MeasureProblem
from bangfu.core.care.screening_models import Problem, ScreeningVisit
from bangfu.core.errors import DomainError, ErrorCode, FieldError, text_problems
from bangfu.core.i18n import _
from bangfu.core.registry.models import Household
from bangfu.core.text_limits import check_length

#: Status changes a measure may make; DONE and CANCELLED are final.
TRANSITIONS = {
    MeasureStatus.PLANNED: {MeasureStatus.UNDER_WAY, MeasureStatus.DONE, MeasureStatus.CANCELLED},
    MeasureStatus.UNDER_WAY: {MeasureStatus.DONE, MeasureStatus.CANCELLED},
    MeasureStatus.DONE: set(),
    MeasureStatus.CANCELLED: set(),
}


@dataclasses.dataclass(frozen=True)
class MeasureData:
    domain: ProblemDomain
    description: str
    problem_ids: Sequence[int]
    responsible_organisation_id: int
    deadline: dt.date
    funding_source: FundingSource


def is_current_problem() -> Any:
    """Whether a problem is current: one of its household's latest visit that met it.

    A new visit re-assesses the household, so its problems replace the earlier ones.
    """
    latest = (
        select(ScreeningVisit.id)
        .where(
            ScreeningVisit.household_id == Problem.household_id,
            ScreeningVisit.outcome == VisitOutcome.VISITED,
        )
        .order_by(ScreeningVisit.visited_on.desc(), ScreeningVisit.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return Problem.visit_id == latest


def current_problems() -> Select[Any]:
    """The current problems of every household (see :func:`is_current_problem`)."""
    return select(Problem).where(is_current_problem())


def answered(problem_id: Any) -> Any:
    """Whether a measure that is not cancelled answers the problem."""
    return exists(
        select(MeasureProblem.id)
        .join(Measure, Measure.id == MeasureProblem.measure_id)
        .where(MeasureProblem.problem_id == problem_id, Measure.status != MeasureStatus.CANCELLED)
    )


def unanswered_key_problems() -> Select[Any]:
    """Current key problems no live measure answers: what the plan still lacks."""
    return current_problems().where(Problem.is_key.is_(True), ~answered(Problem.id))


def plan_started_on(plan: AssistancePlan) -> dt.date:
    """The day (in China) the plan was created: no measure of it is due before."""
    created = plan.created_at
    if created.tzinfo is None:  # SQLite returns the stored UTC instant without its zone
        created = created.replace(tzinfo=dt.UTC)
    return created.astimezone(CHINA).date()


class Plans(CareService):
    """Assistance-plan use cases."""

    async def plan_of(self, household_id: int) -> AssistancePlan:
        """The household's plan, created on first use."""
        household = await self.get(Household, household_id, "input.householdId")
        plan = await self.session.scalar(
            select(AssistancePlan).where(AssistancePlan.household_id == household.id)
        )
        if plan is None:
            plan = AssistancePlan(household_id=household.id)
            self.session.add(plan)
            await self.flush()
        return plan

    async def add_measure(self, household_id: int, data: MeasureData) -> Measure:
        plan = await self.plan_of(household_id)
        await self.organisation(data.responsible_organisation_id, "input.responsibleOrganisationId")
        errors: list[FieldError] = text_problems("input.description", data.description, 1000)
        started = plan_started_on(plan)
        if data.deadline < started:
            errors.append(
                FieldError(
                    "input.deadline",
                    _(
                        "the deadline {deadline} is before the household's plan was started "
                        "on {started}: a measure is due on or after that day",
                        deadline=data.deadline.isoformat(),
                        started=started.isoformat(),
                    ),
                    ErrorCode.INVALID_DATE_RANGE,
                )
            )
        problem_ids = list(dict.fromkeys(data.problem_ids))
        found = set(
            await self.session.scalars(
                select(Problem.id).where(
                    Problem.id.in_(problem_ids), Problem.household_id == plan.household_id
                )
            )
        )
        for index, problem_id in enumerate(data.problem_ids):
            if problem_id not in found:
                errors.append(
                    FieldError(
                        f"input.problemIds.{index}",
                        _("no problem of this household with this ID"),
                        ErrorCode.NOT_FOUND,
                    )
                )
        if errors:
            raise DomainError(*errors)
        measure = Measure(
            plan_id=plan.id,
            household_id=plan.household_id,
            domain=data.domain,
            description=data.description.strip(),
            responsible_organisation_id=data.responsible_organisation_id,
            deadline=data.deadline,
            funding_source=data.funding_source,
        )
        self.session.add(measure)
        await self.flush()
        self.session.add_all(
            MeasureProblem(measure_id=measure.id, problem_id=pid, household_id=plan.household_id)
            for pid in problem_ids
        )
        await self.flush()
        return measure

    async def change_status(
        self, measure_id: int, expected_version: int, status: MeasureStatus, reason: str | None
    ) -> Measure:
        """Move a measure on, if nobody changed it since ``expected_version``."""
        measure = await self.get(Measure, measure_id, "input.id")
        if measure.version != expected_version:
            raise DomainError.of(
                "input.expectedVersion",
                _(
                    "the measure was changed meanwhile: current version is {version}",
                    version=measure.version,
                ),
                ErrorCode.VERSION_CONFLICT,
            )
        if status not in TRANSITIONS[measure.status]:
            raise DomainError.of(
                "input.status",
                _(
                    "a {current} measure cannot become {new}",
                    current=measure.status.value,
                    new=status.value,
                ),
                ErrorCode.INVALID_STATUS_CHANGE,
            )
        reason = (reason or "").strip() or None
        check_length("input.reason", reason, Measure.status_reason)
        if status is MeasureStatus.CANCELLED and reason is None:
            raise DomainError.of(
                "input.reason", _("say why the measure is cancelled"), ErrorCode.REQUIRED
            )
        measure.status = status
        measure.status_reason = reason
        await self.flush()
        return measure
