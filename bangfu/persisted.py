"""Persisted documents: a GraphQL request may name its document by hash instead of sending it.

:class:`PersistedDocuments` is an ASGI middleware inside :class:`bangfu.http.TransportGuard`
(the body is checked already). It turns a request that names a document by hash, in
``extensions.persistedQuery`` (``{"version": 1, "sha256Hash": ...}``, Apollo's protocol) or in
``documentId`` (``"sha256:..."``, GraphQL over HTTP's persisted documents), into an ordinary
one carrying the document's text, so that everything after it (authentication, limits,
execution, ``Idempotency-Key``) sees what it always sees. The hash is the SHA-256 of the
text, in lower-case hexadecimal; a request with both a text and a hash that is not the
text's is refused (400 ``PERSISTED_QUERY_HASH_MISMATCH``). Two modes (docs/api.md):

- **Automatic persisted queries** (``Settings.persisted_queries``, the development
  profile): a hash the process does not know is answered ``PERSISTED_QUERY_NOT_FOUND``, and
  the client sends the text with the hash; a text that parses and validates is then kept,
  in memory, in a least-recently-used cache of ``persisted_queries_cache_bytes`` per server
  process (:class:`DocumentCache`). Nothing is written to the database: a document is
  sent again to a process that has forgotten it or never saw it, which costs one round
  trip.
- **Trusted documents** (``Settings.trusted_documents``, the production profile): the only
  documents that run are those an administrator registered (``bangfu documents add``,
  :mod:`bangfu.core.security.documents`) for the caller's API client or, for a user who
  logged in, for the users' applications; by hash, or by the text itself (a text whose
  hash is registered runs like its hash). Anything else is refused (403
  ``TRUSTED_DOCUMENT_REQUIRED``), except a document that selects only what any caller may
  without registering it: ``login``, ``logout``, ``plugins``, ``__typename`` (and
  introspection, where it is on). A request without a token has nothing registered; it
  may send only such documents, as text (the endpoint answers 401 to anything else).
  Nothing is learnt automatically.

Unknown hashes are answered as Apollo Server answers them: HTTP 200 (400 for a client that
asks for ``application/graphql-response+json``, as every request error) with the error
``PersistedQueryNotFound``, code ``PERSISTED_QUERY_NOT_FOUND``; with both modes off, a hash
alone is ``PERSISTED_QUERY_NOT_SUPPORTED``. Those two messages are the protocol's own words,
the same in every language: clients (Apollo's link, urql) recognise them by code or by
message, and then send the text.
"""

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    parse,
    validate,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from bangfu.core.i18n import N_, _
from bangfu.core.security import ANONYMOUS
from bangfu.core.security.auth import actor_for_token
from bangfu.core.security.documents import as_hash, find_for_token, sha256_of
from bangfu.http import (
    GRAPHQL_RESPONSE,
    RequestRefused,
    answer_media_type,
    error_response,
    replay_body,
)
from bangfu.schema.context import Services

#: Root fields any caller may select in a document nobody registered: logging in and out,
#: what the service is, and introspection (on in development only).
UNREGISTERED_ROOT_FIELDS = frozenset(
    {"login", "logout", "plugins", "__typename", "__schema", "__type"}
)
#: The protocol's own messages (Apollo Server's): clients match them, so never translated.
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
NOT_SUPPORTED_MESSAGE = "PersistedQueryNotSupported"


