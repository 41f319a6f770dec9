"""Auditing at the GraphQL layer: every mutation, every denial, and an API for the rest.

**Mutations** are audited without each one having to remember:

- :func:`audit_mutations` (called by ``build_schema``) puts :class:`AuditedMutation` on
  every ``Mutation`` field, core's and plugins' alike. It runs after the permission check
  and sets the *audit scope* of the field: the operation (``mutation:<fieldName>``) and
  its masked arguments.
- :meth:`Context.write` is :func:`audited_write`: just before the transaction commits it
  appends one ``ok`` row, in the same transaction (the effect and its row are atomic),
  with the targets (global IDs of every object created, changed or deleted, collected by
  the session listener of :mod:`bangfu.core.security.audit`) and details ``{"input": <masked
  arguments>, "changes": [<before/after of changed columns, masked>]}``. When the
  transaction rolls back (a ``DomainError`` or anything else) it writes a ``failed`` row
  with the error codes in a transaction of its own, and re-raises.
- A mutation that never opens ``context.write()`` still gets one row, written by the field
  extension when it returns: ``failed`` with the codes when its payload has ``errors``
  or it raised, ``ok`` otherwise.

``login`` audits itself (``bangfu.core.security.auth``), as does any mutation declared with
``metadata={"audit": "self"}``: those get no row from here.

**Denials**: the permission classes of :mod:`bangfu.schema.permissions` call
:func:`audit_denial`, which writes one committed ``denied`` row per operation and action
per request.

**For others**: :func:`audit_event` writes one committed row with the request's actor and
request ID (reveals, exports).
"""

import asyncio
import dataclasses
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types import Info
from strawberry.types.base import get_object_definition
from strawberry.utils.await_maybe import await_maybe

from bangfu.core import request_scope
from bangfu.core.db import transaction
from bangfu.core.errors import DomainError
from bangfu.core.log_throttle import FailureLog
from bangfu.core.security import audit
from bangfu.core.security.audit import CHANGES_KEY, RECORDED_KEY, ChangeSet, Outcome
from bangfu.core.security.masking import is_dropped, mask_tree, snake
from bangfu.core.security.models import AuditEvent

if TYPE_CHECKING:
    from bangfu.schema.context import Context

log = logging.getLogger("bangfu.audit")

SELF_AUDITED = frozenset({"login"})
_HEADER_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclasses.dataclass
class AuditScope:
    """The mutation being resolved: what its audit rows say, and how many were written."""

    operation: str
    input: dict[str, Any]
    input_targets: list[str]
    rows: int = 0


_scope: ContextVar[AuditScope | None] = ContextVar("bangfu_audit_scope", default=None)


def current_scope() -> AuditScope | None:
    return _scope.get()


def request_id_of(context: Any) -> str:
    """The request's ID: the HTTP layer's if it set one, else one made for this context."""
    found = request_scope.request_id() or getattr(context, "request_id", None)
    if isinstance(found, str) and found:
        return found
    request = getattr(context, "request", None)
    state = getattr(request, "state", None)
    found = getattr(state, "request_id", None) if state is not None else None
    if isinstance(found, str) and found:
        return found
    headers = getattr(request, "headers", None)
    header = headers.get("x-request-id") if headers is not None else None
    if isinstance(header, str) and _HEADER_ID.fullmatch(header):
        return header
    own = getattr(context, "_audit_request_id", None)
    if not isinstance(own, str):
        own = uuid.uuid4().hex
        context._audit_request_id = own
    return own


def input_targets(arguments: Any, key: str = "") -> list[str]:
    """Global IDs found in the arguments (``id``, ``...Id``, ``ids``, ``...Ids``)."""
    found: list[str] = []
    if dataclasses.is_dataclass(arguments) and not isinstance(arguments, type):
        arguments = {f.name: getattr(arguments, f.name) for f in dataclasses.fields(arguments)}
    if isinstance(arguments, dict):
        for name, value in arguments.items():
            found += input_targets(value, str(name))
    elif isinstance(arguments, list | tuple):
        for value in arguments:
            found += input_targets(value, key)
    elif isinstance(arguments, str):
        name = snake(key)
        if name in ("id", "ids") or name.endswith(("_id", "_ids")):
            found.append(arguments)
    return found


