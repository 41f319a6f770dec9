"""The append-only audit trail: one row per login, mutation, reveal, denial and export.

Rows are chained: each row's ``hash`` covers its own content and the previous row's hash,
so a row edited in the database breaks the chain from that row on (:func:`verify`). The
database refuses UPDATE and DELETE on the table (triggers). Appends are serialised through
the one ``core_audit_head`` row, which each append updates first: concurrent writers wait
for each other instead of forking the chain.
"""

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.security.actor import Actor
from core.security.models import AuditEvent, AuditHead

GENESIS = "0" * 64
_HEAD_ID = 1


class Outcome:
    """Values of ``AuditEvent.outcome``."""

    OK = "ok"
    FAILED = "failed"
    DENIED = "denied"


def _canonical(event: AuditEvent) -> bytes:
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=dt.UTC)
    content = {
        "id": event.id,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_kind": event.actor_kind,
        "actor_name": event.actor_name,
        "actor_id": event.actor_id,
        "roles": event.roles,
        "operation": event.operation,
        "targets": list(event.targets or []),
        "outcome": event.outcome,
        "request_id": event.request_id,
        "details": event.details or {},
        "previous_hash": event.previous_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


async def record(
    session: AsyncSession,
    actor: Actor,
    operation: str,
    outcome: str,
    *,
    targets: Iterable[str] = (),
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append one event in the session's transaction (it commits or rolls back with it).

    ``details`` must already be masked: no plain ID numbers, diagnoses or passwords.
    """
    head = (
        await session.execute(
            update(AuditHead)
            .where(AuditHead.id == _HEAD_ID)
            .values(count=AuditHead.count + 1)
            .returning(AuditHead.last_hash, AuditHead.count)
        )
    ).first()
    if head is None:  # the first event ever
        session.add(AuditHead(id=_HEAD_ID, last_hash=GENESIS, count=1))
        await session.flush()
        previous, sequence = GENESIS, 1
    else:
        previous, sequence = head
    event = AuditEvent(
        id=sequence,
        at=utcnow(),
        actor_kind=actor.kind.value,
        actor_name=actor.name,
        actor_id=actor.id,
        roles=",".join(sorted(actor.roles)),
        operation=operation,
        targets=sorted(set(targets)),
        outcome=outcome,
        request_id=request_id,
        details=details or {},
        previous_hash=previous,
    )
    event.hash = event_hash(event)
    session.add(event)
    await session.execute(
        update(AuditHead).where(AuditHead.id == _HEAD_ID).values(last_hash=event.hash)
    )
    await session.flush()
    return event


@dataclasses.dataclass(frozen=True)
class ChainBreak:
    """Where the chain stops holding, and why."""

    event_id: int
    reason: str


async def verify(session: AsyncSession, *, batch: int = 5000) -> list[ChainBreak]:
    """Recompute the chain; every row whose content or link does not hold is reported."""
    breaks: list[ChainBreak] = []
    previous = GENESIS
    expected_id = 1
    last_id = 0
    while True:
        rows: Sequence[AuditEvent] = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for event in rows:
            if event.id != expected_id:
                breaks.append(
                    ChainBreak(event.id, f"rows {expected_id}..{event.id - 1} are missing")
                )
            if event.previous_hash != previous:
                breaks.append(ChainBreak(event.id, "does not link to the row before it"))
            if event_hash(event) != event.hash:
                breaks.append(ChainBreak(event.id, "content does not match its hash (edited)"))
            previous = event.hash
            expected_id = event.id + 1
            last_id = event.id
    head = await session.get(AuditHead, _HEAD_ID)
    if head is not None and head.last_hash != previous:
        breaks.append(
            ChainBreak(last_id, "the chain's end is not the recorded head (rows removed)")
        )
    return breaks
