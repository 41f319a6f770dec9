"""``bangfu documents add|list|remove``: the trusted documents of each API client and of the
users' applications (``bangfu.core.security.documents``, docs/operations.md).

``add`` reads files of three kinds, and registers every document in them or, when any is
wrong, none:

- a ``.graphql`` (or ``.gql``) file: one document, its exact text (the client must send
  that text, or its SHA-256);
- an Apollo persisted-query manifest (``@apollo/generate-persisted-query-manifest``):
  ``{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id",
  "name", "type", "body"}]}``;
- a map of hashes to documents (GraphQL Code Generator's ``persisted-documents.json``
  with ``hashAlgorithm: "sha256"``): ``{"<sha256>": "<document>"}``.

A manifest's hash must be the SHA-256 of its document's text. Every document must parse
and validate against the schema of the installed plugins. A refusal prints one line naming
the file, the document and the reason, and exits with status 2; every change leaves an
audit row.
"""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.accounts_cli import UsageError, _database, refusing
from bangfu.core.config import Settings
from bangfu.core.i18n import _
from bangfu.core.security import SYSTEM, audit
from bangfu.core.security import documents as trusted
from bangfu.core.security.documents import NewDocument, as_hash, sha256_of
from bangfu.schema.graphql_messages import translated

APOLLO_MANIFEST = "apollo-persisted-query-manifest"
_ARGUMENTS = {"client": "--client", "hash": "HASH"}


def add_commands(commands: Any) -> None:
    """Add ``documents`` to the ``bangfu`` command's sub-commands."""
    documents = commands.add_parser(
        "documents", help=_("trusted documents: what each API client's application may run")
    )
    actions = documents.add_subparsers(dest="documents_command", required=True)
    add = actions.add_parser(
        "add",
        help=_("register the documents of .graphql files or JSON manifests"),
    )
    _owner(add)
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    listing = actions.add_parser("list", help=_("list the documents of a set"))
    _owner(listing)
    remove = actions.add_parser("remove", help=_("remove documents from a set"))
    _owner(remove)
    remove.add_argument("hashes", nargs="*", metavar="HASH")
    remove.add_argument("--all", action="store_true", help=_("remove every document of the set"))


def _owner(parser: argparse.ArgumentParser) -> None:
    owner = parser.add_mutually_exclusive_group(required=True)
    owner.add_argument("--client", metavar="NAME", help=_("the API client's set"))
    owner.add_argument(
        "--users",
        action="store_true",
        help=_("the set of the users' applications (staff who log in with a password)"),
    )


def run(args: argparse.Namespace) -> int:
    """Run a ``documents`` command; 2 (and one line on stderr) when refused."""
    settings = Settings()
    client: str | None = args.client

    def command() -> int:
        if args.documents_command == "add":
            return _add(settings, client, args.files)
        if args.documents_command == "list":
            return _list(settings, client)
        return _remove(settings, client, args.hashes, args.all)

    return refusing(command, _ARGUMENTS)


def _set_name(client: str | None) -> str:
    return client if client is not None else _("the users' applications")


def _add(settings: Settings, client: str | None, files: Sequence[Path]) -> int:
    from bangfu.cli import load_host
    from bangfu.schema.build import build_schema

    schema = build_schema(load_host(), settings)._schema
    found: list[NewDocument] = []
    for path in files:
        found.extend(read_documents(path, schema, settings))

    async def add(session: AsyncSession) -> tuple[int, int]:
        added, already = await trusted.add_documents(session, client, found)
        await audit.record(
            session,
            SYSTEM,
            "cli:documents.add",
            audit.Outcome.OK,
            details={
                "client": client,
                "users": client is None,
                "added": [d.sha256 for d in added],
            },
        )
        return len(added), len(already)

    added, already = _database(settings, add)
    print(
        _(
            "{added} document(s) added to the set of {owner}; {already} were there already",
            added=added,
            owner=_set_name(client),
            already=already,
        )
    )
    return 0