def error_codes(exc: BaseException) -> list[dict[str, Any]]:
    """The codes (and input fields) of a failure, never its message."""
    if isinstance(exc, DomainError):
        return [{"field": e.field, "code": str(e.code)} for e in exc.errors]
    code = None
    if isinstance(exc, GraphQLError) and exc.extensions:
        code = exc.extensions.get("code")
    return [{"field": None, "code": str(code or "ERROR"), "exception": type(exc).__name__}]


async def audit_event(
    context: Any,
    operation: str,
    outcome: str,
    targets: Iterable[str] = (),
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row, committed in a transaction of its own, as the request's actor.

    For reveals, exports and anything else that is not a database write through
    ``context.write()`` (mutations are audited automatically). Call it *before* handing
    out what was revealed or exported: it raises if the row cannot be written, and then
    nothing should be handed out.

    Not inside an open ``context.write()`` block: appends are serialised (the head row on
    PostgreSQL, the database lock on SQLite), so a second transaction of the same request
    would wait for the first. Inside a write transaction call
    ``bangfu.core.security.audit.record(session, context.actor, ..., request_id=
    request_id_of(context))`` instead; the row then commits or rolls back with the write,
    and ``context.write()`` adds no row of its own when the transaction changed nothing.

    :param context: the request's :class:`bangfu.schema.context.Context` (its actor and request
        ID are recorded).
    :param operation: ``"<query|mutation>:<fieldName>"``, e.g. ``"mutation:personReveal"``,
        or ``"export:<name>"``.
    :param outcome: ``audit.Outcome.OK``, ``FAILED`` or ``DENIED`` (``"ok"``, ...).
    :param targets: global IDs of the objects concerned (``Person:42`` as a global ID).
    :param details: anything else worth keeping, e.g. ``{"field": "idNumber",
        "reason": "..."}``. It is masked by key name before it is stored (ID numbers,
        phone numbers, passwords, diagnoses ...), but pass masked values anyway.
    :returns: the stored :class:`AuditEvent`.

    Example::

        await audit_event(info.context, "mutation:personReveal", Outcome.OK,
                          [input.id], {"field": "idNumber", "reason": input.reason})
    """
    async with transaction(context.services.sessions, {"actor": context.actor}) as session:
        return await audit.record(
            session,
            context.actor,
            operation,
            outcome,
            targets=targets,
            details=mask_tree(details or {}),
            request_id=request_id_of(context),
        )


@asynccontextmanager
async def audited_write(context: "Context") -> AsyncIterator[AsyncSession]:
    """A transaction as the context's actor that leaves exactly one audit row.

    ``ok`` (appended in the same transaction, just before it commits) or ``failed``
    (after the rollback, in a transaction of its own; the exception is re-raised).
    """
    scope = _scope.get()
    operation = scope.operation if scope is not None else "write"
    changes = ChangeSet()
    try:
        async with transaction(
            context.services.sessions, {"actor": context.actor, CHANGES_KEY: changes}
        ) as session:
            yield session
            await session.flush()
            # A resolver that recorded its own row (a reveal) and changed nothing: that
            # row stands for the operation.
            if not session.info.get(RECORDED_KEY) or changes.targets or changes.bulk:
                details: dict[str, Any] = {
                    "input": scope.input if scope is not None else {},
                    "changes": changes.details(),
                }
                if changes.truncated:
                    details["changesNotShown"] = changes.truncated
                await audit.record(
                    session,
                    context.actor,
                    operation,
                    Outcome.OK,
                    targets=changes.targets,
                    details=details,
                    request_id=request_id_of(context),
                )
    except Exception as exc:
        if scope is not None:
            scope.rows += 1
        await _record_failure(context, operation, scope, exc)
        raise
    if scope is not None:
        scope.rows += 1


async def _record_failure(
    context: Any, operation: str, scope: AuditScope | None, exc: BaseException
) -> None:
    try:
        await audit_event(
            context,
            operation,
            Outcome.FAILED,
            targets=scope.input_targets if scope is not None else (),
            details={
                "input": scope.input if scope is not None else {},
                "errors": error_codes(exc),
            },
        )
    except Exception as error:  # the write was rolled back: nothing needs the row
        _failures(context).error(
            log, "could not write the audit row of a failed %s", operation, error=error
        )


class AuditedMutation(FieldExtension):
    """Sets the audit scope of a mutation field and makes sure it leaves one row."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        scope = AuditScope(
            operation=f"mutation:{info.field_name}",
            input=mask_tree({k: v for k, v in kwargs.items() if not is_dropped(k)}),
            input_targets=input_targets(kwargs),
        )
        token = _scope.set(scope)
        try:
            result = await await_maybe(next_(source, info, **kwargs))
        except Exception as exc:
            if scope.rows == 0:
                await _record_failure(info.context, scope.operation, scope, exc)
            raise
        finally:
            _scope.reset(token)
        if scope.rows == 0:
            errors = getattr(result, "errors", None) or []
            details: dict[str, Any] = {"input": scope.input}
            if errors:
                details["errors"] = [
                    {"field": getattr(e, "field", None), "code": str(getattr(e, "code", "ERROR"))}
                    for e in errors
                ]
            await audit_event(
                info.context,
                scope.operation,
                Outcome.FAILED if errors else Outcome.OK,
                targets=scope.input_targets,
                details=details,
            )
        return result


