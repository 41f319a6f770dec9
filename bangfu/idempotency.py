"""``Idempotency-Key``: a retried mutation has one effect and gets the first answer again.

A ``POST`` carrying a mutation and an ``Idempotency-Key`` header (at most 200 visible
ASCII characters) from an authenticated actor first *claims* the key: it inserts an
:class:`~bangfu.core.security.models.IdempotencyRecord` for (actor, key) and commits. The unique
constraint on (principal, key) decides every race: a concurrent duplicate waits for the
claim's commit and then fails to insert, so at most one request ever executes per key.
Once executed, the status and the exact body bytes are stored (the body encrypted, as it
may hold personal data) and every later request with that key is answered from them:

- same key, same request: the first response again, byte for byte (status and body);
- same key, another request: 422 "Idempotency-Key reused with a different request";
- same key while the first is still running: 409 "a request with this key is in progress".

**A claim whose owner died** (the process was killed between the claim and the stored
answer) must not hold the key for the whole retention. A claim carries an owner (a random
token) and a *lease*: twice ``request_timeout_seconds``, by when a live owner has been
cancelled by the time limit and has stored its answer. And every transaction that commits
an effect of the request (each ``context.write()``) marks the claim, in that same
transaction, as having committed something, provided it still owns the claim; otherwise
the effect rolls back. A retry that finds a claim past its lease without an answer then:

- nothing was committed: takes the claim over and runs the request again;
- something was committed: the answer is lost with the process, and running it again
  could do it twice. The key's answer becomes a final ``IDEMPOTENCY_ANSWER_LOST`` error
  (HTTP 200, ``data: null``) saying that the request *was* carried out.

Nothing is remembered for a request refused before it executed (HTTP errors raised by the
GraphQL view, 429 from the bounds on concurrent work), nor for one that failed (HTTP 5xx,
e.g. the time limit's 504) without committing anything: a retry runs it anew. A 5xx after
a commit is kept, since part of the request was done. Keys are remembered for
``idempotency_retention_hours``. Anonymous requests (``login``) are never remembered:
their answers hold fresh tokens.
"""

import contextvars
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import OperationType
from sqlalchemy import delete, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from bangfu.core.db import transaction, utcnow
from bangfu.core.i18n import N_, _
from bangfu.core.security.actor import Actor
from bangfu.core.security.audit import CHANGES_KEY
from bangfu.core.security.models import IdempotencyRecord
from bangfu.core.security.tokens import aware
from bangfu.http import error_response, operation_type
from bangfu.schema.context import Services

log = logging.getLogger("bangfu.idempotency")

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200
_BODY_CONTEXT = "core_idempotency_record.response_body"
ANSWER_LOST = N_(
    "the request with this Idempotency-Key was carried out, but the server stopped before "
    "it could keep the answer: do not send it again; read the records it changed instead"
)


class ClaimLost(RuntimeError):
    """An effect would commit for a claim that another request has taken over."""


@dataclasses.dataclass
class _Claim:
    """The claim the current request holds, as its effect transactions see it."""

    id: int
    owner: str
    committed: bool = False


_current: contextvars.ContextVar[_Claim | None] = contextvars.ContextVar(
    "bangfu_idempotency_claim", default=None
)


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


def lease(services: Services) -> dt.timedelta:
    """How long a claim's owner is presumed alive: twice the request time limit."""
    return dt.timedelta(seconds=2 * services.settings.request_timeout_seconds)


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
            _(
                "Idempotency-Key must be 1 to {limit} visible ASCII characters",
                limit=MAX_KEY_LENGTH,
            ),
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
    answer = await store.claim(digest)
    if answer is not None:
        return answer
    claim = store.held
    assert claim is not None
    token = _current.set(claim)
    try:
        response = await execute()
    except BaseException:
        # Refused before execution (an HTTP error of the view) or the server is going
        # down: nothing to remember, the key may be used again (unless an effect committed).
        await store.release()
        raise
    finally:
        _current.reset(token)
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):  # a streamed answer cannot be replayed
        await store.release()
        return response
    if (response.status_code >= 500 or response.status_code == 429) and not claim.committed:
        await store.release()  # it failed, or was not let in, and did nothing: a retry runs
        return response
    await store.save(response.status_code, body)
    return response


