"""The append-only audit trail: one row per login, mutation, reveal, denial and export.

Rows are chained: each row's ``hash`` covers its own content and the previous row's hash,
so a row edited in the database breaks the chain from that row on (:func:`verify`). The
database refuses UPDATE and DELETE on the table (triggers). Appends are serialised through
the one ``core_audit_head`` row, which each append updates first: concurrent writers wait
for each other instead of forking the chain.

What a write changed is collected by a session listener (:func:`install`): a session
whose ``info`` holds a :class:`ChangeSet` under :data:`CHANGES_KEY` gets, at every flush,
each new, changed and deleted ORM object recorded with its global ID and the before and
after of its changed columns, masked (:mod:`bangfu.core.security.masking`). The GraphQL layer
(``bangfu.schema.audit``) turns that into the mutation's audit row, in the same transaction.
"""

import base64
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

from bangfu.core import request_scope
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker, utcnow
from bangfu.core.i18n import _
from bangfu.core.security.actor import SYSTEM, Actor
from bangfu.core.security.audit_area import area_of
from bangfu.core.security.masking import SENSITIVE_MARK, mask_column
from bangfu.core.security.models import AuditEvent, AuditHead

GENESIS = "0" * 64
_HEAD_ID = 1
# session.info key: how many events were recorded in the session's transaction.
RECORDED_KEY = "bangfu_audit_recorded"


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
    # Rows written before audit rows had an area keep the hash they were written with.
    if event.area_path is not None:
        content["area_path"] = event.area_path
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
    ``request_id`` defaults to the request being served (:mod:`bangfu.core.request_scope`).
    The row's area is worked out from the targets the session's actor can see
    (:func:`bangfu.core.security.audit_area.area_of`): ``auditLog`` shows it to readers of
    that area.
    """
    request_id = request_id or request_scope.request_id()
    targets = sorted(set(targets))
    # Before the head's lock is taken: appends wait for each other at the head.
    area_path = await area_of(session, actor, targets)
    session.info[RECORDED_KEY] = session.info.get(RECORDED_KEY, 0) + 1
    head = await _advance_head(session)
    if head is None:  # the first event ever: create the head, once, even when racing
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(
            insert(AuditHead)
            .values(id=_HEAD_ID, last_hash=GENESIS, count=0)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = await _advance_head(session)
        if head is None:
            raise RuntimeError("the audit head row could not be created")
    previous, sequence = head
    event = AuditEvent(
        id=sequence,
        at=utcnow(),
        actor_kind=actor.kind.value,
        actor_name=actor.name,
        actor_id=actor.id,
        roles=",".join(sorted(actor.roles)),
        operation=operation,
        targets=targets,
        area_path=area_path,
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


async def _advance_head(session: AsyncSession) -> tuple[str, int] | None:
    """Take the head row's lock (held until commit): the last hash and the next number."""
    row = (
        await session.execute(
            update(AuditHead)
            .where(AuditHead.id == _HEAD_ID)
            .values(count=AuditHead.count + 1)
            .returning(AuditHead.last_hash, AuditHead.count)
        )
    ).first()
    return None if row is None else (row[0], row[1])


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
                    ChainBreak(
                        event.id,
                        _(
                            "rows {first}..{last} are missing",
                            first=expected_id,
                            last=event.id - 1,
                        ),
                    )
                )
            if event.previous_hash != previous:
                breaks.append(ChainBreak(event.id, _("does not link to the row before it")))
            if event_hash(event) != event.hash:
                breaks.append(ChainBreak(event.id, _("content does not match its hash (edited)")))
            previous = event.hash
            expected_id = event.id + 1
            last_id = event.id
    head = await session.get(AuditHead, _HEAD_ID)
    if head is not None and head.last_hash != previous:
        breaks.append(
            ChainBreak(last_id, _("the chain's end is not the recorded head (rows removed)"))
        )
    return breaks


async def count_events(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def verify_database(settings: Settings) -> tuple[int, list[ChainBreak]]:
    """Verify the chain of the database ``settings`` point at: (events, breaks)."""
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    try:
        async with make_sessionmaker(engine)() as session:
            session.info["actor"] = SYSTEM
            async with session.begin():
                return await count_events(session), await verify(session)
    finally:
        await engine.dispose()


async def verify_command(settings: Settings) -> int:
    """``bangfu audit verify``: 0 when the chain holds, 1 (with each break listed) if not."""
    events, breaks = await verify_database(settings)
    if not breaks:
        print(_("audit trail intact: {events} events", events=events))
        return 0
    print(
        _(
            "audit trail BROKEN: {count} break(s) in {events} events",
            count=len(breaks),
            events=events,
        )
    )
    for found in breaks:
        print(_("  event {event_id}: {reason}", event_id=found.event_id, reason=found.reason))
    return 1


# -------------------------------------------------------------------------
# What a write changed
# -------------------------------------------------------------------------

CHANGES_KEY = "bangfu_audit_changes"
# The audit tables themselves are never reported as changes of an operation.
_NOT_REPORTED = frozenset({AuditEvent.__tablename__, AuditHead.__tablename__})
MAX_CHANGE_ENTRIES = 200


def global_id(type_name: str, pk: object) -> str:
    """The Relay global ID (the same as ``bangfu.schema.relay.to_global_id``)."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _mask(column: Any, value: Any) -> Any:
    """A column's value as an audit row shows it (columns marked sensitive: masked)."""
    marked = bool(column.info.get(SENSITIVE_MARK))
    return mask_column(column.name, column.type, value, sensitive=marked)


@dataclasses.dataclass
class _Change:
    target: str
    model: str
    action: str  # "create", "update" or "delete"
    before: dict[str, Any] = dataclasses.field(default_factory=dict)
    after: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target, "model": self.model, "action": self.action}
        if self.action != "create":
            out["before"] = self.before
        if self.action != "delete":
            out["after"] = self.after
        return out


