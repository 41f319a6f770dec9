"""The executor, with a short path for plain leaf fields.

Most fields of a page are plain leaves: an attribute of a row or a dataclass, a scalar or
an enum, no arguments, no resolver, no permission. graphql-core gives each the whole
treatment: a resolve-info object, argument coercion, Strawberry's resolver wrapper and
``complete_value``'s chain of type checks, about ten microseconds a field, which on a
page of households with their bottom lines (25,000 fields) is most of the request.

:class:`Executor` resolves such a field as the spec says it must be resolved — read the
attribute, coerce the value with the type's ``coerce_output_value`` — and hands every
other case to graphql-core unchanged: a field with a resolver, an extension (a
permission), arguments or an object type; a null where the type is non-null, an
exception, an awaitable, a value the scalar refuses. Those go through the ordinary path,
which raises the ordinary error. Field middleware (none in Bangfu) turns it off.
"""

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    is_leaf_type,
)
from graphql.pyutils import Undefined
from sqlalchemy.exc import DBAPIError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.utils.str_converters import to_camel_case

from bangfu.schema import compiled
from bangfu.schema.access import core_guard
from bangfu.schema.permissions import Guard
from bangfu.schema.prefetch import DIRECT

_PLAN = "_bangfu_leaf_plan"

log = logging.getLogger("bangfu.compiled")

#: The versions this module and ``bangfu.schema.prefetch`` were tested with: they use private
#: parts of both (pyproject.toml pins the same ranges; tests/test_fast_path_versions.py
#: fails when another version is installed, so an upgrade is a conscious act).
TESTED_WITH = {"strawberry-graphql": ">=0.341.2,<0.342", "graphql-core": ">=3.3.2,<3.4"}


@dataclass(frozen=True)
class _Plan:
    """How a field takes the short path: its leaf type, whether it is non-null, whether
    it is a list of non-null leaves, the Python attribute, and the core guard to ask
    first (None: no permission on the field)."""

    leaf: GraphQLLeafType
    non_null: bool
    many: bool
    attribute: str
    guard: Guard | None


def _plan(field: GraphQLField) -> _Plan | None:
    """The short path of ``field``, or None when it takes the ordinary one."""
    if _PLAN in field.__dict__:
        return field.__dict__[_PLAN]
    plan = None
    definition = field.extensions.get("strawberry-definition")
    guard = core_guard(definition)
    if (
        definition is not None
        and getattr(definition, "base_resolver", True) is None
        and guard is not False
        and not field.args
        and definition.default_resolver is getattr
    ):
        type_: Any = field.type
        non_null = isinstance(type_, GraphQLNonNull)
        if non_null:
            type_ = type_.of_type
        many = isinstance(type_, GraphQLList) and isinstance(type_.of_type, GraphQLNonNull)
        leaf = type_.of_type.of_type if many else type_
        if is_leaf_type(leaf):
            plan = _Plan(leaf, non_null, many, definition.python_name, guard or None)  # type: ignore[arg-type]
    field.__dict__[_PLAN] = plan
    return plan