class _Store:
    """The idempotency record of one (principal, key)."""

    def __init__(self, services: Services, principal: str, key: str) -> None:
        self.services = services
        self.principal = principal
        self.key = key
        self.held: _Claim | None = None

    def _where(self) -> Any:
        return (IdempotencyRecord.principal == self.principal) & (IdempotencyRecord.key == self.key)

    async def claim(self, digest: str) -> Response | None:
        """Claim the key: None when this request now holds it, else the answer to give."""
        now = utcnow()
        retention = dt.timedelta(hours=self.services.settings.idempotency_retention_hours)
        owner = secrets.token_hex(16)
        try:
            async with transaction(self.services.sessions, {}) as session:
                await session.execute(
                    delete(IdempotencyRecord).where(
                        self._where(), IdempotencyRecord.created_at < now - retention
                    )
                )
                record = IdempotencyRecord(
                    principal=self.principal,
                    key=self.key,
                    request_digest=digest,
                    owner=owner,
                    lease_until=now + lease(self.services),
                )
                session.add(record)
                await session.flush()
                self.held = _Claim(record.id, owner)
            return None
        except IntegrityError:
            pass
        async with self.services.sessions() as session:
            found = await session.scalar(select(IdempotencyRecord).where(self._where()))
        if found is None:  # released between our insert and this read: it is in flux
            return _in_progress()
        if found.request_digest != digest:
            return error_response(
                422,
                _("Idempotency-Key reused with a different request: use a new key"),
                "IDEMPOTENCY_KEY_REUSED",
            )
        if found.status_code is not None and found.response_body is not None:
            return self._replay(found.status_code, found.response_body)
        if found.lease_until is not None and aware(found.lease_until) > now:
            return _in_progress()
        # Its owner is gone (killed, or lost its database) without an answer.
        if found.committed_at is None:
            return await self._take_over(found, owner)
        return await self._answer_lost(found)

    async def _take_over(self, found: IdempotencyRecord, owner: str) -> Response | None:
        """Nothing of the dead owner's request committed: run it again as the new owner."""
        async with transaction(self.services.sessions, {}) as session:
            taken = await session.execute(
                update(IdempotencyRecord)
                .where(*_unchanged(found), IdempotencyRecord.committed_at.is_(None))
                .values(owner=owner, lease_until=utcnow() + lease(self.services))
            )
        if not taken.rowcount:  # type: ignore[attr-defined]
            return _in_progress()  # another retry took it over first
        log.warning(
            "Idempotency-Key of %s: its request stopped without an answer and changed "
            "nothing; it runs again",
            self.principal,
        )
        self.held = _Claim(found.id, owner)
        return None

    async def _answer_lost(self, found: IdempotencyRecord) -> Response:
        """Something of the dead owner's request committed: its answer becomes final."""
        response = error_response(200, _(ANSWER_LOST), "IDEMPOTENCY_ANSWER_LOST")
        # A GraphQL answer without data (the response to a request that ran), not a refusal.
        answer = {"data": None, **json.loads(bytes(response.body))}
        response = Response(json.dumps(answer).encode(), media_type="application/json")
        sealed = self._seal(bytes(response.body))
        async with transaction(self.services.sessions, {}) as session:
            await session.execute(
                update(IdempotencyRecord)
                .where(*_unchanged(found), IdempotencyRecord.status_code.is_(None))
                .values(status_code=response.status_code, response_body=sealed)
            )
            stored = await session.scalar(
                select(IdempotencyRecord).where(IdempotencyRecord.id == found.id)
            )
        log.warning(
            "Idempotency-Key of %s: its request committed but stopped before its answer "
            "was kept; answered IDEMPOTENCY_ANSWER_LOST",
            self.principal,
        )
        if stored is None or stored.status_code is None or stored.response_body is None:
            return _in_progress()
        return self._replay(stored.status_code, stored.response_body)

    def _seal(self, body: bytes) -> bytes:
        return self.services.cipher.encrypt(body.decode(), context=_BODY_CONTEXT)

    def _replay(self, status_code: int, sealed: bytes) -> Response:
        body = self.services.cipher.decrypt(sealed, context=_BODY_CONTEXT)
        return Response(body.encode(), status_code=status_code, media_type="application/json")

    def _mine(self) -> Any:
        assert self.held is not None
        return (IdempotencyRecord.id == self.held.id) & (IdempotencyRecord.owner == self.held.owner)

    async def save(self, status_code: int, body: bytes) -> None:
        try:
            async with transaction(self.services.sessions, {}) as session:
                await session.execute(
                    update(IdempotencyRecord)
                    .where(self._mine())
                    .values(status_code=status_code, response_body=self._seal(body))
                )
        except Exception:  # the answer still goes out; the key resolves when its lease ends
            log.exception("could not store the answer for an Idempotency-Key")

    async def release(self) -> None:
        """Forget the claim, unless an effect of it committed."""
        try:
            async with transaction(self.services.sessions, {}) as session:
                await session.execute(
                    delete(IdempotencyRecord).where(
                        self._mine(),
                        IdempotencyRecord.status_code.is_(None),
                        IdempotencyRecord.committed_at.is_(None),
                    )
                )
        except Exception:  # the key resolves when its lease ends
            log.exception("could not release an Idempotency-Key")


def _unchanged(found: IdempotencyRecord) -> list[Any]:
    """The record is still as ``found`` read it (no other retry acted on it meanwhile)."""
    owner = IdempotencyRecord.owner
    return [
        IdempotencyRecord.id == found.id,
        owner.is_(None) if found.owner is None else owner == found.owner,
    ]


def _in_progress() -> Response:
    return error_response(
        409,
        _("a request with this Idempotency-Key is in progress: retry later"),
        "IDEMPOTENCY_KEY_IN_PROGRESS",
        {"Retry-After": "1"},
    )


def _mark_effect(session: Session) -> None:
    """Before an effect of an idempotent request commits: mark its claim, in the same
    transaction, or refuse the commit when the claim is no longer this request's."""
    claim = _current.get()
    if claim is None or CHANGES_KEY not in session.info:
        return
    # On the connection, not the ORM session: the marker is no change of the mutation's
    # (the audit row's change set), and area scoping has nothing to add to it.
    marked = session.connection().execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == claim.id, IdempotencyRecord.owner == claim.owner)
        .values(committed_at=utcnow())
    )
    if not marked.rowcount:
        raise ClaimLost("the Idempotency-Key was taken over by another request")
    session.info["bangfu_idempotency_claim"] = claim


def _effect_committed(session: Session) -> None:
    claim = session.info.pop("bangfu_idempotency_claim", None)
    if claim is not None:
        claim.committed = True


def install() -> None:
    """Register the listeners that mark a claim in its effects' transactions (idempotent)."""
    for name, listener in (("before_commit", _mark_effect), ("after_commit", _effect_committed)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
