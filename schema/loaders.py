"""Core DataLoaders: every relation is loaded in one statement per batch, per request.

Each batch function runs its query on the request's read session, so area scoping
applies to it like to any other statement.
"""

from collections import defaultdict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from bangfu.core.effective import current as in_force_today
from bangfu.core.registry.models import (
    CategoryAssignment,
    Household,
    Membership,
    Organisation,
    Person,
    Region,
)


def by_key(
    context: Any, model: type[Any], column: InstrumentedAttribute[Any], *where: Any
) -> Callable[[Sequence[Any]], Coroutine[Any, Any, list[Any]]]:
    """A batch function returning, per key, the one row whose ``column`` equals it (or None);
    ``where`` narrows the rows so that at most one matches each key."""

    async def load(keys: Sequence[Any]) -> list[Any]:
        async with context.read() as session:
            rows = (await session.scalars(select(model).where(column.in_(keys), *where))).all()
        found = {getattr(row, column.key): row for row in rows}
        return [found.get(key) for key in keys]

    return load


def grouped(
    context: Any,
    model: type[Any],
    column: InstrumentedAttribute[Any],
    *where: Any,
    order_by: Sequence[Any] = (),
) -> Callable[[Sequence[Any]], Coroutine[Any, Any, list[list[Any]]]]:
    """A batch function returning, per key, the list of rows whose ``column`` equals it."""

    async def load(keys: Sequence[Any]) -> list[list[Any]]:
        statement = select(model).where(column.in_(keys), *where)
        statement = statement.order_by(*order_by) if order_by else statement.order_by(model.id)
        async with context.read() as session:
            rows = (await session.scalars(statement)).all()
        groups: dict[Any, list[Any]] = defaultdict(list)
        for row in rows:
            groups[getattr(row, column.key)].append(row)
        return [groups.get(key, []) for key in keys]

    return load


def core_loaders(context: Any) -> dict[str, DataLoader[Any, Any]]:
    """The loaders core resolvers use; plugins add theirs in ``bangfu_graphql_context``."""
    from bangfu.schema.bottomline import bottom_line_loader

    # Current: not ended, and started (a start after today, written before the rule refused
    # it, is not in force yet). The compiled forms say the same (schema/compiled.py).
    current = in_force_today(Membership.start_date, Membership.end_date, context.today)
    return {
        "bottom_line": bottom_line_loader(context),
        "region": DataLoader(by_key(context, Region, Region.code)),
        "region_children": DataLoader(
            grouped(context, Region, Region.parent_code, order_by=(Region.sort_key, Region.code))
        ),
        "organisation": DataLoader(by_key(context, Organisation, Organisation.id)),
        "person": DataLoader(by_key(context, Person, Person.id)),
        "household": DataLoader(by_key(context, Household, Household.id)),
        "current_membership": DataLoader(
            by_key(context, Membership, Membership.person_id, current)
        ),
        "memberships_of_person": DataLoader(
            grouped(
                context,
                Membership,
                Membership.person_id,
                order_by=(Membership.start_date, Membership.id),
            )
        ),
        "members": DataLoader(grouped(context, Membership, Membership.household_id, current)),
        "members_with_history": DataLoader(grouped(context, Membership, Membership.household_id)),
        "categories": DataLoader(
            grouped(
                context,
                CategoryAssignment,
                CategoryAssignment.person_id,
                order_by=(CategoryAssignment.valid_from, CategoryAssignment.id),
            )
        ),
    }
