"""``Idempotency-Key``: a retried mutation has one effect and gets the first answer again.

A ``POST`` carrying a mutation and an ``Idempotency-Key`` header (at most 200 visible
ASCII characters) from an authenticated actor first *claims* the key: it inserts an
:class:`~core.security.models.IdempotencyRecord` for (actor, key) and commits. The unique
constraint on (principal, key) decides every race: a concurrent duplicate waits for the
claim's commit and then fails to insert, so at most one request ever executes per key.
Once executed, the status and the exact body bytes are stored (the body encrypted, as it
may hold personal data) and every later request with that key is answered from them:

- same key, same request: the first response again, byte for byte (status and body);
- same key, another request: 422 "Idempotency-Key reused with a different request";
- same key while the first is still running: 409 "a request with this key is in progress".

Nothing is remembered for a request refused before it executed (HTTP errors raised by the
GraphQL view); a request that timed out keeps its timeout answer, since part of it may
have been committed. Keys are remembered for ``idempotency_retention_hours``. Anonymous
requests (``login``) are never remembered: their answers hold fresh tokens.
"""

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import OperationType
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from bangfu.http import error_response, operation_type
from core.db import transaction, utcnow
from core.security.actor import Actor
from core.security.models import IdempotencyRecord
from schema.context import Services

log = logging.getLogger("bangfu.idempotency")

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200
_BODY_CONTEXT = "core_idempotency_record.response_body"


def principal_of(actor: Actor) -> str:
    """Whose keys these are: the actor's kind and ID (``USER:42``)."""
    return f"{actor.kind.value}:{actor.id}"


def request_digest(payload: dict[str, Any]) -> str:
    """What makes two requests "the same": query, variables, operation name, extensions."""
    canonical = json.dumps(
        {
            "query": payload.get("query"),
            "variables": payload.get("variables") or {},
            "operationName": payload.get("operationName"),
            "extensions": payload.get("extensions") or {},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_idempotent(
    services: Services,
    request: Request,
    actor: Actor,
    execute: Callable[[], Awaitable[Response]],
) -> Response:
    """Run ``execute`` once per (actor, Idempotency-Key) of a mutation; replay otherwise."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST" or not actor.is_authenticated:
        return await execute()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        return error_response(
            400,
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters",
            "INVALID_IDEMPOTENCY_KEY",
        )
    try:
        payload = json.loads(await request.body())
    except ValueError:
        return await execute()  # the view answers a bad body itself
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return await execute()
    operation_name = payload.get("operationName")
    kind = operation_type(
        payload["query"],
        operation_name if isinstance(operation_name, str) else None,
        services.settings.max_tokens,
    )
    if kind is not OperationType.MUTATION:
        return await execute()

    store = _Store(services, principal_of(actor), key)
    digest = request_digest(payload)
    existing = await store.claim(digest)
    if existing is not None:
        return store.answer(existing, digest)
    try:
        response = await execute()
    except BaseException:
        # Refused before execution (an HTTP error of the view) or the server is going
        # down: nothing to remember, the key may be used again.
        await store.release()
        raise
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):  # a streamed answer cannot be replayed
        await store.release()
        return response
    await store.save(response.status_code, body)
    return response


class _Store:
    """The idempotency records of one (principal, key)."""

    def __init__(self, services: Services, principal: str, key: str) -> None:
        self.services = services
        self.principal = principal
        self.key = key

    def _where(self) -> Any:
        return (IdempotencyRecord.principal == self.principal) & (IdempotencyRecord.key == self.key)

    async def claim(self, digest: str) -> IdempotencyRecord | None:
        """Insert the claim; None if it is ours, else the record that holds the key."""
        retention = dt.timedelta(hours=self.services.settings.idempotency_retention_hours)
        try:
            async with transaction(self.services.sessions, {}) as session:
                await session.execute(
                    delete(IdempotencyRecord).where(
                        self._where(), IdempotencyRecord.created_at < utcnow() - retention
                    )
                )
                session.add(
                    IdempotencyRecord(principal=self.principal, key=self.key, request_digest=digest)
                )
            return None
        except IntegrityError:
            pass
        async with self.services.sessions() as session:
            found = await session.scalar(select(IdempotencyRecord).where(self._where()))
        if found is None:  # released between our insert and this read: it is in flux
            found = IdempotencyRecord(principal=self.principal, key=self.key, request_digest=digest)
        return found

    def answer(self, record: IdempotencyRecord, digest: str) -> Response:
        if record.request_digest != digest:
            return error_response(
                422,
                "Idempotency-Key reused with a different request: use a new key",
                "IDEMPOTENCY_KEY_REUSED",
            )
        if record.status_code is None or record.response_body is None:
            return error_response(
                409,
                "a request with this Idempotency-Key is in progress: retry later",
                "IDEMPOTENCY_KEY_IN_PROGRESS",
                {"Retry-After": "1"},
            )
        body = self.services.cipher.decrypt(record.response_body, context=_BODY_CONTEXT)
        return Response(
            body.encode(), status_code=record.status_code, media_type="application/json"
        )

    async def save(self, status_code: int, body: bytes) -> None:
        sealed = self.services.cipher.encrypt(body.decode(), context=_BODY_CONTEXT)
        try:
            async with transaction(self.services.sessions, {}) as session:
                await session.execute(
                    update(IdempotencyRecord)
                    .where(self._where())
                    .values(status_code=status_code, response_body=sealed)
                )
        except Exception:  # the answer still goes out; the key stays "in progress"
            log.exception("could not store the answer for an Idempotency-Key")

    async def release(self) -> None:
        try:
            async with transaction(self.services.sessions, {}) as session:
                await session.execute(
                    delete(IdempotencyRecord).where(
                        self._where(), IdempotencyRecord.status_code.is_(None)
                    )
                )
        except Exception:
            log.exception("could not release an Idempotency-Key")
