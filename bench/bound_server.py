"""The lower bound served over HTTP: the hand-written SQL of each query behind Starlette.

uvicorn runs ``bench.bound_server:create_app`` (a factory) with the service's own settings
(127.0.0.1, the same number of workers, no access log), so a request to the bound pays the
same HTTP as a request to the service: uvicorn, Starlette's routing, the body read and
parsed, the JSON answer sent. Every ratio to it then measures what the GraphQL layer adds,
not HTTP, which a perfect server pays too.

``POST /bound/<kind>`` takes the very body the service is sent (``{"query", "variables"}``,
with the same ``Authorization`` header, unread) and answers with the JSON the service
answers (:mod:`bench.lower_bound`), ``bottomLine`` included when the query selects it:

``households``
    the households page, ``variables.first`` and ``variables.after`` (a cursor);
``person``
    the person by id, ``variables.id`` (a global ID);
``count``
    ``{"data": {"persons": {"totalCount": N}}}`` for ``variables.region`` (a region code),
    one ``count(*)``; a region's area path is looked up once per process and kept.

One raw driver connection per process (aiosqlite or asyncpg, no pool, no ORM); the bound
is timed one request at a time, and a lock keeps a stray concurrent request from sharing
the connection. ``GET /readyz`` answers once the app is up.
"""

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bangfu.app import tune_process
from bangfu.core.calendar import today as china_today
from bangfu.core.config import Settings
from bangfu.core.security.crypto import FieldCipher, load_master_key
from bangfu.schema.relay import decode_cursor, decode_global_id
from bench.lower_bound import Connection, LowerBound, dumps

BOUND_PATH = "/bound"
KINDS = ("households", "person", "count")


class Bound:
    """The connection of this process, opened at the first request, and the regions' paths."""

    def __init__(self, settings: Settings, cipher: FieldCipher) -> None:
        self.connection = Connection(settings.database_url, settings.database_schema)
        self.cipher = cipher
        self.opened = False
        self.lock = asyncio.Lock()
        self.paths: dict[str, str] = {}

    async def close(self) -> None:
        if self.opened:
            await self.connection.close()
            self.opened = False

    async def answer(
        self, kind: str, variables: dict[str, Any], today: dt.date, bottom_line: bool = False
    ) -> bytes:
        async with self.lock:
            if not self.opened:
                await self.connection.open()
                self.opened = True
            bound = LowerBound(self.connection, self.cipher, today)
            if kind == "households":
                after = variables.get("after")
                return await bound.households_page(
                    int(variables["first"]), decode_cursor(after) if after else None, bottom_line
                )
            if kind == "person":
                _type, key = decode_global_id(variables["id"])
                return await bound.person_by_id(key, bottom_line)
            if kind == "count":
                count = await bound.count_persons(await self.path(variables["region"]))
                return dumps({"data": {"persons": {"totalCount": count}}})
        raise KeyError(kind)

    async def path(self, code: str) -> str:
        if code not in self.paths:
            ((path,),) = await self.connection.fetch(
                "SELECT path FROM core_region WHERE code = ?", code
            )
            self.paths[code] = str(path)
        return self.paths[code]


def create_app(settings: Settings | None = None, *, cipher: FieldCipher | None = None) -> Starlette:
    """The bound's app; ``settings`` and ``cipher`` default to the service's (environment)."""
    settings = settings or Settings()
    bound = Bound(settings, cipher or FieldCipher(load_master_key(settings)))

    async def serve(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            return JSONResponse({"error": f"no lower bound for {kind!r}"}, status_code=404)
        body = orjson.loads(await request.body())
        query = body.get("query") or ""
        answer = await bound.answer(
            kind, body.get("variables") or {}, china_today(), "bottomLine" in query
        )
        return Response(answer, media_type="application/json")

    async def ready(_request: Request) -> Response:
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        tune_process()  # as the service's processes do: the bound loses nothing
        try:
            yield
        finally:
            await bound.close()

    app = Starlette(
        routes=[
            Route(BOUND_PATH + "/{kind}", serve, methods=["POST"]),
            Route("/readyz", ready),
        ],
        lifespan=lifespan,
    )
    app.state.bound = bound  # closed by the lifespan; in-process callers close it themselves
    return app