def audit_mutations(mutation: type) -> type:
    """Put :class:`AuditedMutation` on every field of the ``Mutation`` root (idempotent).

    It goes first in each field's extensions, so it runs inside (after) the permission
    check: a denied mutation leaves its ``denied`` row only.
    """
    definition = get_object_definition(mutation, strict=True)
    for field in definition.fields:
        if field.python_name in SELF_AUDITED or field.metadata.get("audit") == "self":
            continue
        if not any(isinstance(e, AuditedMutation) for e in field.extensions):
            field.extensions.insert(0, AuditedMutation())
    return mutation


async def audit_denial(info: Info, action: str, code: str, arguments: dict[str, Any]) -> None:
    """Record a failed permission check: one ``denied`` row per operation and action per
    request, committed before this returns.

    The write runs as a task of its own, shielded: a sibling field's error cancels the
    fields still resolving, and must not cancel the row. Checks of the same operation
    and action in one request wait for the same row. A failure to write it is logged;
    the denial stands either way.
    """
    context = info.context
    operation_type = info.operation.operation.value if info.operation else "query"
    parent = getattr(info.path, "typename", None)
    field = info.field_name
    if parent not in (None, "Query", "Mutation", "Subscription"):
        field = f"{parent}.{field}"
    operation = f"{operation_type}:{field}"
    pending: dict[tuple[str, str], asyncio.Future[None]] | None = getattr(
        context, "_audit_denials", None
    )
    if pending is None:
        pending = {}
        context._audit_denials = pending
    task = pending.get((operation, action))
    if task is None:
        task = pending[(operation, action)] = asyncio.ensure_future(
            _write_denial(context, operation, action, code, input_targets(arguments))
        )
    await asyncio.shield(task)


async def _write_denial(
    context: Any, operation: str, action: str, code: str, targets: list[str]
) -> None:
    try:
        await audit_event(
            context,
            operation,
            Outcome.DENIED,
            targets=targets,
            details={"action": action, "code": code},
        )
    except Exception as error:
        _failures(context).error(
            log, "could not write the audit row of a denied %s", operation, error=error
        )


def _failures(context: Any) -> FailureLog:
    """The app's failure log (one per app), or a fresh one outside a request."""
    services = getattr(context, "services", None)
    return getattr(services, "failures", None) or FailureLog()


__all__ = [
    "AuditScope",
    "AuditedMutation",
    "Outcome",
    "audit_denial",
    "audit_event",
    "audit_mutations",
    "audited_write",
    "current_scope",
    "request_id_of",
]
