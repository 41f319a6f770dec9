"""GraphQL over HTTP, hardened: what reaches the GraphQL view, and how long it may run.

:class:`TransportGuard` is an ASGI middleware around the whole app (SECURITY.md,
"Transport"). Every HTTP request gets a request ID (the ``X-Request-Id`` response header,
:mod:`bangfu.core.request_scope` for logs, masked errors and audit rows). Requests to the GraphQL
path are checked before any GraphQL parsing or execution:

- ``POST`` bodies must be JSON (``application/json`` or
  ``application/graphql-response+json``, UTF-8): anything else, notably the
  ``text/plain``, form and multipart bodies a cross-site form can send, is 415;
- a body over ``max_body_bytes`` is 413, by its ``Content-Length`` or by the bytes
  actually streamed;
- malformed JSON, invalid UTF-8, nesting beyond ``max_json_depth``, a batch (a JSON
  array) or a body that is not a GraphQL request object is 400;
- ``GET`` runs queries only, and only where GraphiQL is on (the development profile):
  a mutation over ``GET`` is 405, any ``GET`` in production is 405; ``HEAD`` and every
  other method are 405, with ``Allow``;
- WebSocket upgrades are refused (there are no subscriptions).

Every answer of the GraphQL path is a GraphQL response (GraphQL over HTTP): JSON with
``errors`` and an ``extensions.code``, never plain text, in the media type the ``Accept``
header prefers (:func:`negotiate`): ``application/graphql-response+json`` or
``application/json`` (the default). A *request error* (nothing executed: the document did
not parse, validate or name one operation, a variable or a limit refused it) has no
``data``; it is HTTP 400 in ``application/graphql-response+json`` (403 for a refusal) and
200 in ``application/json``, as the specification asks (:func:`graphql_answer`).

Every response of the app carries :data:`SECURITY_HEADERS` (unless it set its own) and,
except GraphiQL's static assets, ``Cache-Control: no-store``: answers are personal data.

Whatever fails past these checks is answered masked, with the request ID: 503
``SERVICE_UNAVAILABLE`` with ``Retry-After`` (:func:`unavailable_response`) when the
database cannot be reached or cannot write (:mod:`bangfu.core.db_health`), else 500; the log
gets the traceback once per failure and interval (:mod:`bangfu.core.log_throttle`).

:func:`run_with_time_limit` cancels a GraphQL execution that runs past
``request_timeout_seconds``; the database statement it waits for is cancelled with it.
"""

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bangfu.core import i18n, request_scope
from bangfu.core.config import Settings
from bangfu.core.db_health import (
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_MESSAGE,
    DatabaseUnavailable,
    is_unavailable,
)
from bangfu.core.i18n import _
from bangfu.core.log_throttle import FailureLog

log = logging.getLogger("bangfu.http")

REQUEST_ID_HEADER = "X-Request-Id"
JSON_MEDIA_TYPES = frozenset({"application/json", "application/graphql-response+json"})


