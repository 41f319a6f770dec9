"""Trusted documents: the GraphQL documents each API client, and the users' applications,
may run where trusted documents are on (the production profile).

An administrator registers them with ``bangfu documents add``; each is stored once per
set, by the SHA-256 (lower-case hexadecimal) of its exact text, as clients send it
(``extensions.persistedQuery.sha256Hash`` or ``documentId``). A set is an API client's
(by its name) or the users' (``client=None``: the applications of the staff who log in).
What a request may run is decided in ``bangfu.persisted``; this module stores and finds.
"""

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.db import utcnow
from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.i18n import _
from bangfu.core.security.models import ApiClient, TrustedDocument
from bangfu.core.security.tokens import aware, is_client_token, token_digest

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: The prefix of a ``documentId`` (GraphQL over HTTP, "Persisted Documents").
DOCUMENT_ID_PREFIX = "sha256:"


def sha256_of(text: str) -> str:
    """The hash a document is stored and asked for by: SHA-256 of its UTF-8 text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_hash(value: str) -> str | None:
    """``value`` as a stored hash (64 lower-case hex digits, with or without the
    ``sha256:`` prefix of a ``documentId``), or None when it is not one."""
    value = value.removeprefix(DOCUMENT_ID_PREFIX).lower()
    return value if _SHA256.match(value) else None


@dataclasses.dataclass(frozen=True)
class NewDocument:
    """A document to register: its text and the names of its operations."""

    text: str
    operations: tuple[str, ...]

    @property
    def sha256(self) -> str:
        return sha256_of(self.text)


@dataclasses.dataclass(frozen=True)
class DocumentSummary:
    """What ``bangfu documents list`` shows of one document."""

    owner: str  # the client's name, or "" for the users' set
    sha256: str
    operations: str
    created_at: dt.datetime


async def _client_id(session: AsyncSession, client: str | None) -> int | None:
    """The set's owner: the client's ID, or None for the users' set."""
    if client is None:
        return None
    found = await session.scalar(select(ApiClient.id).where(ApiClient.name == client))
    if found is None:
        raise DomainError.of(
            "client", _("no client named {name}", name=repr(client)), ErrorCode.NOT_FOUND
        )
    return found


async def add_documents(
    session: AsyncSession, client: str | None, documents: Sequence[NewDocument]
) -> tuple[list[NewDocument], list[NewDocument]]:
    """Register ``documents`` in the set of ``client`` (None: the users'); flushes.

    :returns: the documents added and those the set held already (left as they were).
    """
    owner = await _client_id(session, client)
    held = set(await session.scalars(select(TrustedDocument.sha256).where(_owned_by(owner))))
    added: list[NewDocument] = []
    already: list[NewDocument] = []
    for document in documents:
        if document.sha256 in held:
            already.append(document)
            continue
        held.add(document.sha256)
        session.add(
            TrustedDocument(
                client_id=owner,
                sha256=document.sha256,
                operations=" ".join(document.operations)[:500],
                document=document.text,
                created_at=utcnow(),
            )
        )
        added.append(document)
    await session.flush()
    return added, already


async def list_documents(session: AsyncSession, client: str | None) -> list[DocumentSummary]:
    """The documents of ``client``'s set (None: the users'), oldest first."""
    owner = await _client_id(session, client)
    rows = await session.scalars(
        select(TrustedDocument)
        .where(_owned_by(owner))
        .order_by(TrustedDocument.created_at, TrustedDocument.id)
    )
    return [
        DocumentSummary(client or "", d.sha256, d.operations, aware(d.created_at)) for d in rows
    ]


async def remove_documents(
    session: AsyncSession, client: str | None, hashes: Sequence[str] | None
) -> int:
    """Remove from ``client``'s set (None: the users') the documents with ``hashes`` (None:
    all of them); how many were removed. A hash that is not in the set is refused, and
    nothing is removed."""
    owner = await _client_id(session, client)
    statement = delete(TrustedDocument).where(_owned_by(owner))
    if hashes is not None:
        wanted = []
        for value in hashes:
            sha256 = as_hash(value)
            if sha256 is None:
                raise DomainError.of(
                    "hash",
                    _(
                        "{value} is not a document's hash: 64 hexadecimal digits, "
                        "as `bangfu documents list` shows them",
                        value=repr(value),
                    ),
                    ErrorCode.INVALID_INPUT,
                )
            wanted.append(sha256)
        held = set(
            await session.scalars(
                select(TrustedDocument.sha256).where(
                    _owned_by(owner),
                    TrustedDocument.sha256.in_(wanted),
                )
            )
        )
        missing = [h for h in wanted if h not in held]
        if missing:
            raise DomainError.of(
                "hash",
                _("the set holds no document {hash}", hash=missing[0]),
                ErrorCode.NOT_FOUND,
            )
        statement = statement.where(TrustedDocument.sha256.in_(wanted))
    result = await session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def find_for_token(session: AsyncSession, token: str, sha256: str) -> str | None:
    """The text of the document ``sha256`` registered for the bearer of ``token``: a
    client token's client, any other token the users' set. Whether the token is valid is
    not checked here (the GraphQL endpoint answers 401 for one that is not)."""
    query = select(TrustedDocument.document).where(TrustedDocument.sha256 == sha256)
    if is_client_token(token):
        client = select(ApiClient.id).where(ApiClient.digest == token_digest(token))
        query = query.where(TrustedDocument.client_id == client.scalar_subquery())
    else:
        query = query.where(TrustedDocument.client_id.is_(None))
    return await session.scalar(query.limit(1))


def _owned_by(owner: int | None) -> ColumnElement[bool]:
    column = TrustedDocument.client_id
    return column.is_(None) if owner is None else column == owner