class _ContextOnly:
    """What a core permission's ``allows`` reads of ``info``: the context."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


class Executor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the plain-leaf short path."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        if path.prev is None and self._compiling:
            try:
                root_plan = compiled.plan_for(self, field_details_list, path.key)
            except Exception:  # a defect of the planner: the ordinary path answers
                log.warning("planning %s failed; ordinary path used", path.key, exc_info=True)
                root_plan = None
            if isinstance(root_plan, compiled.RootPlan):
                return self._run_plan(
                    root_plan, parent_type, source, field_details_list, path, position_context
                )
        middleware = self.middleware_manager
        if self._fast and (middleware is None or middleware._middleware_resolvers is None):
            node = field_details_list[0].node
            field = parent_type.fields.get(node.name.value)
            plan = None if field is None or node.arguments else _plan(field)
            if plan is not None and (
                plan.guard is None or plan.guard._allowed(source, self._info)  # type: ignore[arg-type]
            ):
                value = _leaf(plan, source)
                if value is not Undefined and (value is not None or not plan.non_null):
                    return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    @functools.cached_property
    def _fast(self) -> bool:
        settings = getattr(self.context_value, "settings", None)
        return settings is None or bool(settings.fast_path)

    @functools.cached_property
    def _compiling(self) -> bool:
        """Whether this operation's root fields may run as plans: a query, with
        compiled execution on, in the service's own context."""
        settings = getattr(self.context_value, "settings", None)
        return (
            settings is not None
            and bool(getattr(settings, "compiled", False))
            and self.operation.operation is OperationType.QUERY
            and hasattr(self.context_value, "services")
        )

    async def _run_plan(
        self,
        plan: "compiled.RootPlan",
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        """The plan's answer, or the ordinary path's when the plan gives way."""
        try:
            value = await compiled.run(plan, self, field_details_list, path.key)
            compiled.STATS["compiled"] += 1
            return value
        except compiled.Fallback as reason:
            compiled.STATS[f"fallback: {reason}"] += 1
        except Exception as error:  # a defect of the plan: answer on the ordinary path, say so
            log.warning("compiled plan of %s failed; ordinary path used", path.key, exc_info=True)
            if isinstance(error, DBAPIError):  # PostgreSQL refuses more in that transaction
                await self.context_value.discard_read_session()
            if compiled.refused_by_database(error):  # never tried again by this process
                compiled.PLANS.refuse(plan.key, f"the database refused the plan: {error}")
                compiled.STATS["fallback: the database refused the plan"] += 1
        result = super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
        return await result if inspect.isawaitable(result) else result

    @functools.cached_property
    def _info(self) -> _ContextOnly:
        return _ContextOnly(self.context_value)


def _leaf(plan: _Plan, source: Any) -> Any:
    """The coerced value, or ``Undefined`` to take the ordinary path."""
    try:
        value = getattr(source, plan.attribute)
        if value is None:
            return None
        if plan.many:
            if not isinstance(value, list | tuple):
                return Undefined
            items = [plan.leaf.coerce_output_value(v) for v in value]
            if any(c is None or c is Undefined for c in items):
                return Undefined
            return items
        if isinstance(value, Exception) or hasattr(value, "__await__"):
            return Undefined
        coerced = plan.leaf.coerce_output_value(value)
    except Exception:  # the ordinary path raises it again, located
        return Undefined
    return Undefined if coerced is None else coerced


def install_direct_resolvers(schema: GraphQLSchema) -> int:
    """Resolve every field whose resolver is marked ``direct`` (``bangfu.schema.prefetch``)
    without Strawberry's per-field wrapper; returns how many fields were changed.

    Strawberry wraps each resolver in a function that builds an ``Info``, converts the
    arguments and chains the field extensions: a dozen calls per field, for a resolver
    that reads an attribute and a loaded value. A direct resolver is called by the
    replacement with graphql-core's own ``info`` (which has ``context``, all a direct
    resolver may read) and its scalar arguments renamed to their Python names, after the
    field's core guard says yes. Anything else — a guard that says no (it audits and
    refuses), an argument that is not a plain scalar — goes through Strawberry's wrapper.
    """
    changed = 0
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for field in type_.fields.values():
            direct = _direct_resolver(field)
            if direct is not None:
                field.resolve = direct
                changed += 1
    return changed


def _direct_resolver(field: GraphQLField) -> Callable[..., Any] | None:
    definition: Any = field.extensions.get("strawberry-definition")
    base: Any = getattr(definition, "base_resolver", None)
    function = getattr(base, "wrapped_func", None)
    if function is None or not getattr(function, DIRECT, False) or base.is_async:
        return None
    found = core_guard(definition)
    if found is False or found is True:
        return None
    guard: Guard | None = found
    names: dict[str, str] = {}
    for argument in definition.arguments:
        if argument.type not in (bool, int, float, str):
            return None
        names[argument.graphql_name or to_camel_case(argument.python_name)] = argument.python_name
    parameters = list(inspect.signature(function).parameters)
    if not parameters or parameters[0] not in ("self", "root"):
        return None
    takes_info = "info" in parameters
    wrapped = field.resolve

    def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
        if guard is not None and not guard._allowed(source, info):
            return wrapped(source, info, **kwargs)  # type: ignore[misc]
        arguments = {names[k]: v for k, v in kwargs.items()}
        if takes_info:
            return function(source, info=info, **arguments)
        return function(source, **arguments)

    return resolve
