"""Relay's ``Node``: which object types ``node(id:)`` and ``nodes(ids:)`` refetch, and how.

Every object type with an identity implements ``Node`` and is marked with
:func:`node_source`: the model whose rows are its objects, the action its own queries and
fields need, and, for a record about a person, the action that reads it when the person
is a child under 14 (as the person's field that holds the record asks it). The rows are
loaded by key in the request's read session, so area scoping applies exactly as it does
to the type's own queries: an ID outside the caller's area, forged, malformed or of a
type that is not a node gets the same answer as an ID that does not exist (null). A
caller without the type's action gets the FORBIDDEN error its own fields give, audited.

The schema does not start with a ``Node`` type that has no source (:func:`node_sources`).
"""

import dataclasses
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from graphql import GraphQLObjectType
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from bangfu.schema.access import ChildDataGuard
from bangfu.schema.loaders import by_key
from bangfu.schema.permissions import Allowed
from bangfu.schema.relay import parse_key, split_global_id

T = TypeVar("T", bound=type)

Batch = Callable[[Sequence[Any]], Awaitable[list[Any]]]


class NodeSourceError(RuntimeError):
    """A type implements ``Node`` without a :func:`node_source`: the service does not start."""


@dataclasses.dataclass(frozen=True)
class NodeSource:
    """How ``node(id:)`` finds the objects of one type (see :func:`node_source`)."""

    model: type[Any] | None
    read: str
    child: str | None
    person: Callable[[Any], int | None] | None
    id_name: str | None
    key: Callable[[str], Any]
    batch: Callable[[Any], Batch] | None
    loader: str | None

    def load(self, info: Info, type_name: str, key: Any) -> Awaitable[Any]:
        loaders = info.context.loaders
        name = self.loader or f"node:{type_name}"
        found = loaders.get(name)
        if found is None:
            if self.batch is not None:
                batch = self.batch(info.context)
            else:
                assert self.model is not None
                batch = by_key(info.context, self.model, self.model.id)
            found = loaders[name] = DataLoader(batch)
        return found.load(key)


def node_source(
    model: type[Any] | None = None,
    *,
    read: str = "registry:read",
    child: str | None = None,
    person: Callable[[Any], int | None] | None = None,
    id_name: str | None = None,
    key: Callable[[str], Any] = parse_key,
    batch: Callable[[Any], Batch] | None = None,
    loader: str | None = None,
) -> Callable[[T], T]:
    """Mark a Strawberry type that implements ``Node`` as refetchable by ``node(id:)``.

    :param model: the SQLAlchemy model whose rows are the type's objects, loaded by
        ``model.id`` in the request's read session (area scoping applies).
    :param read: the action the type's own queries and fields need (``care:read``,
        ``education:read``); a caller without it gets FORBIDDEN.
    :param child: the action needed when the record is about a child under 14 (the
        ``child=`` of the ``person_data`` rule of the person's field that holds it);
        with ``person``.
    :param person: the key of the person a row is about (``lambda row: row.person_id``);
        a row whose person the caller may not see is not found either.
    :param id_name: the type name inside the global IDs when it is not the GraphQL
        type's name (IDs keep the form clients already hold).
    :param key: parses the key text of a global ID (integer keys by default); a
        ValueError means "no such object".
    :param batch: ``batch(context)`` gives the batch function of keys to objects, when
        the objects are not simply ``model`` rows by ``id``; it must read through
        ``context.read()`` so that area scoping applies.
    :param loader: the name of a request DataLoader that already loads the objects.
    """

    def mark(cls: T) -> T:
        cls.__bangfu_node__ = NodeSource(  # type: ignore[attr-defined]
            model, read, child, person, id_name, key, batch, loader
        )
        return cls

    return mark


_SOURCES: "weakref.WeakKeyDictionary[Any, dict[str, tuple[str, NodeSource]]]" = (
    weakref.WeakKeyDictionary()
)


def node_sources(schema: Any) -> dict[str, tuple[str, NodeSource]]:
    """Per type name of the global IDs: the GraphQL type and its source. Raises
    :class:`NodeSourceError` for a ``Node`` type without one."""
    found = _SOURCES.get(schema)
    if found is not None:
        return found
    found = {}
    for name, type_ in schema._schema.type_map.items():
        if not isinstance(type_, GraphQLObjectType):
            continue
        if not any(interface.name == "Node" for interface in type_.interfaces):
            continue
        definition = (type_.extensions or {}).get("strawberry-definition")
        source = getattr(getattr(definition, "origin", None), "__bangfu_node__", None)
        if not isinstance(source, NodeSource):
            raise NodeSourceError(
                f"type {name} implements Node but declares no node_source: "
                "node(id:) could not refetch it"
            )
        id_name = source.id_name or name
        if id_name in found:
            raise NodeSourceError(f"types {found[id_name][0]} and {name} share global IDs")
        found[id_name] = (name, source)
    _SOURCES[schema] = found
    return found


async def load_node(info: Info, global_id: str, expected: str | None = None) -> Any:
    """The object a global ID names, as the caller may see it; None when there is none."""
    try:
        id_name, text = split_global_id(str(global_id))
    except ValueError:
        return None
    entry = node_sources(info.schema).get(id_name)
    if entry is None or (expected is not None and entry[0] != expected):
        return None
    type_name, source = entry
    try:
        key = source.key(text)
    except ValueError:
        return None
    await _check(info, Allowed(source.read), None)
    row = await source.load(info, type_name, key)
    if row is None or source.person is None:
        return row
    person_id = source.person(row)
    person = None if person_id is None else await info.context.loaders["person"].load(person_id)
    if person is None:
        return None  # about a person outside the caller's area
    if source.child is not None:
        await _check(info, ChildDataGuard(source.child), person)
    return row


async def _check(info: Info, permission: Any, source: Any) -> None:
    if permission.allows(source, info):
        return
    if not await permission.has_permission(source, info):  # audits the denial
        permission.on_unauthorized()
