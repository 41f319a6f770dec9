"""Which errors a client may read, and what it gets instead of the others.

*Expected* errors stay as they are: GraphQL syntax and validation errors, permission
refusals ("you are not allowed to ...", "authentication required ..."), domain errors and
argument checks ("first: must be between ..."), which resolvers raise as
:class:`InputError` or a plain ``ValueError``. Every other exception is *unexpected*: the
client gets :data:`MASKED_MESSAGE` with ``extensions.code = INTERNAL_SERVER_ERROR`` and
``extensions.requestId``, and the server log gets the traceback under that request ID.
Database errors (which may name hosts, users, SQL and values) are always unexpected.
One kind of them is answered apart: the database being unavailable (unreachable, out of
disk, read-only: :mod:`bangfu.core.db_health`) is ``SERVICE_UNAVAILABLE`` with
:data:`~bangfu.core.db_health.UNAVAILABLE_MESSAGE`, and the app answers the whole request with
HTTP 503 (``bangfu.app``). Unexpected errors are logged once per distinct failure per
``log_repeat_interval_seconds`` (:mod:`bangfu.core.log_throttle`), not once per request.

In production the "Did you mean ...?" hints of validation errors are removed: they would
reveal the schema that introspection is turned off to hide.
"""

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from bangfu.core import request_scope
from bangfu.core.db_health import UNAVAILABLE_MESSAGE, is_unavailable
from bangfu.core.errors import DomainError
from bangfu.core.i18n import N_, _
from bangfu.core.log_throttle import FailureLog
from bangfu.schema.graphql_messages import translated

log = logging.getLogger("bangfu.errors")

MASKED_MESSAGE = N_("Unexpected error: the request could not be completed.")
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class InputError(ValueError):
    """An argument a resolver refuses; the message is shown to the client as it is."""


def is_expected(error: GraphQLError) -> bool:
    """Errors whose message is meant for the client (see the module docstring)."""
    original = _original(error)
    if original is None or isinstance(original, GraphQLError | DomainError | InputError):
        return True
    # A plain ValueError is how resolvers refuse an argument (subclasses such as
    # UnicodeError or pydantic's ValidationError are not).
    return type(original) is ValueError


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)


def copy_error(
    error: GraphQLError,
    message: str | None = None,
    *,
    extensions: dict[str, Any] | None = None,
    keep_original: bool = True,
) -> GraphQLError:
    """``error`` at the same place (nodes, source, positions, path) with another ``message``
    or ``extensions`` (None: the same ones). ``keep_original=False`` drops the original
    error: a masked error must not carry what it masks."""
    return GraphQLError(
        error.message if message is None else message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error if keep_original else None,
        extensions=error.extensions if extensions is None else extensions,
    )


SUBSCRIPTIONS_ONLY_MESSAGE = N_(
    "only subscriptions run over the WebSocket: send queries and mutations over HTTP (POST)"
)


class GuardedSchema(strawberry.Schema):
    """The Bangfu schema: masks unexpected errors and logs them, once, with a request ID.

    Masking is done on the final result of :meth:`execute`, so it also covers errors raised
    by schema extensions (the limits) and by parsing, not only by resolvers.
    """

    def __init__(self, *args: Any, suggestions: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggestions = suggestions
        #: Checks a subscription's document before it runs (the app sets it: trusted
        #: documents, bangfu/persisted.py): the refusal to send, or None to run it.
        self.stream_check: Callable[[Any, str], Awaitable[GraphQLError | None]] | None = None

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [self.public_error(error) for error in result.errors]
        return result

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """A subscription's results (graphql-transport-ws), masked like :meth:`execute`'s.

        Only subscriptions run here: queries and mutations come over HTTP, through the
        transport's checks, the admission bounds, idempotency and the time limit."""
        kwargs["allowed_operation_types"] = (OperationType.SUBSCRIPTION,)
        query = args[0] if args else kwargs.get("query")
        if self.stream_check is not None and isinstance(query, str):
            refusal = await self.stream_check(kwargs.get("context_value"), query)
            if refusal is not None:
                return _one(PreExecutionError(data=None, errors=[refusal]))
        return self._masked(await super().stream(*args, **kwargs))

    async def _masked(self, results: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async with contextlib.aclosing(results):  # type: ignore[type-var]
            async for result in results:
                if getattr(result, "errors", None):
                    result.errors = [self.public_error(error) for error in result.errors]
                yield result

    def public_error(self, error: GraphQLError) -> GraphQLError:
        if isinstance(_original(error), InvalidOperationTypeError):  # over the socket
            return copy_error(
                error,
                _(SUBSCRIPTIONS_ONLY_MESSAGE),
                extensions={"code": "SUBSCRIPTIONS_ONLY"},
                keep_original=False,
            )
        if not is_expected(error):
            unavailable = is_unavailable(_original(error))
            return copy_error(
                error,
                _(UNAVAILABLE_MESSAGE) if unavailable else _(MASKED_MESSAGE),
                extensions={
                    "code": "SERVICE_UNAVAILABLE" if unavailable else "INTERNAL_SERVER_ERROR",
                    "requestId": _request_id(error),
                },
                keep_original=False,
            )
        if isinstance(_original(error), ValueError) and "code" not in (error.extensions or {}):
            # A resolver's refused argument (a plain ValueError or InputError, a plugin's
            # included) is the client's input at fault: say so with a code, as GraphQL
            # servers do, so a program need not read the message.
            error = copy_error(
                error, extensions={**(error.extensions or {}), "code": "BAD_USER_INPUT"}
            )
        message = error.message
        if not self.suggestions and "Did you mean" in message:
            message = without_suggestions(message)
        # graphql-core's own messages are English: in the reader's language where their
        # shape is known (Bangfu's own are written in it already).
        message = translated(message)
        return error if message == error.message else copy_error(error, message)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors are the client's business (and their messages may echo input,
        # such as an ID number): only unexpected ones are logged, with their traceback,
        # once per distinct failure per interval.
        context = execution_context.context if execution_context is not None else None
        services = getattr(context, "services", None)
        failures = getattr(services, "failures", None) or FailureLog(interval=0)
        for error in errors:
            if not is_expected(error):
                original = _original(error)
                failures.error(
                    log,
                    "unexpected error in request %s at %s: %s",
                    _request_id(error),
                    ".".join(str(key) for key in error.path or []) or "-",
                    type(original).__name__,
                    error=original,
                )


async def _one(result: Any) -> AsyncIterator[Any]:
    yield result


def _original(error: GraphQLError) -> BaseException | None:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    return original


def _request_id(error: GraphQLError) -> str:
    """The request's ID; outside a request, one made up for this error (and remembered)."""
    current = request_scope.request_id()
    if current is not None:
        return current
    remembered = getattr(error, "_bangfu_request_id", None)
    if remembered is None:
        remembered = request_scope.new_request_id()
        error._bangfu_request_id = remembered  # type: ignore[attr-defined]
    return remembered
