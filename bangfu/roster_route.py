"""The roster upload route: ``POST /import/roster`` and ``GET /import/roster/template``.

Authenticated like ``/graphql`` (``Authorization: Bearer ...``); the body is the file
itself (``Content-Type`` of an .xlsx workbook or ``text/csv``), at most
``max_roster_bytes``. ``?dryRun=true`` validates and writes nothing; ``?report=xlsx``
answers with the annotated copy of the workbook instead of JSON. The import runs as the
caller, in the caller's area, and is audited (core/roster). The answer, the annotated copy
and the template's instructions are in the language of ``Accept-Language`` (Chinese by
default, ``BANGFU_LANGUAGE``); the codes and keys are the same in every language.
"""

import asyncio
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from bangfu.core.i18n import N_, _
from bangfu.core.roster import TEMPLATE_PATH, UPLOAD_PATH
from bangfu.core.roster.importer import AUDIT_OPERATION, RosterImport, import_actions
from bangfu.core.roster.limits import RosterLimits
from bangfu.core.roster.workbook import annotated_copy, template
from bangfu.core.security import ANONYMOUS, audit
from bangfu.core.security.actor import Actor
from bangfu.core.security.auth import actor_for_token
from bangfu.http import REALM
from bangfu.schema.context import Services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = {XLSX: ".xlsx", "text/csv": ".csv"}
LOG_IN = N_("log in first, and send the token as 'Authorization: Bearer ...'")
TOO_LARGE = N_("a roster file has at most {limit:,} bytes: split the roster into several files")


def _error(status: int, code: str, message: str) -> JSONResponse:
    # A 401 says how to authenticate (RFC 6750), as /graphql's does.
    headers = {"WWW-Authenticate": f'Bearer realm="{REALM}"'} if status == 401 else None
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


async def _actor(services: Services, request: Request) -> Actor | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    async with services.sessions() as session:
        session.info["actor"] = ANONYMOUS
        return await actor_for_token(session, token.strip(), services.settings)


def routes(services: Services) -> list[Route]:
    """The two routes, bound to the app's services."""

    async def upload(request: Request) -> Response:
        actor = await _actor(services, request)
        if actor is None:
            return _error(401, "UNAUTHENTICATED", _(LOG_IN))
        actions = import_actions(services.host.roster_columns, services.host.actions)
        if not any(services.host.allowed(actor, action) for action in actions):
            async with services.sessions() as session, session.begin():
                session.info["actor"] = actor
                await audit.record(
                    session,
                    actor,
                    AUDIT_OPERATION,
                    audit.Outcome.DENIED,
                    details={"action": "registry:write", "code": "FORBIDDEN"},
                )
            return _error(
                403,
                "FORBIDDEN",
                _(
                    "your account may not import rosters: importing needs one of the "
                    "permissions {actions}; ask your county's administrator",
                    actions=", ".join(actions),
                ),
            )
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        suffix = KINDS.get(media)
        if suffix is None:
            return _error(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                _(
                    "send the roster as an Excel workbook (Content-Type {xlsx}) or a CSV file "
                    "(text/csv)",
                    xlsx=XLSX,
                ),
            )
        limit = services.settings.max_roster_bytes
        if int(request.headers.get("content-length") or 0) > limit:
            return _error(413, "PAYLOAD_TOO_LARGE", _(TOO_LARGE, limit=limit))
        folder = tempfile.TemporaryDirectory(prefix="bangfu-roster-")
        source = Path(folder.name) / f"roster{suffix}"
        size = 0
        with source.open("wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    folder.cleanup()
                    return _error(413, "PAYLOAD_TOO_LARGE", _(TOO_LARGE, limit=limit))
                handle.write(chunk)
        dry_run = request.query_params.get("dryRun", "").lower() in ("1", "true", "yes")
        name = request.query_params.get("fileName") or source.name
        limits = RosterLimits.of(services.settings)
        job = RosterImport(
            services.sessions,
            actor,
            services.cipher,
            services.host.roster_columns,
            lambda action: services.host.allowed(actor, action),
            limits=limits,
        )
        report = await job.run(source, dry_run=dry_run, file_name=name[:200])
        if report.retry:  # another import or writer ran meanwhile: the same file may pass
            folder.cleanup()
            return JSONResponse(report.as_dict(), status_code=409, headers={"Retry-After": "60"})
        status = 200 if report.ok else 422
        # A file that could not be read at all has no copy to annotate: JSON then.
        if request.query_params.get("report") == "xlsx" and report.headers is not None:
            copy = Path(folder.name) / "report.xlsx"
            await asyncio.to_thread(annotated_copy, source, report, copy, limits)
            return FileResponse(
                copy,
                status_code=status,
                media_type=XLSX,
                filename="roster-report.xlsx",
                background=BackgroundTask(folder.cleanup),
            )
        folder.cleanup()
        return JSONResponse(report.as_dict(), status_code=status)

    async def template_file(request: Request) -> Response:
        actor = await _actor(services, request)
        if actor is None:
            return _error(401, "UNAUTHENTICATED", _(LOG_IN))
        folder = tempfile.TemporaryDirectory(prefix="bangfu-template-")
        path = Path(folder.name) / "roster-template.xlsx"
        await asyncio.to_thread(template, services.host.roster_columns, path)
        return FileResponse(
            path,
            media_type=XLSX,
            filename="roster-template.xlsx",
            background=BackgroundTask(folder.cleanup),
        )

    return [
        Route(UPLOAD_PATH, upload, methods=["POST"]),
        Route(TEMPLATE_PATH, template_file, methods=["GET"]),
    ]
