"""The download route of the Excel reports: ``GET /reports/roster.xlsx?region=...`` and
``GET /reports/assessment.xlsx?year=...&region=...``.

Authenticated like ``/graphql`` (``Authorization: Bearer ...``), or by the short-lived
signed ``link`` parameter that GraphQL's ``reportLink`` hands out, so that a browser can
open it. ID numbers are masked unless ``idNumbers=full`` with a ``reason`` (and
``registry:reveal``). Needs ``report:export``; area scoping applies; every export is audited
(``bangfu.core.reports.export``), and so is every refusal of an authenticated actor.
The workbook and the messages are in the language of ``Accept-Language`` (Chinese unless
it asks for English; ``BANGFU_LANGUAGE`` sets the default).
"""

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bangfu.core import request_scope
from bangfu.core.calendar import today
from bangfu.core.db import utcnow
from bangfu.core.i18n import _
from bangfu.core.reports import links
from bangfu.core.reports.export import (
    XLSX,
    Export,
    ExportError,
    check_reason,
    export_assessment,
    export_roster,
)
from bangfu.core.security import ANONYMOUS, audit
from bangfu.core.security.actor import Actor
from bangfu.core.security.auth import actor_for_token
from bangfu.http import REALM
from bangfu.schema.context import Services

ROSTER_PATH = "/reports/roster.xlsx"
ASSESSMENT_PATH = "/reports/assessment.xlsx"
ACTION = "report:export"


def _refusal(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    # A 401 says how to authenticate (RFC 6750), as /graphql's does.
    headers = {"WWW-Authenticate": f'Bearer realm="{REALM}"'} if status == 401 else None
    return JSONResponse(
        {"errors": [{"message": message, "code": code, "field": field}]},
        status_code=status,
        headers=headers,
    )


async def _actor(services: Services, request: Request, params: dict[str, str]) -> Actor | None:
    header = request.headers.get("authorization")
    async with services.sessions() as session:
        session.info["actor"] = ANONYMOUS
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            return await actor_for_token(session, token.strip(), services.settings)
        link = request.query_params.get("link")
        if not link:
            return None
        user_id = links.verify(services.cipher, link, request.url.path, params, utcnow())
        if user_id is None:
            return None
        return await links.actor_for_link(session, user_id, services.settings)


def report_routes(services: Services) -> list[Route]:
    """The report routes, bound to the app's services."""

    async def download(request: Request) -> Response:
        path = request.url.path
        wanted: tuple[str, ...] = ("region",) if path == ROSTER_PATH else ("year", "region")
        if path == ROSTER_PATH and request.query_params.get("idNumbers") == "full":
            wanted = ("region", "idNumbers", "reason")
        params = {k: request.query_params.get(k, "") for k in wanted}
        actor = await _actor(services, request, params)
        if actor is None:
            return _refusal(
                401,
                "UNAUTHENTICATED",
                _(
                    "log in first and send 'Authorization: Bearer <token>', or open a link "
                    "from reportLink (links expire after a few minutes)"
                ),
            )
        request_id = request_scope.request_id() or uuid.uuid4().hex
        full = params.get("idNumbers") == "full"
        if not services.host.allowed(actor, ACTION) or (
            full and not services.host.allowed(actor, "registry:reveal")
        ):
            await _audit_refusal(services, actor, path, request_id)
            return _refusal(
                403,
                "FORBIDDEN",
                _(
                    "your account may not download this report: reports need the permission "
                    "{action}, and full ID numbers also registry:reveal",
                    action=ACTION,
                ),
            )
        try:
            export = await _export(services, actor, path, params, request_id)
        except ExportError as exc:
            return _refusal(400, "INVALID_INPUT", str(exc), exc.field)
        return Response(
            export.content,
            media_type=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="{export.filename}"',
                "Cache-Control": "no-store",
            },
        )

    return [
        Route(ROSTER_PATH, download, methods=["GET"]),
        Route(ASSESSMENT_PATH, download, methods=["GET"]),
    ]


async def _export(
    services: Services, actor: Actor, path: str, params: dict[str, str], request_id: str
) -> Export:
    if not params["region"]:
        raise ExportError("region", _("give a region code, e.g. region=141023"))
    if path == ROSTER_PATH:
        full = params.get("idNumbers") == "full"
        reason = check_reason(params.get("reason")) if full else None
        return await export_roster(
            services.sessions,
            services.host,
            services.settings,
            services.cipher,
            actor,
            params["region"],
            today(),
            request_id=request_id,
            full_id_numbers=full,
            reason=reason,
        )
    try:
        year = int(params["year"])
    except ValueError:
        raise ExportError("year", _("give the year as a number, e.g. year=2026")) from None
    return await export_assessment(
        services.sessions,
        services.host,
        services.settings,
        actor,
        year,
        params["region"],
        today(),
        request_id=request_id,
    )


async def _audit_refusal(services: Services, actor: Actor, path: str, request_id: str) -> None:
    details: dict[str, Any] = {"action": ACTION, "path": path}
    async with services.sessions() as session, session.begin():
        session.info["actor"] = actor
        await audit.record(
            session,
            actor,
            f"export:{path.rsplit('/', 1)[-1].removesuffix('.xlsx')}",
            audit.Outcome.DENIED,
            details=details,
            request_id=request_id,
        )