def _list(settings: Settings, client: str | None) -> int:
    async def listing(session: AsyncSession) -> list[trusted.DocumentSummary]:
        return await trusted.list_documents(session, client)

    summaries = _database(settings, listing)
    print(f"{'SHA-256':<64} {'ADDED':<10} OPERATIONS")
    for summary in summaries:
        print(
            f"{summary.sha256:<64} {summary.created_at.date().isoformat():<10} {summary.operations}"
        )
    return 0


def _remove(settings: Settings, client: str | None, hashes: list[str], every: bool) -> int:
    if every == bool(hashes):
        raise UsageError("HASH", _("give the hashes of the documents to remove, or --all"))

    async def remove(session: AsyncSession) -> int:
        removed = await trusted.remove_documents(session, client, None if every else hashes)
        await audit.record(
            session,
            SYSTEM,
            "cli:documents.remove",
            audit.Outcome.OK,
            details={
                "client": client,
                "users": client is None,
                "removed": "all" if every else hashes,
                "count": removed,
            },
        )
        return removed

    removed = _database(settings, remove)
    print(
        _(
            "{removed} document(s) removed from the set of {owner}",
            removed=removed,
            owner=_set_name(client),
        )
    )
    return 0


def read_documents(path: Path, schema: GraphQLSchema, settings: Settings) -> list[NewDocument]:
    """The documents of one file; :class:`UsageError` naming the file, the document and
    the reason when the file cannot be read or any document is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(str(path), exc.strerror or type(exc).__name__) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(str(path), _("the file is not UTF-8 text")) from None
    if path.suffix.lower() != ".json":
        return [_document(path, path.name, text, None, schema, settings)]
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise UsageError(
            str(path), _("the file is not valid JSON ({error})", error=str(exc))
        ) from None
    entries: list[tuple[str, Any, Any]] = []
    if isinstance(manifest, dict) and manifest.get("format") == APOLLO_MANIFEST:
        operations = manifest.get("operations")
        if manifest.get("version") != 1 or not isinstance(operations, list):
            raise UsageError(
                str(path),
                _('an Apollo manifest needs "version": 1 and a list of "operations"'),
            )
        for number, operation in enumerate(operations, start=1):
            if not isinstance(operation, dict):
                raise UsageError(str(path), _("operation {number} is not an object", number=number))
            label = str(operation.get("name") or number)
            entries.append((label, operation.get("id"), operation.get("body")))
    elif isinstance(manifest, dict) and manifest:
        entries = [(str(key), key, body) for key, body in manifest.items()]
    else:
        raise UsageError(
            str(path),
            _(
                "expected an Apollo persisted-query manifest or an object mapping "
                "SHA-256 hashes to documents"
            ),
        )
    return [_document(path, label, body, key, schema, settings) for label, key, body in entries]


def _document(
    path: Path,
    label: str,
    text: Any,
    given_hash: Any,
    schema: GraphQLSchema,
    settings: Settings,
) -> NewDocument:
    where = _("{file}, document {document}", file=path, document=label)
    if not isinstance(text, str) or not text.strip():
        raise UsageError(where, _("the document is empty or not a string"))
    if given_hash is not None:
        sha256 = as_hash(given_hash) if isinstance(given_hash, str) else None
        if sha256 is None or sha256 != sha256_of(text):
            raise UsageError(
                where,
                _(
                    "its hash is not the SHA-256 of its text (GraphQL Code Generator: "
                    "set hashAlgorithm to sha256)"
                ),
            )
    if len(text.encode("utf-8")) > settings.max_body_bytes:
        raise UsageError(
            where,
            _("the document is larger than {limit} bytes", limit=settings.max_body_bytes),
        )
    try:
        document = parse(text, max_tokens=settings.max_tokens)
    except GraphQLError as exc:
        raise UsageError(where, translated(exc.message)) from None
    names = [
        d.name.value if d.name else "(anonymous)"
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    if not names:
        raise UsageError(where, _("the document has no operation"))
    errors = validate(schema, document)
    if errors:
        raise UsageError(where, translated(errors[0].message))
    return NewDocument(text=text, operations=tuple(names))
