"""DataLoaders of the care types, made on first use in a request (names ``care_...``).

Each batch runs one statement on the request's read session, so area scoping applies.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from bangfu.core.care.care_events import due_state_of
from bangfu.core.care.donation_models import Donation, DonationAllocation
from bangfu.core.care.event_models import CareEvent, CareResponse
from bangfu.core.care.models import FiveKnown, Pairing
from bangfu.core.care.plan_models import AssistancePlan, Measure, MeasureProblem
from bangfu.core.care.plans import is_current_problem
from bangfu.core.care.screening_models import Problem, ScreeningCampaign, ScreeningVisit
from bangfu.core.effective import current
from bangfu.core.security.models import User
from bangfu.schema.loaders import by_key, grouped


def _due_states(context: Any) -> Callable[[Any], Any]:
    async def load(keys: Any) -> list[Any]:
        state = due_state_of(context.settings, context.today)
        async with context.read() as session:
            rows = dict(
                (
                    await session.execute(select(CareEvent.id, state).where(CareEvent.id.in_(keys)))
                ).all()
            )
        return [rows.get(key) for key in keys]

    return load


def _problems_of_measures(context: Any) -> Callable[[Any], Any]:
    async def load(keys: Any) -> list[list[Any]]:
        statement = (
            select(MeasureProblem.measure_id, Problem)
            .join(Problem, Problem.id == MeasureProblem.problem_id)
            .where(MeasureProblem.measure_id.in_(keys))
            .order_by(Problem.id)
        )
        async with context.read() as session:
            rows = (await session.execute(statement)).all()
        found: dict[int, list[Any]] = {}
        for measure_id, problem in rows:
            found.setdefault(measure_id, []).append(problem)
        return [found.get(key, []) for key in keys]

    return load


def _measures_of_problems(context: Any) -> Callable[[Any], Any]:
    async def load(keys: Any) -> list[list[Any]]:
        statement = (
            select(MeasureProblem.problem_id, Measure)
            .join(Measure, Measure.id == MeasureProblem.measure_id)
            .where(MeasureProblem.problem_id.in_(keys))
            .order_by(Measure.id)
        )
        async with context.read() as session:
            rows = (await session.execute(statement)).all()
        found: dict[int, list[Any]] = {}
        for problem_id, measure in rows:
            found.setdefault(problem_id, []).append(measure)
        return [found.get(key, []) for key in keys]

    return load


def _allocated_of_donations(context: Any) -> Callable[[Any], Any]:
    """Fen allocated from each donation in the reader's area (the allocations are
    household-scoped: those elsewhere are not counted)."""

    async def load(keys: Any) -> list[int]:
        statement = (
            select(DonationAllocation.donation_id, func.sum(DonationAllocation.amount_fen))
            .where(DonationAllocation.donation_id.in_(keys))
            .group_by(DonationAllocation.donation_id)
        )
        async with context.read() as session:
            sums = dict((await session.execute(statement)).all())
        return [int(sums.get(key) or 0) for key in keys]

    return load


def _current_problems(context: Any) -> Callable[[Any], Any]:
    return grouped(context, Problem, Problem.household_id, is_current_problem())


FACTORIES: dict[str, Callable[[Any], Callable[[Any], Any]]] = {
    "care_user": lambda c: by_key(c, User, User.id),
    "care_campaign": lambda c: by_key(c, ScreeningCampaign, ScreeningCampaign.id),
    "care_visit": lambda c: by_key(c, ScreeningVisit, ScreeningVisit.id),
    "care_problems_of_visit": lambda c: grouped(c, Problem, Problem.visit_id),
    "care_current_problems": _current_problems,
    "care_plan_of_household": lambda c: by_key(c, AssistancePlan, AssistancePlan.household_id),
    "care_measures_of_plan": lambda c: grouped(c, Measure, Measure.plan_id),
    "care_problems_of_measure": _problems_of_measures,
    "care_measures_of_problem": _measures_of_problems,
    "care_pairing": lambda c: by_key(c, Pairing, Pairing.id),
    "care_active_pairing_of_person": lambda c: by_key(
        c, Pairing, Pairing.person_id, current(Pairing.start_date, Pairing.end_date, c.today)
    ),
    "care_pairings_of_person": lambda c: grouped(c, Pairing, Pairing.person_id),
    "care_active_pairings_of_official": lambda c: grouped(
        c, Pairing, Pairing.official_id, current(Pairing.start_date, Pairing.end_date, c.today)
    ),
    "care_five_knowns": lambda c: grouped(c, FiveKnown, FiveKnown.pairing_id),
    "care_event": lambda c: by_key(c, CareEvent, CareEvent.id),
    "care_due_state": _due_states,
    "care_responses": lambda c: grouped(
        c, CareResponse, CareResponse.event_id, order_by=(CareResponse.id,)
    ),
    "care_donation": lambda c: by_key(c, Donation, Donation.id),
    "care_allocations_of_donation": lambda c: grouped(
        c, DonationAllocation, DonationAllocation.donation_id
    ),
    "care_allocated_of_donation": _allocated_of_donations,
    "care_allocations_of_measure": lambda c: grouped(
        c, DonationAllocation, DonationAllocation.measure_id
    ),
    "care_measure": lambda c: by_key(c, Measure, Measure.id),
}


def loader(info: Info, name: str) -> DataLoader[Any, Any]:
    """The request's DataLoader ``name``, made the first time it is asked for."""
    loaders = info.context.loaders
    found = loaders.get(name)
    if found is None:
        found = loaders[name] = DataLoader(FACTORIES[name](info.context))
    return found


async def load(info: Info, name: str, key: Any) -> Any:
    return await loader(info, name).load(key)


async def load_many(info: Info, name: str, keys: list[Any]) -> list[Any]:
    return list(await loader(info, name).load_many(keys))
