"""``auditLog``: the audit trail, newest first, for administrators and supervisors.

Scoped like every read: a reader below the city sees the rows about its area (the area
each row records, :mod:`bangfu.core.security.audit_area`) and its own actions; the city level
sees every row.
"""

import datetime as dt
import enum
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import ColumnElement, Select, String, and_, false, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import QueryableAttribute
from strawberry.scalars import JSON
from strawberry.types import Info

from bangfu.core.db import path_within
from bangfu.core.security.actor import Actor
from bangfu.core.security.audit_area import is_city_level
from bangfu.core.security.models import AuditEvent
from bangfu.schema.connections import CURSOR, After, Before, First, Last, Page, paginate
from bangfu.schema.descriptions import FILTER, graphql_enum
from bangfu.schema.input_limits import SEARCH
from bangfu.schema.permissions import requires
from bangfu.schema.scan_cost import INDEXED, scan_cost

#: A filter of the audit trail without an index reads it newest first until a page
#: matches: up to the whole trail, which grows by every request (a million rows, about
#: a second). Its size is not the area's: a fixed, pessimistic price.
AUDIT_TRAIL_SCAN = scan_cost(fixed=20_000)


class AuditOutcome(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    DENIED = "denied"


graphql_enum(
    AuditOutcome,
    name="AuditOutcome",
    description="How an audited operation ended.",
    values={
        "OK": "It succeeded.",
        "FAILED": "It was refused for its input (the error codes are in `details`) or "
        "failed; nothing was changed.",
        "DENIED": "It was refused for want of a permission or a valid login.",
    },
)


@strawberry.type(
    name="AuditEvent",
    description="One row of the append-only, hash-chained audit trail. Sensitive values "
    "in `details` are masked.",
)
class AuditEventType:
    sequence: int = strawberry.field(description="Position in the chain (1, 2, ...).")
    at: dt.datetime = strawberry.field(description="When it happened (UTC).")
    actor_kind: str = strawberry.field(description="USER, CLIENT, SYSTEM or ANONYMOUS.")
    actor_name: str = strawberry.field(
        description="Who: the user name, the API client's name, the command for SYSTEM; the "
        "name tried, for a refused login."
    )
    roles: list[str] = strawberry.field(description="The actor's roles at the time.")
    operation: str = strawberry.field(
        description="`mutation:<field>`, `query:<field>`, `login`, `export:<name>` ..."
    )
    targets: list[strawberry.ID] = strawberry.field(
        description="Global IDs of the objects concerned."
    )
    outcome: AuditOutcome = strawberry.field(description="How it ended.")
    request_id: str | None = strawberry.field(
        description="The request's ID (the `X-Request-Id` response header, the "
        "`extensions.requestId` of errors, the logs); null for a command."
    )
    details: JSON = strawberry.field(
        description="Masked input, before/after of changed columns, error codes, action."
    )
    hash: str = strawberry.field(description="SHA-256 over the row and the previous hash.")

    @classmethod
    def of(cls, row: AuditEvent) -> "AuditEventType":
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
        return cls(
            sequence=row.id,
            at=at,
            actor_kind=row.actor_kind,
            actor_name=row.actor_name,
            roles=[r for r in row.roles.split(",") if r],
            operation=row.operation,
            targets=[strawberry.ID(t) for t in row.targets or []],
            outcome=AuditOutcome(row.outcome),
            request_id=row.request_id,
            details=cast_json(row.details or {}),
            hash=row.hash,
        )


def cast_json(value: dict[str, Any]) -> JSON:
    return cast(JSON, value)


@strawberry.type(name="AuditEventEdge", description="An audit event and its cursor.")
class AuditEventEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: AuditEventType = strawberry.field(description="The audit event.")


@strawberry.type(
    name="AuditEventConnection", description="A page of audit events, with the total count."
)
class AuditEventConnection(Page):
    edges: list[AuditEventEdge] = strawberry.field(
        description="The audit events of this page with their cursors, in order."
    )
    nodes: list[AuditEventType] = strawberry.field(
        description="The audit events of this page, in order: `edges` without the cursors."
    )


@strawberry.input(description="Filters for `auditLog`; all given filters must hold.")
class AuditLogFilter:
    actor_name: str | None = strawberry.field(
        default=None, description="Exact user name.", metadata=INDEXED
    )
    operation: str | None = strawberry.field(
        default=None,
        description="Exact operation, or a prefix ending with `*` (`mutation:*`); at most "
        "100 characters by default.",
        metadata={**INDEXED, **SEARCH},
    )
    # No index: the trail is read newest first until a page matches, up to all of it.
    outcome: AuditOutcome | None = strawberry.field(
        default=None, description="Only events that ended this way.", metadata=AUDIT_TRAIL_SCAN
    )
    from_: dt.datetime | None = strawberry.field(
        default=None, name="from", description="At or after this instant.", metadata=INDEXED
    )
    to: dt.datetime | None = strawberry.field(
        default=None, description="Before this instant.", metadata=INDEXED
    )
    target: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only events concerning this object (a global ID).",
        metadata=AUDIT_TRAIL_SCAN,
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    # Naive instants are taken as UTC; SQLite compares stored UTC values as text.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC)


def visible_to(reader: Actor) -> ColumnElement[bool] | None:
    """The rows ``reader`` may read: those about its area, and its own; None (every row)
    for the city level and the system."""
    if reader.sees_everything or is_city_level(reader.area_path):
        return None
    own: ColumnElement[bool] = (
        false()
        if reader.id is None
        else and_(AuditEvent.actor_kind == reader.kind.value, AuditEvent.actor_id == reader.id)
    )
    if reader.area_path is None:
        return own
    area = cast(QueryableAttribute[str], AuditEvent.area_path)  # NULL rows never match
    return or_(path_within(area, reader.area_path), own)


def audit_statement(
    filter: AuditLogFilter | None, *, postgresql: bool, reader: Actor
) -> Select[Any]:
    statement = select(AuditEvent)
    visible = visible_to(reader)
    if visible is not None:
        statement = statement.where(visible)
    if filter is None:
        return statement
    if filter.actor_name is not None:
        statement = statement.where(AuditEvent.actor_name == filter.actor_name)
    if filter.operation is not None:
        if filter.operation.endswith("*"):
            statement = statement.where(
                AuditEvent.operation.startswith(filter.operation[:-1], autoescape=True)
            )
        else:
            statement = statement.where(AuditEvent.operation == filter.operation)
    if filter.outcome is not None:
        statement = statement.where(AuditEvent.outcome == AuditOutcome(filter.outcome).value)
    for bound, newer in ((filter.from_, True), (filter.to, False)):
        if bound is not None:
            moment = _utc(bound)
            if not postgresql:
                moment = moment.replace(tzinfo=None)
            statement = statement.where(
                AuditEvent.at >= moment if newer else AuditEvent.at < moment
            )
    if filter.target is not None:
        statement = statement.where(
            sql_cast(AuditEvent.targets, String).contains(f'"{filter.target}"', autoescape=True)
        )
    return statement


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="The audit trail, newest first, a page at a time (`first` 1 to 100). "
        "City administrators and supervisors only. Below the city level: the rows about "
        "your area, and your own actions.",
        extensions=requires("audit:read"),
    )
    async def audit_log(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[AuditLogFilter | None, FILTER] = None,
    ) -> AuditEventConnection:
        statement = audit_statement(
            filter, postgresql=not info.context.settings.is_sqlite, reader=info.context.actor
        )
        return await paginate(
            info.context,
            AuditEventConnection,
            AuditEventEdge,
            statement,
            AuditEvent,
            first=first,
            after=after,
            last=last,
            before=before,
            newest_first=True,
            present=AuditEventType.of,
        )
