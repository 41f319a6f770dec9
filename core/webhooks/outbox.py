"""The webhook outbox: a delivery per subscribed endpoint, written in the transaction of
the change it tells of (a write that rolls back tells no partner), once per endpoint,
event and subject whatever is written again. ``bangfu.core.webhooks.delivery`` sends them.

A delivery's body names no person: the event, the subject's global ID (a partner with an
API client reads what its scope allows), the day it is due and the county. An endpoint is
told only of its area's events (``bangfu webhook add --region``).
"""

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.db import global_id, utcnow
from bangfu.core.webhooks.events import WebhookEvent
from bangfu.core.webhooks.models import WebhookDelivery, WebhookEndpoint


def county_of(area_path: str) -> str | None:
    """The county code of a region path (``141000/141023/...`` gives ``141023``)."""
    parts = [part for part in area_path.split("/") if part]
    return parts[1] if len(parts) > 1 else None


async def enqueue(
    session: AsyncSession,
    event: WebhookEvent,
    subject_kind: str,
    subject_ids: dict[int, str],
    data: dict[int, dict[str, Any]] | None = None,
) -> int:
    """Write a delivery of ``event`` about each subject (``subject_ids``: key to the area
    path of its person or household) for every endpoint that wants the event and whose
    area holds the subject. Returns how many were written now."""
    if not subject_ids:
        return 0
    endpoints = [
        endpoint
        for endpoint in await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
        if event.value in endpoint.events.split()
    ]
    if not endpoints:
        return 0
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for key, area_path in subject_ids.items():
        for endpoint in endpoints:
            if not area_path.startswith(endpoint.area_path):
                continue
            delivery_id = str(uuid.uuid4())
            body = {
                "id": delivery_id,
                "type": event.value,
                "createdAt": now.isoformat(timespec="seconds"),
                "subject": {"type": subject_kind, "id": global_id(subject_kind, key)},
                "countyCode": county_of(area_path),
                "data": (data or {}).get(key, {}),
            }
            rows.append(
                {
                    "delivery_id": delivery_id,
                    "endpoint_id": endpoint.id,
                    "endpoint_name": endpoint.name,
                    "event": event.value,
                    "subject_kind": subject_kind,
                    "subject_id": key,
                    "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                    "state": "PENDING",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    if not rows:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    result = await session.execute(
        insert(WebhookDelivery).values(rows).on_conflict_do_nothing().returning(WebhookDelivery.id)
    )
    return len(result.all())


def _day(value: dt.date) -> str:
    return value.isoformat()


async def person_areas(session: AsyncSession, person_of: dict[int, int]) -> dict[int, str]:
    """Each subject's area: the region path of its person (``person_of``: key to person)."""
    from bangfu.core.registry.models import Person

    persons = sorted(set(person_of.values()))
    paths: dict[int, str] = {}
    for start in range(0, len(persons), 500):
        rows = await session.execute(
            select(Person.id, Person.area_path).where(Person.id.in_(persons[start : start + 500]))
        )
        paths.update({key: path for key, path in rows})
    return {key: paths[person] for key, person in person_of.items() if person in paths}


async def care_events(session: AsyncSession, event: WebhookEvent, facts: Any) -> int:
    """Deliveries of ``event`` about care events (``facts``: their id, person, kind and
    deadline, ``bangfu.core.notify.service.EventFacts``)."""
    facts = list(facts)
    if not facts:
        return 0
    areas = await person_areas(session, {f.id: f.person_id for f in facts})
    data = {f.id: {"kind": str(f.kind), "deadline": _day(f.deadline)} for f in facts}
    return await enqueue(session, event, "CareEvent", areas, data)
