"""The app factory: settings → engine → plugins → schema → Starlette app with a lifespan."""

import contextlib
import ctypes
import ctypes.util
import gc
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import orjson
import strawberry
from cross_web import HTTPException
from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    parse,
)
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from bangfu import graphiql as graphiql_page
from bangfu import idempotency
from bangfu.core import request_scope, text_limits
from bangfu.core.admission import Busy
from bangfu.core.bottomline import stored as stored_bottom_line
from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.db_health import (
    RETRY_AFTER_SECONDS,
    DatabaseUnavailable,
    cannot_write,
    check_writable,
)
from bangfu.core.i18n import N_, _
from bangfu.core.log_throttle import FailureLog
from bangfu.core.plugins import PluginHost, get_plugin_manager
from bangfu.core.security import ANONYMOUS, Actor, audit, logmask, scoping
from bangfu.core.security.auth import TokenRefusal, check_token
from bangfu.core.security.crypto import FieldCipher, load_master_key
from bangfu.http import (
    RequestRefused,
    TransportGuard,
    error_response,
    graphql_answer,
    run_with_time_limit,
    www_authenticate,
)
from bangfu.idempotency import principal_of, run_idempotent
from bangfu.persisted import PersistedDocuments, root_fields, subscription_refusal
from bangfu.reports import report_routes
from bangfu.roster_route import routes as roster_routes
from bangfu.schema.build import build_schema
from bangfu.schema.context import Context, Loaders, Services
from bangfu.schema.failures import GuardedSchema
from bangfu.schema.graphql_messages import translated
from bangfu.schema.loaders import core_loaders

log = logging.getLogger("bangfu")