class DocumentCache:
    """Documents by hash, at most ``max_bytes`` of text; the least recently used go first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._documents: OrderedDict[str, str] = OrderedDict()

    def get(self, sha256: str) -> str | None:
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    def put(self, sha256: str, document: str) -> None:
        cost = len(document.encode("utf-8"))
        if cost > self.max_bytes or sha256 in self._documents:
            return
        self._documents[sha256] = document
        self.size += cost
        while self.size > self.max_bytes:
            _hash, dropped = self._documents.popitem(last=False)
            self.size -= len(dropped.encode("utf-8"))

    def __len__(self) -> int:
        return len(self._documents)


@dataclass
class NamedDocument:
    """What a request says of its document: its text, its hash, or both."""

    query: str | None
    sha256: str | None
    operation_name: str | None


TRUSTED_ONLY_MESSAGE = N_(
    "only registered documents run here: send the hash of a document registered for your "
    "application (bangfu documents add)"
)


def named_document(params: dict[str, Any]) -> NamedDocument:
    """The document of a GraphQL request object (``query``, ``extensions``, ``documentId``,
    ``operationName``); 400 ``BAD_REQUEST`` naming the field when one is malformed."""
    query = params.get("query")
    if not isinstance(query, str | None):
        raise _bad_request(_("`query` must be a string"))
    hashes: list[str] = []
    extensions = params.get("extensions") or {}
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is not None:
        if not isinstance(persisted, dict):
            raise _bad_request(_("`extensions.persistedQuery` must be an object"))
        if persisted.get("version") != 1:
            raise _bad_request(
                _("`extensions.persistedQuery.version` must be 1, the only version there is")
            )
        given = persisted.get("sha256Hash")
        sha256 = as_hash(given) if isinstance(given, str) else None
        if sha256 is None:
            raise _bad_request(
                _("`extensions.persistedQuery.sha256Hash` must be 64 hexadecimal digits")
            )
        hashes.append(sha256)
    document_id = params.get("documentId")
    if document_id is not None:
        sha256 = as_hash(document_id) if isinstance(document_id, str) else None
        if sha256 is None:
            raise _bad_request(
                _("`documentId` must be 'sha256:' followed by 64 hexadecimal digits")
            )
        hashes.append(sha256)
    if len(set(hashes)) > 1:
        raise _bad_request(
            _("`documentId` and `extensions.persistedQuery.sha256Hash` name different documents")
        )
    operation_name = params.get("operationName")
    return NamedDocument(
        query,
        hashes[0] if hashes else None,
        operation_name if isinstance(operation_name, str) else None,
    )


class PersistedDocuments:
    """ASGI middleware: a document named by hash becomes its text (see the module)."""

    def __init__(
        self, app: ASGIApp, services: Services, schema: GraphQLSchema, path: str = "/graphql"
    ) -> None:
        self.app = app
        self.services = services
        self.settings = services.settings
        self.schema = schema
        self.path = path
        self.cache = DocumentCache(self.settings.persisted_queries_cache_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].rstrip("/") != self.path
            or scope["method"] not in ("GET", "POST")
        ):
            await self.app(scope, receive, send)
            return
        try:
            if scope["method"] == "GET":
                await self._get(scope, receive, send)
            else:
                await self._post(scope, receive, send)
        except RequestRefused as refused:
            # Answered here, through ``send``: a client that asked for
            # application/graphql-response+json gets its status (bangfu.http).
            response = error_response(
                refused.status, refused.message, refused.code, refused.headers, refused.extensions
            )
            await response(scope, receive, send)

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _body(receive)
        trusted = self.settings.trusted_documents_enabled
        if not trusted and b"persistedQuery" not in body and b"documentId" not in body:
            await self.app(scope, replay_body(body, receive), send)  # nothing to look at
            return
        payload = json.loads(body)  # valid JSON: TransportGuard checked it
        if not isinstance(payload, dict):  # the endpoint refuses it
            await self.app(scope, replay_body(body, receive), send)
            return
        query = await self.document_for(named_document(payload), scope)
        if query is not None and query != payload.get("query"):
            payload["query"] = query
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            _set_header(scope, b"content-length", str(len(body)).encode())
        await self.app(scope, replay_body(body, receive), send)

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("query_string", b"").decode("utf-8", errors="replace")
        pairs = parse_qsl(raw, keep_blank_values=True)
        params: dict[str, Any] = {}
        for key, value in pairs:
            params.setdefault(key, value)
        extensions = params.get("extensions")
        if isinstance(extensions, str):
            try:
                params["extensions"] = json.loads(extensions) if extensions else None
            except ValueError:  # TransportGuard refused malformed JSON already
                params["extensions"] = None
        query = await self.document_for(named_document(params), scope)
        if query is not None and query != params.get("query"):
            operation = _operation_type(query, params.get("operationName"), self.settings)
            if operation is not None and operation is not OperationType.QUERY:
                raise RequestRefused(
                    405,
                    _("mutations are not allowed over GET: use POST"),
                    "METHOD_NOT_ALLOWED",
                    {"Allow": "POST"},
                )
            pairs = [(k, v) for k, v in pairs if k != "query"] + [("query", query)]
            scope["query_string"] = urlencode(pairs).encode("ascii")
        await self.app(scope, receive, send)

    async def document_for(self, named: NamedDocument, scope: Scope) -> str | None:
        """The text to run for ``named``, or a :class:`RequestRefused`."""
        if named.query is not None and named.sha256 is not None:
            if sha256_of(named.query) != named.sha256:
                raise RequestRefused(
                    400,
                    _(
                        "the hash sent with the document is not its SHA-256: send the "
                        "SHA-256 of the exact text of `query`"
                    ),
                    "PERSISTED_QUERY_HASH_MISMATCH",
                )
        if self.settings.trusted_documents_enabled:
            return await self._trusted(named, scope)
        if self.settings.persisted_queries_enabled:
            return self._automatic(named)
        if named.query is None and named.sha256 is not None:
            raise ProtocolAnswer(NOT_SUPPORTED_MESSAGE, "PERSISTED_QUERY_NOT_SUPPORTED")
        return named.query

    def _automatic(self, named: NamedDocument) -> str | None:
        if named.sha256 is None:
            return named.query
        if named.query is None:
            found = self.cache.get(named.sha256)
            if found is None:
                raise ProtocolAnswer(NOT_FOUND_MESSAGE, "PERSISTED_QUERY_NOT_FOUND")
            return found
        if self._valid(named.query):
            self.cache.put(named.sha256, named.query)
        return named.query

    def _valid(self, query: str) -> bool:
        """Whether a document parses (within the token limit) and validates: only such
        documents are kept, as Apollo Server keeps them."""
        try:
            document = parse(query, max_tokens=self.settings.max_tokens, no_location=True)
        except (GraphQLError, RecursionError):
            return False
        return not validate(self.schema, document)

    async def _trusted(self, named: NamedDocument, scope: Scope) -> str | None:
        if named.query is None and named.sha256 is None:
            return None  # no document at all (GraphiQL's page): the endpoint answers
        token = _bearer(scope)
        if token is None:
            if named.query is None:  # nothing is registered for a caller without a token
                raise ProtocolAnswer(NOT_FOUND_MESSAGE, "PERSISTED_QUERY_NOT_FOUND")
            return named.query  # the endpoint lets only public fields through (else 401)
        sha256 = named.sha256 or sha256_of(named.query or "")
        async with self.services.sessions() as session:
            session.info["actor"] = ANONYMOUS
            found = await find_for_token(session, token, sha256)
            if found is not None:
                return found
            if named.query is None:
                raise ProtocolAnswer(NOT_FOUND_MESSAGE, "PERSISTED_QUERY_NOT_FOUND")
            if only_unregistered_fields(named.query, named.operation_name, self.settings):
                return named.query
            if await actor_for_token(session, token, self.settings) is None:
                return named.query  # the endpoint answers 401 first: log in again
        raise RequestRefused(403, _(TRUSTED_ONLY_MESSAGE), "TRUSTED_DOCUMENT_REQUIRED")


async def subscription_refusal(context: Any, query: str) -> GraphQLError | None:
    """Where trusted documents are on, a subscription runs only if its document is
    registered for the subscriber's set, as a request over HTTP would: else the refusal,
    ``TRUSTED_DOCUMENT_REQUIRED`` (``GuardedSchema.stream_check``)."""
    settings = context.settings
    if not settings.trusted_documents_enabled or context.token is None:
        return None
    async with context.services.sessions() as session:
        session.info["actor"] = ANONYMOUS
        if await find_for_token(session, context.token, sha256_of(query)) is not None:
            return None
    return GraphQLError(_(TRUSTED_ONLY_MESSAGE), extensions={"code": "TRUSTED_DOCUMENT_REQUIRED"})


def only_unregistered_fields(query: str, operation_name: str | None, settings: Any) -> bool:
    """Whether the operation ``query`` would run selects only root fields any caller may
    run without registering the document (:data:`UNREGISTERED_ROOT_FIELDS`)."""
    try:
        document = parse(query, max_tokens=settings.max_tokens, no_location=True)
    except (GraphQLError, RecursionError):
        return False
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return False
    return root_fields(document, operation) <= UNREGISTERED_ROOT_FIELDS


def root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> set[str]:
    """The names of the root fields ``operation`` selects, through its fragments too."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    seen: set[str] = set()
    pending: list[SelectionSetNode] = [operation.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)
                elif name not in fragments:
                    names.add("")  # an unknown fragment: never public
    return names


