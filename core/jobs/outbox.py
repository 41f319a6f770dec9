"""The worker's two moves on an outbox table, shared by every sender (webhook deliveries,
notification channels, the hand-over of recorded notifications):

- :func:`claim`: take up to ``limit`` rows that match, for this worker only. The rows are
  read ``FOR UPDATE SKIP LOCKED`` (PostgreSQL: a row another worker holds is passed over)
  and then changed by an ``UPDATE`` that repeats the conditions (SQLite, and a row that
  changed between the two: only the rows still matching are this worker's). Two workers
  on two machines never claim one row.
- :func:`settle`: write the outcome of one attempt on a claimed delivery: ``SUCCEEDED``,
  a retry on the schedule of :mod:`bangfu.core.jobs.retry`, or ``GAVE_UP``.

A delivery is claimed with a lease (:data:`LEASE`): its next attempt moves that far ahead,
so a worker that stops mid-attempt leaves it to another after the lease, and delivery is
at least once.
"""

import datetime as dt
import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.jobs.retry import retry_delay

#: How long a claimed delivery is its worker's: after it, another worker may send it.
LEASE = dt.timedelta(minutes=5)

PENDING = "PENDING"
SUCCEEDED = "SUCCEEDED"
GAVE_UP = "GAVE_UP"
#: Not a stored state: what :func:`settle` reports for a delivery that will be tried again.
RETRYING = "RETRYING"


async def claim(
    session: AsyncSession,
    model: Any,
    conditions: list[ColumnElement[bool]],
    values: dict[str, Any],
    *,
    order_by: list[Any],
    limit: int,
) -> list[int]:
    """Claim up to ``limit`` rows of ``model`` matching ``conditions`` (in ``order_by``
    order) by setting ``values`` on them; the keys of the rows this call claimed."""
    found = list(
        await session.scalars(
            select(model.id)
            .where(*conditions)
            .order_by(*order_by)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not found:
        return []
    return list(
        await session.scalars(
            update(model)
            .where(model.id.in_(found), *conditions)
            .values(**values)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
    )


async def claim_due(
    session: AsyncSession, model: Any, now: dt.datetime, *, limit: int
) -> list[int]:
    """Claim up to ``limit`` pending deliveries of ``model`` that are due at ``now``, for
    :data:`LEASE`; their keys. ``model`` has ``state`` and ``next_attempt_at``."""
    return await claim(
        session,
        model,
        [model.state == PENDING, model.next_attempt_at <= now],
        {"next_attempt_at": now + LEASE},
        order_by=[model.next_attempt_at, model.id],
        limit=limit,
    )


class Delivery(Protocol):
    """What :func:`settle` changes: a delivery row of any outbox."""

    state: str
    attempts: int
    next_attempt_at: Any
    finished_at: Any


def settle(
    delivery: Delivery,
    now: dt.datetime,
    *,
    succeeded: bool,
    retry: bool = True,
    jitter: random.Random | None = None,
) -> str:
    """Count one attempt on ``delivery`` and write where it stands: ``SUCCEEDED``; due
    again after the retry schedule's delay; or ``GAVE_UP`` when that was the last attempt,
    or when ``retry`` is False (a failure that no retry mends). Returns the outcome
    (``SUCCEEDED``, ``RETRYING`` or ``GAVE_UP``)."""
    delivery.attempts += 1
    if succeeded:
        delivery.state, delivery.finished_at = SUCCEEDED, now
        return SUCCEEDED
    delay = retry_delay(delivery.attempts, jitter=jitter) if retry else None
    if delay is None:
        delivery.state, delivery.finished_at = GAVE_UP, now
        return GAVE_UP
    delivery.next_attempt_at = now + delay
    return RETRYING


async def send_due(
    sessions: Any,
    model: Any,
    attempt: Callable[[int], Awaitable[str]],
    *,
    batch: int,
) -> dict[str, int]:
    """Send every delivery of ``model`` due now: claim a batch (its own transaction,
    committed before anything is sent), make one ``attempt`` of each (which settles it),
    and go on until a batch comes back short. Returns how many ended how."""
    from bangfu.core.db import utcnow
    from bangfu.core.security import SYSTEM

    outcomes: dict[str, int] = {}
    while True:
        async with sessions() as session, session.begin():
            session.info["actor"] = SYSTEM
            claimed = await claim_due(session, model, utcnow(), limit=batch)
        for key in claimed:
            outcome = await attempt(key)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if len(claimed) < batch:
            return outcomes


def summary(outcomes: dict[str, int]) -> str:
    """A job run's summary of :func:`send_due`'s outcomes: ``"2 retrying, 5 succeeded"``."""
    return ", ".join(f"{count} {state.lower()}" for state, count in sorted(outcomes.items())) or (
        "nothing due"
    )