#: Subscriptions one WebSocket may run at once (each polls the database).
MAX_SUBSCRIPTIONS_PER_CONNECTION = 5


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages are text frames; :meth:`GraphQLEndpoint.encode_json`
    gives bytes (what HTTP bodies want)."""

    async def send_json(self, message: Any) -> None:
        try:
            encoded = self.view.encode_json(message)
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLEndpoint(GraphQL[Context, None]):
    """Strawberry's ASGI view with our actor, per-request context and cleanup."""

    websocket_adapter_class = TextFrames

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """The JSON answer; when the database was unavailable to any part of it, the
        whole request is answered 503 ``SERVICE_UNAVAILABLE`` instead (retryable: nothing
        that failed was kept), as it is before execution. Raised, not returned: the
        failure is logged already, and an ``Idempotency-Key`` is released, not kept with
        a 503 that its retries would get again (``bangfu.http.TransportGuard`` answers)."""
        if isinstance(response_data, dict) and any(
            (error.get("extensions") or {}).get("code") == "SERVICE_UNAVAILABLE"
            for error in response_data.get("errors") or ()
        ):
            raise DatabaseUnavailable
        if isinstance(response_data, dict):  # a request error has no data (bangfu/http.py)
            response_data, sub_response.status_code = graphql_answer(response_data)
        return super().create_response(response_data, sub_response)

    def encode_json(self, data: object) -> bytes:
        """The response body: orjson, UTF-8 (a page of households is 300 KB; the standard
        library took ten times as long). Anything orjson refuses (an integer beyond 64
        bits) falls back to the standard library."""
        try:
            return orjson.dumps(data)
        except TypeError:
            return json.dumps(data, separators=(",", ":")).encode()

    async def get_context(self, request: Any, response: Any) -> Context:
        """A subscription's context (graphql-transport-ws): anonymous until its
        ``connection_init`` is accepted (:meth:`on_ws_connect`). HTTP requests get theirs
        in :meth:`run`."""
        ctx = Context(self.services, ANONYMOUS, request=request)
        ctx.new_loaders = partial(_new_loaders, ctx, self.services.host)
        ctx.loaders = ctx.new_loaders()
        return ctx

    async def on_ws_connect(self, context: Context) -> None:
        """Accept a subscriber whose ``connection_init`` payload (``{"Authorization":
        "Bearer <token>"}``) or handshake header carries a token that holds; refuse the
        rest, closing with 4403 and the reason (``MISSING``, ``MALFORMED``, ``INVALID``,
        ``EXPIRED``, ``REVOKED``)."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = params.get("Authorization") or params.get("authorization")
        if header is None and isinstance(context.request, WebSocket):
            header = context.request.headers.get("authorization")
        if not isinstance(header, str) or not header.strip():
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "reason": "MISSING"})
        scheme, _sep, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "reason": "MALFORMED"})
        async with self.services.sessions() as session:
            session.info["actor"] = ANONYMOUS
            found = await check_token(session, token.strip(), self.services.settings)
        if isinstance(found, TokenRefusal):
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "reason": str(found)})
        context.actor, context.token = found, token.strip()

    async def render_graphql_ide(self, request: Request) -> Response:
        """Bangfu's own GraphiQL page (bangfu/graphiql): every asset served from here,
        nothing from a CDN; login through its form, never in a URL or the history."""
        return graphiql_page.page_response()

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if not isinstance(request, Request):
            return await super().run(request, context, root_value)
        token = _bearer(request)
        actor = ANONYMOUS
        session = None
        if token is not None:
            # The session that finds the token's actor becomes the request's read session
            # (one connection checkout, not two: a count's whole cost is a few round trips).
            session = self.services.sessions()
            session.info["actor"] = ANONYMOUS
            try:
                found = await check_token(session, token, self.services.settings)
            except BaseException:
                await session.close()
                raise
            if isinstance(found, TokenRefusal):
                await session.close()
                raise unauthenticated(found)
            actor = found
            session.info["actor"] = actor
        elif not await _only_public_fields(request, self.services.settings.max_tokens):
            raise unauthenticated("MISSING")
        ctx = Context(self.services, actor, request=request, token=token, session=session)
        ctx.new_loaders = partial(_new_loaders, ctx, self.services.host)
        ctx.loaders = ctx.new_loaders()
        execute = super().run

        async def run_graphql() -> Response:
            try:
                response = await execute(request, context=ctx, root_value=root_value)
            except HTTPException as refused:  # Strawberry's own, in English and plain text
                raise strawberry_refusal(refused) from None
            if ctx.busy is not None:  # the expensive lane refused it (schema/limits.py)
                return busy_response(ctx.busy)
            return response

        try:
            # A place among the actor's running requests (core/admission.py), the
            # Idempotency-Key replay, then the request time limit (bangfu/http.py).
            with self.services.admission.request(_admission_key(actor)):
                return await run_idempotent(
                    self.services,
                    request,
                    actor,
                    partial(run_with_time_limit, self.services.settings, run_graphql),
                )
        except Busy as busy:
            return busy_response(busy)
        finally:
            await ctx.close()


def _new_loaders(ctx: Context, host: PluginHost) -> Loaders:
    return Loaders(partial(_fill_loaders, ctx, host))


def _fill_loaders(ctx: Context, host: PluginHost) -> None:
    """Core's loaders, then every plugin's (``bangfu_graphql_context``): once per request,
    when it first asks for a loader (:class:`bangfu.schema.context.Loaders`)."""
    ctx.loaders.update(core_loaders(ctx))
    host.extend_context(ctx)


def _admission_key(actor: Actor) -> str:
    """Whose places a request takes: the actor's; without a login, its address's."""
    if actor.is_authenticated:
        return principal_of(actor)
    return f"address:{request_scope.client_address()}"


def busy_response(busy: Busy) -> Response:
    """HTTP 429 with ``Retry-After``: a bound of ``bangfu.core.admission`` was reached."""
    return error_response(
        429, busy.message, "TOO_MANY_REQUESTS", {"Retry-After": str(busy.retry_after)}
    )


AUTHENTICATION_REQUIRED = N_(
    "authentication required: log in and send the token as 'Authorization: Bearer ...'"
)


def unauthenticated(reason: str) -> RequestRefused:
    """HTTP 401 ``UNAUTHENTICATED`` with ``WWW-Authenticate: Bearer`` (RFC 6750) and the
    reason in ``extensions.reason``: ``MISSING`` (no token, and the request asks for more
    than the public fields), ``MALFORMED`` (an ``Authorization`` header that is not
    ``Bearer <token>``), or a :class:`TokenRefusal` (``INVALID``, ``EXPIRED``,
    ``REVOKED``)."""
    return RequestRefused(
        401,
        _unauthenticated_message(reason),
        "UNAUTHENTICATED",
        www_authenticate(str(reason)),
        {"reason": str(reason)},
    )


def _unauthenticated_message(reason: str) -> str:
    if reason == "MISSING":
        return _(AUTHENTICATION_REQUIRED)
    if reason == "MALFORMED":
        return _("the Authorization header must be 'Bearer <token>'")
    if reason == TokenRefusal.EXPIRED:
        return _("the token has expired: log in again")
    if reason == TokenRefusal.REVOKED:
        return _("the token was revoked: log in again")
    return _("the token is not valid: log in again")


#: The code of each status Strawberry's own view refuses a request with.
STRAWBERRY_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def strawberry_refusal(refused: HTTPException) -> RequestRefused:
    """A refusal of Strawberry's view (a ``GET`` without ``query``: 400) as a GraphQL
    response, its message in the reader's language."""
    return RequestRefused(
        refused.status_code,
        translated(refused.reason),
        STRAWBERRY_CODES.get(refused.status_code, "BAD_REQUEST"),
    )


