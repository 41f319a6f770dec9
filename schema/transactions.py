"""Running a mutation's work in one transaction, for core and plugins alike."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core.errors import DomainError, FieldError

T = TypeVar("T")


async def in_transaction(
    info: Info, work: Callable[[AsyncSession], Awaitable[T]]
) -> T | list[FieldError]:
    """Run ``work`` in one transaction as the request's actor.

    Returns what ``work`` returns, committed (and audited); or, when ``work`` raises a
    :class:`bangfu.core.errors.DomainError`, its errors, with everything rolled back: bad input
    never changes anything. Turn the errors into your payload's error type.
    """
    try:
        async with info.context.write() as session:
            return await work(session)
    except DomainError as exc:
        return exc.errors