class RequestRefused(Exception):
    """The request is refused before GraphQL sees it: an HTTP status and a reason
    (``extensions``: more members of the error's ``extensions`` besides its code)."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.extensions = extensions or {}


def error_response(
    status: int,
    message: str,
    code: str,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response:
    """A GraphQL response of one request error (no ``data``) with an HTTP status, for
    answers GraphQL never saw. On the GraphQL path :class:`TransportGuard` gives it the
    media type the request negotiated (:func:`negotiate`)."""
    members: dict[str, Any] = {"code": code, **(extensions or {})}
    if (request_id := request_scope.request_id()) is not None:
        members["requestId"] = request_id
    return JSONResponse(
        {"errors": [{"message": message, "extensions": members}]},
        status_code=status,
        headers=headers,
    )


def unavailable_response() -> Response:
    """503 ``SERVICE_UNAVAILABLE``: the database cannot be reached or cannot write. The
    same answer wherever it is found (before or during execution, with or without an
    ``Idempotency-Key``, for ``login``); retry after ``Retry-After`` seconds."""
    return error_response(
        503,
        _(UNAVAILABLE_MESSAGE),
        "SERVICE_UNAVAILABLE",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class TransportGuard:
    """ASGI middleware: request IDs for every request, HTTP hygiene for ``path``."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        path: str = "/graphql",
        failures: FailureLog | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.path = path
        self.failures = failures or FailureLog(settings.log_repeat_interval_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "websocket"
            and scope["path"].rstrip("/") == self.path
            and not self.settings.subscriptions_enabled
        ):
            # Closing before accepting answers the handshake with 403, whatever the Origin.
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_scope.new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = False
        # The language of every message of this request (bangfu.core.i18n).
        language = i18n.negotiate(_header(scope, b"accept-language"), self.settings.language)
        graphql = scope["path"].rstrip("/") == self.path
        media_type = negotiate(_header(scope, b"accept")) if graphql else JSON
        cacheable = scope["path"].startswith(CACHEABLE_PREFIXES)

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers["Content-Language"] = "zh-Hans" if language == "zh" else language
                headers.add_vary_header("Accept-Language")
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not cacheable:
                    headers.setdefault("Cache-Control", "no-store")
                if graphql:
                    headers.add_vary_header("Accept")
                    if _media_type(headers.get("content-type", ""))[0] in JSON_MEDIA_TYPES:
                        headers["Content-Type"] = f"{media_type}; charset=utf-8"
            await send(message)

        client = scope.get("client")
        media_token = _answer_media_type.set(media_type)
        try:
            with (
                request_scope.serving(request_id, client[0] if client else None),
                i18n.speaking(language),
            ):
                await self._serve(scope, receive, send_with_id, request_id, lambda: started)
        finally:
            _answer_media_type.reset(media_token)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_id: str,
        started: Callable[[], bool],
    ) -> None:
        try:
            if scope["path"].rstrip("/") == self.path:
                receive = await self._check(scope, receive)
            await self.app(scope, receive, send)
        except RequestRefused as refused:
            response = error_response(
                refused.status, refused.message, refused.code, refused.headers, refused.extensions
            )
            await response(scope, receive, send)
        except Exception as exc:
            if started():
                raise
            # Whatever failed (the database is down, a bug): the client gets a masked
            # answer with the request ID, the log gets the details (once per interval).
            if not isinstance(exc, DatabaseUnavailable):  # logged where it was found
                self.failures.error(log, "request %s failed", request_id, error=exc)
            if is_unavailable(exc):
                response = unavailable_response()
            else:
                response = error_response(
                    500,
                    _("Unexpected error: the request could not be completed."),
                    "INTERNAL_SERVER_ERROR",
                )
            await response(scope, receive, send)

    async def _check(self, scope: Scope, receive: Receive) -> Receive:
        """Refuse a bad request; return the ``receive`` to pass on (the body replayed)."""
        method = scope["method"]
        if method == "POST":
            return await self._check_post(scope, receive)
        if method == "GET":
            self._check_get(scope)
            return receive
        raise RequestRefused(
            405,
            _("GraphQL requests are POST (or GET for queries)"),
            "METHOD_NOT_ALLOWED",
            _allow(self.settings),
        )

    def _check_get(self, scope: Scope) -> None:
        settings = self.settings
        if not settings.graphiql_enabled:
            raise RequestRefused(
                405,
                _("GraphQL requests are POST with a JSON body here"),
                "METHOD_NOT_ALLOWED",
                _allow(settings),
            )
        raw = scope.get("query_string", b"")
        if len(raw) > settings.max_body_bytes:
            raise RequestRefused(414, _("the query string is too long"), "URI_TOO_LONG")
        try:
            params = parse_qs(raw.decode("utf-8", errors="strict"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise RequestRefused(
                400, _("the query string is not valid UTF-8"), "BAD_REQUEST"
            ) from None
        for name in ("variables", "extensions"):
            for value in params.get(name, []):
                if value:
                    load_json(value, settings.max_json_depth, what=name)
        for query in params.get("query", [])[:1]:
            operation = operation_type(
                query, (params.get("operationName") or [None])[0], settings.max_tokens
            )
            if operation is not None and operation is not OperationType.QUERY:
                raise RequestRefused(
                    405,
                    _("mutations are not allowed over GET: use POST")
                    if operation is OperationType.MUTATION
                    else _("subscriptions are not allowed over GET: use POST"),
                    "METHOD_NOT_ALLOWED",
                    {"Allow": "POST"},
                )

    async def _check_post(self, scope: Scope, receive: Receive) -> Receive:
        settings = self.settings
        headers = _headers(scope)
        media_type, params = _media_type(headers.get("content-type", ""))
        if media_type not in JSON_MEDIA_TYPES:
            raise RequestRefused(
                415,
                _("the request body must be JSON (Content-Type: application/json)"),
                "UNSUPPORTED_MEDIA_TYPE",
            )
        charset = params.get("charset")
        if charset is not None and charset.lower() not in ("utf-8", "utf8"):
            raise RequestRefused(415, _("the request body must be UTF-8"), "UNSUPPORTED_MEDIA_TYPE")
        if headers.get("content-encoding", "identity").lower() not in ("identity", ""):
            raise RequestRefused(
                415, _("compressed request bodies are not accepted"), "UNSUPPORTED_MEDIA_TYPE"
            )
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise RequestRefused(400, _("invalid Content-Length"), "BAD_REQUEST")
            if int(length) > settings.max_body_bytes:
                raise _too_large(settings)
        body = await _read_body(receive, settings.max_body_bytes)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestRefused(
                400, _("the request body is not valid UTF-8"), "BAD_REQUEST"
            ) from None
        payload = load_json(text, settings.max_json_depth, what=BODY)
        check_request_object(payload)
        # The view below recognises only the plain, lower-case media type.
        scope["headers"] = [
            (name, b"application/json" if name.lower() == b"content-type" else value)
            for name, value in scope["headers"]
        ]
        return replay_body(body, receive)


#: ``what`` of :func:`load_json` for the request's body (else a parameter's name).
BODY = "the request body"


def load_json(text: str, max_depth: int, *, what: str) -> Any:
    """``json.loads`` that answers 400 for malformed or too deeply nested JSON."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise _too_deep(what, max_depth) from None
    except ValueError:
        message = (
            _("the request body is not valid JSON")
            if what == BODY
            else _("{name} is not valid JSON", name=what)
        )
        raise RequestRefused(400, message, "BAD_REQUEST") from None
    # Cheap first: a document with few brackets cannot be deep.
    if text.count("[") + text.count("{") > max_depth and json_depth(value, max_depth) > max_depth:
        raise _too_deep(what, max_depth)
    return value


def json_depth(value: Any, limit: int) -> int:
    """The nesting depth of a decoded JSON value, counted up to ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def check_request_object(payload: Any) -> None:
    """A GraphQL-over-HTTP request: one object with a string query (no batches)."""
    if isinstance(payload, list):
        raise RequestRefused(
            400, _("batched requests (a JSON array) are not supported: send one"), "BAD_REQUEST"
        )
    if not isinstance(payload, dict):
        raise RequestRefused(400, _("the request body must be a JSON object"), "BAD_REQUEST")
    query = payload.get("query")
    # Persisted documents (bangfu/persisted.py): a hash may stand for the query.
    if not isinstance(query, str) and not (query is None and _names_document(payload)):
        raise RequestRefused(400, _("the request needs a `query` string"), "BAD_REQUEST")
    for name in ("variables", "extensions"):
        if not isinstance(payload.get(name), dict | None):
            raise RequestRefused(
                400, _("`{name}` must be an object or null", name=name), "BAD_REQUEST"
            )
    if not isinstance(payload.get("operationName"), str | None):
        raise RequestRefused(400, _("`operationName` must be a string or null"), "BAD_REQUEST")


def _names_document(payload: dict[str, Any]) -> bool:
    """Whether a request names a persisted document (``documentId``, or a
    ``persistedQuery`` extension) instead of sending its ``query``."""
    extensions = payload.get("extensions")
    return "documentId" in payload or (
        isinstance(extensions, dict) and "persistedQuery" in extensions
    )


def operation_type(query: str, operation_name: str | None, max_tokens: int) -> OperationType | None:
    """The type of the operation a request would run, or None when it cannot tell."""
    try:
        document = parse(query, max_tokens=max_tokens, no_location=True)
    except (GraphQLError, RecursionError):
        return None
    operation = get_operation_ast(document, operation_name)
    return None if operation is None else operation.operation


async def run_with_time_limit(
    settings: Settings, execute: Callable[[], Awaitable[Response]]
) -> Response:
    """Run ``execute`` for at most ``request_timeout_seconds``; past that, cancel it.

    Cancelling the task cancels the database statement it waits for (asyncpg sends the
    server a cancel request; SQLite statements are interrupted by :mod:`bangfu.core.db`), and
    the sessions involved roll back and return their connections to the pool.
    """
    seconds = settings.request_timeout_seconds
    with request_scope.time_limit(seconds):
        try:
            async with asyncio.timeout(seconds) as limit:
                return await execute()
        except TimeoutError:
            if not limit.expired():
                raise
    log.warning(
        "request %s cancelled after the %g s time limit", request_scope.request_id(), seconds
    )
    return error_response(
        504,
        _(
            "the request took longer than {seconds} seconds and was cancelled; nothing it "
            "was doing was kept",
            seconds=format(seconds, "g"),
        ),
        "TIMEOUT",
    )


GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

#: Sent with every response unless it sets its own (GraphiQL's page has a policy of its
#: own, which forbids framing too): no MIME sniffing, no ``Referer`` to other sites, never
#: in a frame, and nothing a browser would load or run from an API answer.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
#: Paths whose answers hold no personal data and may be cached: GraphiQL's static assets.
#: Everything else is ``Cache-Control: no-store`` unless it says otherwise.
CACHEABLE_PREFIXES = ("/graphiql/",)

_answer_media_type: ContextVar[str] = ContextVar("bangfu_answer_media_type", default=JSON)


def answer_media_type() -> str:
    """The media type of the GraphQL answer of the request being served (:func:`negotiate`)."""
    return _answer_media_type.get()


def negotiate(accept: str | None) -> str:
    """The media type of a GraphQL answer for the ``Accept`` header ``accept``.

    ``application/graphql-response+json`` when the client accepts it more than
    ``application/json``: by a higher ``q``, else by naming it where the other is only
    matched by a wildcard, else by naming it first. ``application/json`` otherwise: without
    an ``Accept`` header, for ``*/*`` and ``application/*``, and when the header accepts
    neither (the specification lets a server answer its default then, instead of 406).
    """
    if not accept:
        return JSON
    ranks = {
        JSON: _acceptance(accept, JSON),
        GRAPHQL_RESPONSE: _acceptance(accept, GRAPHQL_RESPONSE),
    }
    if ranks[GRAPHQL_RESPONSE] > ranks[JSON] and ranks[GRAPHQL_RESPONSE][0] > 0:
        return GRAPHQL_RESPONSE
    return JSON


def _acceptance(accept: str, media_type: str) -> tuple[float, int, int]:
    """How much ``accept`` accepts ``media_type``: its quality, how specific the range that
    gave it is (2 named, 1 ``type/*``, 0 ``*/*``, -1 none), and minus the range's position.
    The most specific range decides (RFC 9110, 12.5.1)."""
    kind = media_type.split("/")[0]
    best: tuple[float, int, int] = (0.0, -1, 0)
    for position, part in enumerate(accept.split(",")):
        name, params = _media_type(part)
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(name)
        if specificity is None or specificity <= best[1]:
            continue
        best = (_quality(params.get("q")), specificity, -position)
    return best


def _quality(text: str | None) -> float:
    """An ``Accept`` range's ``q`` between 0 and 1; 1 when absent or not a number."""
    if text is None:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        return 1.0
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else 1.0


def graphql_answer(response: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The body and HTTP status of a GraphQL result (``data``, ``errors``), by GraphQL over
    HTTP.

    A *request error* — ``data`` null and no error with a ``path``: nothing executed — has
    no ``data`` at all. In ``application/graphql-response+json`` it is HTTP 400, 403 when
    the request is refused (``FORBIDDEN``: an API client's mutation), 500 when the server
    failed before executing; in ``application/json`` 200, as the specification asks of a
    well-formed request. Anything that executed is 200 with its ``data``.
    """
    errors = response.get("errors")
    if response.get("data") is not None or not errors or any("path" in e for e in errors):
        return response, 200
    answer = {name: value for name, value in response.items() if name != "data"}
    if answer_media_type() != GRAPHQL_RESPONSE:
        return answer, 200
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    if "INTERNAL_SERVER_ERROR" in codes:
        return answer, 500
    return answer, 403 if "FORBIDDEN" in codes else 400


#: The realm of ``WWW-Authenticate`` (RFC 6750).
REALM = "bangfu"


def www_authenticate(reason: str) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 401 with ``extensions.reason`` ``reason``
    (RFC 6750, 3): no error code when the request had no token at all, ``invalid_request``
    for an ``Authorization`` header that is not ``Bearer <token>``, else ``invalid_token``."""
    challenge = f'Bearer realm="{REALM}"'
    if reason == "MALFORMED":
        challenge += ', error="invalid_request"'
    elif reason != "MISSING":
        challenge += ', error="invalid_token"'
    return {"WWW-Authenticate": challenge}


def _allow(settings: Settings) -> dict[str, str]:
    return {"Allow": "GET, POST" if settings.graphiql_enabled else "POST"}


def _too_large(settings: Settings) -> RequestRefused:
    return RequestRefused(
        413,
        _("the request body is larger than {limit} bytes", limit=settings.max_body_bytes),
        "PAYLOAD_TOO_LARGE",
    )


def _too_deep(what: str, max_depth: int) -> RequestRefused:
    message = (
        _("the request body is nested deeper than {limit} levels", limit=max_depth)
        if what == BODY
        else _("{name} is nested deeper than {limit} levels", name=what, limit=max_depth)
    )
    return RequestRefused(400, message, "BAD_REQUEST")


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of the header ``name`` (lower case), or None."""
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _headers(scope: Scope) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]
    }


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    media_type, *rest = content_type.split(";")
    params: dict[str, str] = {}
    for item in rest:
        key, _sep, value = item.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return media_type.strip().lower(), params


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestRefused(400, _("the client disconnected"), "BAD_REQUEST")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestRefused(
                413,
                _("the request body is larger than {limit} bytes", limit=limit),
                "PAYLOAD_TOO_LARGE",
            )
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