# What a request without a token may ask for: logging in, and what the service is.
PUBLIC_ROOT_FIELDS = frozenset({"login", "plugins", "__typename", "__schema", "__type"})


async def _only_public_fields(request: Request, max_tokens: int) -> bool:
    """Whether an anonymous request selects nothing but public root fields.

    Anything else is refused with 401 before execution. A document that does not parse is
    let through: the GraphQL layer answers the syntax error, and nothing executes. Parsing
    stops at the token limit, as the GraphQL layer's own parse does, so an anonymous
    request cannot make the server parse a document it would refuse anyway.
    """
    try:
        if request.method == "GET":
            query, operation_name = (
                request.query_params.get("query"),
                request.query_params.get("operationName"),
            )
        else:
            body = json.loads(await request.body())
            query, operation_name = body.get("query"), body.get("operationName")
        if not isinstance(query, str):
            return True
        document = parse(query, max_tokens=max_tokens)
    except (ValueError, AttributeError, GraphQLError):
        return True
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    return all(root_fields(document, o) <= PUBLIC_ROOT_FIELDS for o in chosen)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise unauthenticated("MALFORMED")
    return value.strip()


#: Allocations between young-generation collections (CPython's default is 700). A page of
#: 100 households allocates about a million objects, nearly all freed by reference
#: counting; at 700 the collector ran a full pass many times per request (bench/README.md).
GC_THRESHOLD = (100_000, 50, 100)


