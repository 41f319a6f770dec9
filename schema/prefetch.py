"""Load a page's nested data level by level before the executor walks it.

GraphQL execution resolves a page of 100 households field by field: thousands of fields,
and every one that awaits a DataLoader costs the executor a coroutine, a future and, in a
list, a task. Here the page's resolver walks the query's selection once, ahead of
execution: for each level it calls the selected fields' resolvers on *all* the level's
objects at once, so that each loader runs one batch, and descends into what they return.
When the executor then reaches those fields, their resolvers find every value already
loaded and return it synchronously (:func:`ready`): the page resolves with a handful of
awaits instead of thousands. A resolver the walk did not reach (not marked, or below a
field it skipped) still loads on its own, as before, so the walk changes speed only.

A field takes part when its resolver is marked :func:`prefetchable`: it must be a plain
(``def``) resolver that reads only ``self``, ``info.context`` and its scalar arguments,
loads through the request's DataLoaders, has no side effect, and returns either a value
or an awaitable (build it with :func:`ready` and :func:`then`). Plugins mark theirs the
same way (see "Fast fields" in ``docs/plugins/hooks.md``).

The walk asks each field's access rule before it calls the resolver, object by object,
as the executor will (``bangfu.schema.access.core_guard``): a field refused for an object (a
child's medical data for an education officer) loads nothing for that object, not even
into memory, and a field whose rule the walk cannot ask ahead loads nothing here. The
executor then refuses, audits and reports as it always does.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
)
from strawberry.dataloader import DataLoader

from bangfu.schema.access import core_guard

T = TypeVar("T")

MARK = "__bangfu_prefetchable__"
DIRECT = "__bangfu_direct__"
_SCALARS = (bool, int, float, str)
_WALKING: ContextVar[bool] = ContextVar("bangfu_prefetch_walking", default=False)


class Misses:
    """Loads that were not ready when the executor asked (``late``): for tests and
    profiling, to show which fields a page's walk did not reach."""

    late = 0


misses = Misses()


def prefetchable(resolver: Callable[..., T]) -> Callable[..., T]:
    """Mark a resolver that a page may call ahead of execution for a whole level (it is
    also :func:`direct`)."""
    setattr(resolver, MARK, True)
    return direct(resolver)


def direct(resolver: Callable[..., T]) -> Callable[..., T]:
    """Mark a plain (``def``) resolver that reads only ``self``, ``info.context`` and
    scalar arguments: the executor calls it without Strawberry's per-field wrapper
    (``bangfu.schema.execution.install_direct_resolvers``)."""
    setattr(resolver, DIRECT, True)
    return resolver


def ready(loader: DataLoader[Any, Any], key: Any) -> Any:
    """The loader's value for ``key`` if it is already loaded, else the awaitable.

    Typed ``Any``: a resolver annotated ``-> T`` returns ``T`` or an awaitable of ``T``,
    which the executor awaits."""
    future: Any = loader.load(key)
    if future.done():
        return future.result()  # raises the loader's error, as awaiting would
    if not _WALKING.get():
        misses.late += 1
    return future