def _operation_type(query: str, operation_name: Any, settings: Any) -> OperationType | None:
    try:
        document = parse(query, max_tokens=settings.max_tokens, no_location=True)
    except (GraphQLError, RecursionError):
        return None
    operation = get_operation_ast(
        document, operation_name if isinstance(operation_name, str) else None
    )
    return None if operation is None else operation.operation


class ProtocolAnswer(RequestRefused):
    """``PERSISTED_QUERY_NOT_FOUND`` or ``..._NOT_SUPPORTED``: a GraphQL request error
    answered HTTP 200 (as Apollo Server does), 400 in ``application/graphql-response+json``
    (GraphQL over HTTP), never kept by a cache."""

    def __init__(self, message: str, code: str) -> None:
        status = 400 if answer_media_type() == GRAPHQL_RESPONSE else 200
        super().__init__(status, message, code, {"Cache-Control": "no-store"})


def _bad_request(message: str) -> RequestRefused:
    return RequestRefused(400, message, "BAD_REQUEST")


def _bearer(scope: Scope) -> str | None:
    """The bearer token of the request, or None (a malformed header is the endpoint's to
    refuse)."""
    for key, value in scope["headers"]:
        if key.lower() == b"authorization":
            scheme, _sep, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


def _set_header(scope: Scope, name: bytes, value: bytes) -> None:
    scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != name] + [(name, value)]


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