class ChangeSet:
    """The objects one transaction created, changed and deleted, with masked values."""

    def __init__(self) -> None:
        self._changes: dict[str, _Change] = {}
        self.bulk: list[dict[str, Any]] = []

    @property
    def targets(self) -> list[str]:
        return list(self._changes)

    def details(self) -> list[dict[str, Any]]:
        """The changes for an audit row (at most :data:`MAX_CHANGE_ENTRIES` objects)."""
        return [c.as_dict() for c in self._changes.values()][:MAX_CHANGE_ENTRIES] + self.bulk

    @property
    def truncated(self) -> int:
        return max(0, len(self._changes) - MAX_CHANGE_ENTRIES)

    def _entry(self, obj: object, mapper: Mapper[Any], action: str) -> _Change:
        state = inspect(obj)
        keys = [
            state.dict.get(mapper.get_property_by_column(column).key)
            for column in mapper.primary_key
        ]
        model = mapper.class_.__name__
        target = global_id(model, ",".join(str(k) for k in keys))
        found = self._changes.get(target)
        if found is None:
            found = self._changes[target] = _Change(target, model, action)
        elif action == "delete":
            found.action = "delete"
        return found

    def created(self, obj: object) -> None:
        mapper = inspect(obj).mapper
        if mapper.local_table.name in _NOT_REPORTED:
            return
        entry = self._entry(obj, mapper, "create")
        values = inspect(obj).dict
        for prop in mapper.column_attrs:
            if prop.key in values:
                column = prop.columns[0]
                entry.after[prop.key] = _mask(column, values[prop.key])

    def updated(self, obj: object) -> None:
        state = inspect(obj)
        mapper = state.mapper
        if mapper.local_table.name in _NOT_REPORTED:
            return
        changed: dict[str, tuple[Any, Any]] = {}
        for prop in mapper.column_attrs:
            history = state.attrs[prop.key].history
            if not history.has_changes():
                continue
            column = prop.columns[0]
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            changed[prop.key] = (
                _mask(column, before),
                _mask(column, after),
            )
        if not changed:
            return  # only relationships were touched; their rows report themselves
        version = mapper.version_id_col
        if version is not None:
            # The flush has already counted the version up (and keeps no history of it).
            key = mapper.get_property_by_column(version).key
            new = state.dict.get(key)
            if key not in changed and isinstance(new, int):
                changed[key] = (new - 1, new)
        entry = self._entry(obj, mapper, "update")
        for key, (before, after) in changed.items():
            if entry.action == "update":
                entry.before.setdefault(key, before)
            entry.after[key] = after

    def deleted(self, obj: object) -> None:
        state = inspect(obj)
        mapper = state.mapper
        if mapper.local_table.name in _NOT_REPORTED:
            return
        entry = self._entry(obj, mapper, "delete")
        for prop in mapper.column_attrs:
            if prop.key in state.dict:
                column = prop.columns[0]
                entry.before.setdefault(prop.key, _mask(column, state.dict[prop.key]))

    def bulk_statement(self, state: ORMExecuteState) -> None:
        """An ORM-enabled ``update(Model)``/``delete(Model)``: the model and the columns."""
        mapper = state.bind_mapper
        if mapper is None or mapper.local_table.name in _NOT_REPORTED:  # type: ignore[attr-defined]
            return
        values = getattr(state.statement, "_values", None) or {}
        columns = sorted(getattr(k, "key", None) or str(k) for k in values)
        self.bulk.append(
            {
                "model": mapper.class_.__name__,
                "action": "bulk update" if state.is_update else "bulk delete",
                "columns": columns,
            }
        )


def _after_flush(session: Session, _flush_context: Any) -> None:
    changes = session.info.get(CHANGES_KEY)
    if not isinstance(changes, ChangeSet):
        return
    for obj in session.new:
        changes.created(obj)
    for obj in session.dirty:
        changes.updated(obj)
    for obj in session.deleted:
        changes.deleted(obj)


def _before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    for obj in [*session.dirty, *session.deleted]:
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTamperingError("audit events are append-only: they cannot be changed")


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ is AuditEvent:
        raise AuditTamperingError("audit events are append-only: they cannot be changed")
    changes = state.session.info.get(CHANGES_KEY)
    if isinstance(changes, ChangeSet):
        changes.bulk_statement(state)


class AuditTamperingError(RuntimeError):
    """The application tried to change or remove an audit event."""


def install() -> None:
    """Register the change-collecting and append-only listeners (idempotent)."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("before_flush", _before_flush),
        ("do_orm_execute", _on_execute),
    ):
        if not sa_event.contains(Session, name, listener):
            sa_event.listen(Session, name, listener)