def then(value: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` of ``value`` now when it is a value; an awaitable of it when it is not.
    ``fn`` may itself return an awaitable (a second loader): the result is awaited."""
    if inspect.isawaitable(value):

        async def chained() -> Any:
            result = fn(await value)
            return await result if inspect.isawaitable(result) else result

        return chained()
    return fn(value)


async def prefetch(info: Any, objects: Sequence[Any], *, path: Sequence[str] = ()) -> None:
    """Load what the current field's selection needs below ``objects``.

    ``info`` is the resolver's Strawberry ``Info``; ``path`` names the fields between the
    current field and the objects (``("nodes",)`` for a connection's nodes; the edges'
    ``node`` is followed too). Never raises: a resolver that fails here fails again, and
    is reported, when the executor reaches it. Does nothing when the fast path is off
    (``BANGFU_FAST_PATH``): each field then loads through its DataLoader as it resolves."""
    if not info.context.settings.fast_path:
        return
    raw = info._raw_info
    walk = _Walk(info, raw.schema, raw.fragments, _variables(raw))
    type_ = get_named_type(raw.return_type)
    nodes: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        if not isinstance(type_, GraphQLObjectType):
            return
        nodes = walk.subfields(type_, nodes, only=name, follow_edges=name == "nodes")
        field = type_.fields.get(name)
        if field is None:
            return
        type_ = get_named_type(field.type)
    if isinstance(type_, GraphQLObjectType) and objects and nodes:
        token = _WALKING.set(True)
        try:
            await walk.level(type_, list(objects), nodes)
        except Exception:  # only a head start: execution reports the error
            return
        finally:
            _WALKING.reset(token)


def selected(info: Any) -> set[str]:
    """The names of the fields selected directly below the current field (fragments
    followed, ``@skip``/``@include`` applied)."""
    raw = info._raw_info
    type_ = get_named_type(raw.return_type)
    if not isinstance(type_, GraphQLObjectType):
        return set()
    walk = _Walk(info, raw.schema, raw.fragments, _variables(raw))
    return {
        child.name.value
        for node in raw.field_nodes
        if node.selection_set is not None
        for child in walk._collect(type_, node.selection_set)
    }


def _variables(raw: Any) -> VariableValues:
    variables = raw.variable_values
    if isinstance(variables, VariableValues):
        return variables
    return VariableValues(sources={}, coerced=dict(variables or {}))  # Strawberry: a dict


class _Walk:
    def __init__(self, info: Any, schema: GraphQLSchema, fragments: Any, variables: Any) -> None:
        self.info = info
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def _collect(
        self, type_: GraphQLObjectType, selection: SelectionSetNode
    ) -> Iterable[FieldNode]:
        for node in selection.selections:
            if not self._included(node):
                continue
            if isinstance(node, FieldNode):
                yield node
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                if condition is None or condition.name.value == type_.name:
                    yield from self._collect(type_, node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                definition = getattr(fragment, "definition", fragment)
                if definition is not None and definition.type_condition.name.value == type_.name:
                    yield from self._collect(type_, definition.selection_set)

    def subfields(
        self,
        type_: GraphQLObjectType,
        nodes: Sequence[FieldNode],
        *,
        only: str,
        follow_edges: bool = False,
    ) -> list[FieldNode]:
        """The selections below the fields named ``only`` (and ``edges { node }``)."""
        found: list[FieldNode] = []
        for node in nodes:
            if node.selection_set is None:
                continue
            for child in self._collect(type_, node.selection_set):
                if child.name.value == only:
                    found.append(child)
                elif follow_edges and child.name.value == "edges" and child.selection_set:
                    edges = get_named_type(type_.fields["edges"].type)
                    if isinstance(edges, GraphQLObjectType):
                        found += [
                            n
                            for n in self._collect(edges, child.selection_set)
                            if n.name.value == "node"
                        ]
        return found

    async def level(
        self, type_: GraphQLObjectType, objects: list[Any], nodes: Sequence[FieldNode]
    ) -> None:
        by_field: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is None:
                continue
            for child in self._collect(type_, node.selection_set):
                by_field.setdefault(child.name.value, []).append(child)
        pending: list[tuple[Any, list[Any], list[FieldNode]]] = []
        awaiting: list[Awaitable[Any]] = []
        for name, children in by_field.items():
            field = type_.fields.get(name)
            definition = None if field is None else field.extensions.get("strawberry-definition")
            resolver = getattr(getattr(definition, "base_resolver", None), "wrapped_func", None)
            if field is None or resolver is None or not getattr(resolver, MARK, False):
                continue
            readable = self._readable(definition, objects)
            if not readable:
                continue
            child_type = get_named_type(field.type)
            for child in children:  # aliases with other arguments are called separately
                arguments = self._arguments(field, definition, child)
                if arguments is None:
                    continue
                results = [self._call(resolver, obj, arguments) for obj in readable]
                for result in results:
                    if inspect.isawaitable(result):
                        awaiting.append(result)
                pending.append((child_type, results, [child]))
        if awaiting:
            done = iter(await asyncio.gather(*awaiting, return_exceptions=True))
            for _, results, _ in pending:
                for i, result in enumerate(results):
                    if inspect.isawaitable(result):
                        results[i] = next(done)
        deeper = []
        for child_type, results, children in pending:
            if not isinstance(child_type, GraphQLObjectType):
                continue
            values = _flatten(results)
            if values and any(c.selection_set is not None for c in children):
                deeper.append(self.level(child_type, values, children))
        if deeper:
            await asyncio.gather(*deeper)

    def _readable(self, definition: Any, objects: list[Any]) -> list[Any]:
        """The objects whose field the actor may read, asked as the field asks (its
        core guard, per object: a child's data depends on the child): nothing is loaded
        for the others, not even into memory. A field with a check the walk cannot ask
        ahead loads nothing here; the executor runs the check and loads."""
        guard = core_guard(definition)
        if guard is None:
            return objects
        if guard is False or guard is True:
            return []
        return [obj for obj in objects if guard._allowed(obj, self.info)]

    def _arguments(self, field: Any, definition: Any, node: FieldNode) -> dict[str, Any] | None:
        """The resolver's keyword arguments, or None when one is not a plain scalar."""
        if not node.arguments:
            return {}
        values = get_argument_values(field, node, self.variables)
        by_graphql = {a.graphql_name or a.python_name: a for a in definition.arguments}
        arguments: dict[str, Any] = {}
        for name, value in values.items():
            argument = by_graphql.get(name)
            if argument is None or not isinstance(value, _SCALARS):
                return None
            arguments[argument.python_name] = value
        return arguments

    def _call(self, resolver: Callable[..., Any], obj: Any, arguments: dict[str, Any]) -> Any:
        try:
            if _takes_info(resolver):
                return resolver(obj, info=self.info, **arguments)
            return resolver(obj, **arguments)
        except Exception as error:  # reported by execution, not here
            return error


def _takes_info(resolver: Callable[..., Any]) -> bool:
    cached = getattr(resolver, "__bangfu_takes_info__", None)
    if cached is None:
        cached = "info" in inspect.signature(resolver).parameters
        resolver.__bangfu_takes_info__ = cached  # type: ignore[attr-defined]
    return bool(cached)


def _flatten(results: list[Any]) -> list[Any]:
    values: list[Any] = []
    for result in results:
        if result is None or isinstance(result, BaseException):
            continue
        if isinstance(result, list | tuple):
            values.extend(r for r in result if r is not None)
        else:
            values.append(result)
    return values