def tune_garbage_collector() -> None:
    """Start-up objects (modules, schema, mappers) go to the permanent generation, never
    traversed again, and young collections run less often. Called once per server process
    (:func:`tune_process`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


#: glibc's ``M_MMAP_THRESHOLD`` (``malloc.h``) and the value Bangfu gives it: a block this
#: large or larger is a mapping of its own, handed back to the system when freed.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def tune_memory() -> bool:
    """Keep glibc's mmap threshold at 128 KiB; whether it was set.

    glibc starts there but raises the threshold each time a mapped block is freed, up to
    32 MiB. A page's answer is a few hundred kilobytes, and several are built at once under
    load: once the threshold has risen they are carved out of the heap, which fragments and
    is rarely given back, and a worker's memory grew a third over five minutes of the
    benchmark's mix while Python's own allocations did not grow (tracemalloc). A fixed
    threshold (setting it turns glibc's adjustment off) keeps them mapped. An operator's own
    ``MALLOC_MMAP_THRESHOLD_`` is left alone; elsewhere than glibc this does nothing."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def tune_process() -> None:
    """What each server process does once at start: :func:`tune_garbage_collector` and
    :func:`tune_memory`."""
    tune_garbage_collector()
    tune_memory()


def _readiness_reason(error: BaseException) -> str:
    """What ``/readyz`` says is wrong, in words that name no host nor file."""
    return "the database cannot write" if cannot_write(error) else "the database cannot be reached"


def create_app(
    settings: Settings | None = None,
    *,
    plugins: PluginHost | None = None,
    cipher: FieldCipher | None = None,
    schema: strawberry.Schema | None = None,
) -> Starlette:
    """Build the service. Plugins and schema are composed here, so errors fail at start.

    ``schema`` is a schema already built by ``build_schema`` for the same plugins and
    settings (the test harness reuses one across tests); by default it is built here.
    """
    settings = settings or Settings()
    host = plugins or PluginHost(get_plugin_manager(settings=settings))
    scoping.scoped_models()  # every model declares its scope, or we do not start
    scoping.install()
    logmask.install()
    text_limits.install()  # stored strings fit their columns, on every database
    audit.install()  # what each write changed, for its audit row
    idempotency.install()  # an idempotent request's effects mark its claim
    schema = schema or build_schema(host, settings)
    engine = make_engine(
        settings.database_url,
        echo=settings.sql_echo,
        schema=settings.database_schema,
        # PostgreSQL's backstop to the request time limit, per statement.
        statement_timeout=settings.request_timeout_seconds,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
    )
    stored_bottom_line.attach(engine, host, settings)  # verdicts kept current by each write
    services = Services(
        settings=settings,
        sessions=make_sessionmaker(engine),
        host=host,
        cipher=cipher or FieldCipher(load_master_key(settings)),
        failures=FailureLog(settings.log_repeat_interval_seconds),
    )
    if isinstance(schema, GuardedSchema):  # subscriptions obey trusted documents too
        schema.stream_check = subscription_refusal
    graphql = GraphQLEndpoint(
        services,
        schema=schema,
        # Any IDE name turns the page on; render_graphql_ide serves Bangfu's own.
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=settings.graphiql_enabled,
        # careEventUpdates (schema/care/subscriptions.py); without it, no WebSocket at all.
        max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
        subscription_protocols=(
            (GRAPHQL_TRANSPORT_WS_PROTOCOL,) if settings.subscriptions_enabled else ()
        ),
        # A browser's handshake from another origin is refused (403) unless listed:
        # Strawberry checks Origin against Host and this list.
        allowed_origins=settings.websocket_origins,
    )

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        """Ready when the database answers and can write (a write rolled back)."""
        try:
            await check_writable(engine)
        except Exception as error:  # any failure means not ready; details go to the log only
            request_id = request_scope.request_id() or uuid.uuid4().hex
            services.failures.error(
                log, "readiness check failed (request %s)", request_id, error=error
            )
            return JSONResponse(
                {
                    "status": "unavailable",
                    "code": "SERVICE_UNAVAILABLE",
                    "reason": _readiness_reason(error),
                    "requestId": request_id,
                },
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        tune_process()
        try:
            yield
        finally:
            await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            *([WebSocketRoute("/graphql", graphql)] if settings.subscriptions_enabled else []),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *roster_routes(services),
            *report_routes(services),
            *([graphiql_page.assets()] if settings.graphiql_enabled else []),
        ],
        lifespan=lifespan,
        # Request IDs, then body size, media type, JSON and method checks of /graphql.
        middleware=[
            Middleware(TransportGuard, settings=settings, failures=services.failures),
            # A document named by its hash becomes its text (bangfu/persisted.py).
            Middleware(PersistedDocuments, services=services, schema=schema._schema),
        ],
    )
    app.state.services = services
    app.state.schema = schema
    return app
