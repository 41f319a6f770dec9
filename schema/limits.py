"""Query cost limits: what a GraphQL document may ask for before anything runs.

:func:`limit_extensions` gives the schema extensions, all configured from settings
(``max_tokens``, ``max_directives``, ``max_query_depth``, ``max_aliases``,
``max_query_cost``, ``max_page_size``):

1. at parse: at most ``max_tokens`` tokens (Strawberry's ``MaxTokensLimiter``: parsing stops
   there with one short error);
2. before validation (:class:`QueryGuard`): at most ``max_directives`` directives; fragments
   nested at most :data:`MAX_FRAGMENT_NESTING` deep; and at most ``max_query_cost`` fields
   once fragments are expanded. One error, and the standard validation is skipped: the
   depth and alias limiters below walk the expanded document, so a fragment "bomb" (few
   tokens, exponentially many fields) must be stopped first;
3. validation: depth (``QueryDepthLimiter``), aliases counted through every fragment
   spread (``MaxAliasesLimiter``), introspection off unless enabled, graphql-core's own
   rules (fragment cycles among them);
4. before execution (:class:`QueryGuard` again, with the request's variables): the
   static cost of the operation. Each field costs 1; a field with a ``first`` argument (a
   connection) multiplies the cost of its selection by ``first`` or ``last``
   (``max_page_size`` when absent), ``nodes(ids:)`` by the number of IDs; ``first`` or
   ``last`` outside 1..``max_page_size``, both, or neither (unless ``first`` has a
   default) are refused here too. Over the budget, no resolver runs. Likewise the *scan
   cost*: what the filters and whole-area fields read, priced by the size of the area
   they read (``bangfu.schema.scan_cost``), multiplied by the pages around them, over
   ``max_scan_cost``;
5. then admission (``bangfu.core.admission``): a request whose static and scan cost together
   reach ``expensive_query_cost`` runs in the expensive lane, within the bounds per actor
   and per client address, or is refused with ``TOO_MANY_REQUESTS`` (HTTP 429).
"""

import contextlib
import json
import math
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    VariableNode,
    get_named_type,
    get_operation_ast,
    value_from_ast_untyped,
)
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document

from bangfu.core import i18n, request_scope
from bangfu.core.admission import Busy
from bangfu.core.config import Settings
from bangfu.core.i18n import _
from bangfu.schema.scan_cost import ScanCost, declared, is_connection

MAX_FRAGMENT_NESTING = 32


# graphql-core's OverlappingFieldsCanBeMerged rule aborts validation ("Validation
# aborted.") once it has done this much work. Its default, 500,000, lets one request of
# 2,000 tokens (hundreds of same-named fields) hold the event loop for two seconds; this
# bounds it to about a tenth of a second and still leaves realistic queries far below.
OVERLAP_VALIDATION_BUDGET = 20_000


#: Documents kept parsed (each at most ``max_tokens`` long): a document is parsed once,
#: not once per request (parsing the benchmark's person query cost more than running it).
PARSED_DOCUMENTS = 512


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories of the schema extensions that enforce the limits (one set per request)."""
    overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = OVERLAP_VALIDATION_BUDGET
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        # After the token limit: it sets the parser's limit, which is part of the key.
        partial(ParserCache, maxsize=PARSED_DOCUMENTS),
        partial(QueryGuard, settings=settings),
        partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return extensions


class QueryGuard(SchemaExtension):
    """Directive count, fragment expansion and static cost (see the module docstring)."""

    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings
        self.prices_bottom_line = False  # set by check_cost: the document reads the bottom line

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            error = self.shape_of(context.schema._schema, context.graphql_document, context.query)
            if error is not None:
                # Validation is skipped when errors are already there: one error is answered.
                context.pre_execution_errors = [error]
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = None
        if document is not None and context.result is None:
            operation = get_operation_ast(document, context.operation_name)
        if operation is None:
            yield
            return
        assert document is not None
        request = context.context
        services = getattr(request, "services", None)
        actor = getattr(request, "actor", None)
        schema, variables = context.schema._schema, context.variables or {}
        needs_area = False

        def unknown_area(_region: str | None) -> int:
            nonlocal needs_area
            needs_area = True
            return 0

        def static_cost(stored: bool) -> tuple[list[GraphQLError], float]:
            """The cost before the area is known, kept per document, variables and
            whether the bottom line is stored (admitted documents only)."""
            nonlocal needs_area
            key = _cost_key(schema, context.query, operation, variables, self.settings, stored)
            known = _costs.get(key) if key is not None else None
            if known is not None and key is not None:
                _costs.move_to_end(key)
                errors, cost, self.prices_bottom_line, needs_area = known
                return errors, cost
            errors, cost = self.check_cost(
                schema, document, operation, variables, unknown_area, stored_bottom_line=stored
            )
            if key is not None and not errors:  # a refusal's errors are not shared
                _costs[key] = (errors, cost, self.prices_bottom_line, needs_area)
                if len(_costs) > PARSED_DOCUMENTS:
                    _costs.popitem(last=False)
            return errors, cost

        errors, cost = static_cost(False)
        stored = False
        if self.prices_bottom_line and services is not None:
            # The bottom line is cheap when read from the stored verdicts (asked again at
            # most every area_size_refresh_seconds): only documents that read it ask.
            stored = await services.verdicts.check(
                services.sessions,
                services.host,
                self.settings,
                self.settings.area_size_refresh_seconds,
            )
            if stored:
                errors, cost = static_cost(True)
        if needs_area and not errors and services is not None and actor is not None:
            # Only a document that reads whole areas needs their sizes (counting them again
            # when they are old): requests without such filters run no statement for them.
            sizes = services.area_sizes
            await sizes.refresh_if_older(services.sessions, self.settings.area_size_refresh_seconds)
            area = partial(sizes.persons, actor.area_path)
            errors, cost = self.check_cost(
                schema, document, operation, variables, area, stored_bottom_line=stored
            )
        if errors:
            context.result = ExecutionResult(data=None, errors=errors)
            yield
            return
        if (
            cost < self.settings.expensive_query_cost
            or services is None
            or actor is None
            or not actor.is_authenticated
        ):
            yield
            return
        async with contextlib.AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(
                    services.admission.expensive(
                        f"{actor.kind.value}:{actor.id}", request_scope.client_address()
                    )
                )
            except Busy as busy:
                request.busy = busy  # the HTTP layer answers 429 with Retry-After
                context.result = ExecutionResult(
                    data=None,
                    errors=[GraphQLError(busy.message, extensions={"code": "TOO_MANY_REQUESTS"})],
                )
            yield

    def shape_of(
        self, schema: GraphQLSchema, document: DocumentNode, text: str | None
    ) -> GraphQLError | None:
        """:meth:`check_shape`, kept per schema, document text and limits (like validation:
        it depends on nothing else)."""
        if text is None:
            return self.check_shape(schema, document)
        settings = self.settings
        key = (
            schema,
            text,
            settings.max_directives,
            settings.max_query_cost,
            settings.max_query_depth,
            settings.max_page_size,
            i18n.language(),  # the refusal is written in the request's language
        )
        found = _shapes.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = _shapes[key] = self.check_shape(schema, document)
            if len(_shapes) > PARSED_DOCUMENTS:
                _shapes.popitem(last=False)
        else:
            _shapes.move_to_end(key)
        return found  # type: ignore[return-value]

    def check_shape(self, schema: GraphQLSchema, document: DocumentNode) -> GraphQLError | None:
        settings = self.settings
        directives = count_directives(document)
        if directives > settings.max_directives:
            return GraphQLError(
                _(
                    "the document uses {count} directives; at most {limit} are allowed",
                    count=directives,
                    limit=settings.max_directives,
                ),
                extensions={"code": "TOO_MANY_DIRECTIVES"},
            )
        counter = CostCounter(
            schema, document, cap=settings.max_query_cost, max_page_size=settings.max_page_size
        )
        try:
            size = 0
            for definition in document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    size += counter.operation(definition)[0]
                    if size > settings.max_query_cost:
                        break
        except (_TooDeep, RecursionError):
            return GraphQLError(
                _(
                    "the document nests fragments or fields too deeply (fragments at most "
                    "{fragments} levels, fields at most {fields})",
                    fragments=MAX_FRAGMENT_NESTING,
                    fields=settings.max_query_depth,
                ),
                extensions={"code": "QUERY_TOO_DEEP"},
            )
        if counter.unknown:
            # The depth limiter cannot walk a spread of an unknown fragment: answer
            # graphql-core's own validation error for it here.
            name, spread = counter.unknown[0]
            # In graphql-core's words (English): translated with its other messages.
            return GraphQLError(
                f"Unknown fragment '{name}'.",
                nodes=[spread],
                extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
            )
        if size > settings.max_query_cost:
            return GraphQLError(
                _(
                    "the document selects more than {limit} fields once its fragments are expanded",
                    limit=settings.max_query_cost,
                ),
                extensions={"code": "QUERY_TOO_COMPLEX"},
            )
        return None

    def check_cost(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        area: Callable[[str | None], int] = lambda _region: 0,
        stored_bottom_line: bool | None = None,
    ) -> tuple[list[GraphQLError], float]:
        """The errors refusing the operation (none if it may run) and its whole cost.

        ``stored_bottom_line``: whether reads use the stored verdicts now (default: the
        setting), which makes the bottom line's filters cheap.

        ``area(region_code)``: estimated persons in the actor's area, or in that region of
        it (``bangfu.core.registry.area_sizes``).
        """
        settings = self.settings
        counter = CostCounter(
            schema,
            document,
            cap=settings.max_query_cost,
            max_page_size=settings.max_page_size,
            variables=variables,
            operation=operation,
            area=area,
            scan_cap=settings.max_scan_cost,
            stored_bottom_line=(
                settings.stored_bottom_line if stored_bottom_line is None else stored_bottom_line
            ),
        )
        try:
            cost, scan = counter.operation(operation)
            self.prices_bottom_line = counter.prices_bottom_line
        except (_TooDeep, RecursionError):  # pragma: no cover (refused before validation)
            cost, scan = settings.max_query_cost + 1, 0.0
        if counter.errors:
            return counter.errors, cost + scan
        if cost > settings.max_query_cost:
            return [
                GraphQLError(
                    _(
                        "the query is too costly: its static cost is over the budget of "
                        "{budget} (each field costs 1; `first: n` multiplies the cost of its "
                        "selection by n): ask for smaller pages or fewer fields",
                        budget=settings.max_query_cost,
                    ),
                    extensions={"code": "QUERY_TOO_COSTLY"},
                )
            ], cost + scan
        if scan > settings.max_scan_cost:
            budget = settings.max_scan_cost
            # The count stops just past the budget: beyond it, no exact figure.
            if scan < budget + 1:
                message = _(
                    "the query reads too much: filters and fields that read a whole area "
                    "cost by the persons in it (the at-risk filter 25 a person, a filter "
                    "scanning rows 0.1), and this one comes to about {cost}, over the budget "
                    "of {budget}: narrow it with a regionCode, or ask for fewer of them at once",
                    cost=math.ceil(scan),
                    budget=budget,
                )
            else:
                message = _(
                    "the query reads too much: filters and fields that read a whole area "
                    "cost by the persons in it (the at-risk filter 25 a person, a filter "
                    "scanning rows 0.1), and this one comes to more than {budget}, over the "
                    "budget of {budget}: narrow it with a regionCode, or ask for fewer of them "
                    "at once",
                    budget=budget,
                )
            return [GraphQLError(message, extensions={"code": "SCAN_TOO_COSTLY"})], cost + scan
        return [], cost + scan


class _TooDeep(Exception):
    pass


_UNKNOWN = object()
#: The cost of a document's operation with given variables, before the area is known and
#: without the stored bottom line: (errors, cost, prices_bottom_line, needs_area).
_costs: "OrderedDict[tuple[Any, ...], tuple[list[GraphQLError], float, bool, bool]]" = OrderedDict()


def _cost_key(
    schema: GraphQLSchema,
    text: str | None,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    settings: Settings,
    stored: bool,
) -> tuple[Any, ...] | None:
    """What a document's static cost depends on: None when it cannot be told (no text, or
    variables that do not serialise)."""
    if text is None:
        return None
    try:
        frozen = json.dumps(variables, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return (
        schema,
        text,
        operation.name.value if operation.name else None,
        frozen,
        id(settings),
        stored,
    )


_shapes: "OrderedDict[tuple[Any, ...], GraphQLError | None]" = OrderedDict()


Cost = tuple[int, float]


class CostCounter:
    """The static and scan cost of operations of one document (fragments counted once each).

    Without ``variables`` every multiplier is 1 and nothing is scanned: the cost is then
    the number of fields selected once fragments are expanded. Costs saturate just above
    ``cap`` (static) and ``scan_cap`` (scan).
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        *,
        cap: int,
        max_page_size: int,
        variables: dict[str, Any] | None = None,
        operation: OperationDefinitionNode | None = None,
        area: Callable[[str | None], int] = lambda _region: 0,
        scan_cap: float = math.inf,
        stored_bottom_line: bool = False,
    ) -> None:
        self.schema = schema
        self.stored_bottom_line = stored_bottom_line
        #: Whether a field or filter priced differently with the stored bottom line was met.
        self.prices_bottom_line = False
        self.cap = cap
        self.scan_cap = scan_cap
        self.max_page_size = max_page_size
        self.area = area
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.multiply = variables is not None
        self.variables: dict[str, Any] = {}
        if operation is not None:
            for definition in operation.variable_definitions or ():
                if definition.default_value is not None:
                    self.variables[definition.variable.name.value] = value_from_ast_untyped(
                        definition.default_value
                    )
        self.variables.update(variables or {})
        self.errors: list[GraphQLError] = []
        self.unknown: list[tuple[str, FragmentSpreadNode]] = []
        self._memo: dict[str, Cost] = {}
        self._active: list[str] = []

    def operation(self, operation: OperationDefinitionNode) -> Cost:
        root = self.schema.get_root_type(operation.operation)
        return self.selections(operation.selection_set, root)

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> Cost:
        total, scan = 0, 0.0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                cost = self.selections(selection.selection_set, scope)
            elif isinstance(selection, FragmentSpreadNode):
                if selection.name.value not in self.fragments:
                    self.unknown.append((selection.name.value, selection))
                cost = self.spread(selection.name.value)
            else:  # pragma: no cover (no other kind of selection)
                continue
            total, scan = total + cost[0], scan + cost[1]
            if total > self.cap or scan > self.scan_cap:
                return min(total, self.cap + 1), min(scan, self.scan_cap + 1)
        return total, scan

    def spread(self, name: str) -> Cost:
        if name in self._memo:
            return self._memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._active:
            return 0, 0.0  # unknown fragments and cycles are validation errors
        if len(self._active) >= MAX_FRAGMENT_NESTING:
            raise _TooDeep
        self._active.append(name)
        try:
            scope = self.schema.get_type(fragment.type_condition.name.value)
            cost = self.selections(fragment.selection_set, scope)
        finally:
            self._active.pop()
        self._memo[name] = cost
        return cost

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Cost:
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(node.name.value)
        own_scan = self.scan(node, definition) if self.multiply and definition else 0.0
        if node.selection_set is None:
            return 1, own_scan
        child = get_named_type(definition.type) if definition is not None else None
        multiplier = self.multiplier(node, definition) if self.multiply else 1
        inner, inner_scan = self.selections(node.selection_set, child)
        return (
            min(1 + multiplier * inner, self.cap + 1),
            min(own_scan + multiplier * inner_scan, self.scan_cap + 1),
        )

    def scan(self, node: FieldNode, definition: Any) -> float:
        """What resolving the field reads: its own declared cost and its given filters'."""
        costs: list[ScanCost] = []
        region: str | None = None
        own = declared(definition)
        if own is not None:
            self.prices_bottom_line |= own.stored is not None
            costs.append(own.reading(self.stored_bottom_line))
        for name, argument in definition.args.items():
            value = self.argument(node, name)
            if value is None:
                continue
            inner = get_named_type(argument.type)
            given: list[tuple[Any, Any]] = [(argument, value)]
            if isinstance(inner, GraphQLInputObjectType) and isinstance(value, dict):
                given = [
                    (field, value[key])
                    for key, field in inner.fields.items()
                    if value.get(key) is not None and value[key] != field.default_value
                ]
            for element, given_value in given:
                cost = declared(element)
                if cost is None:
                    continue
                self.prices_bottom_line |= cost.stored is not None
                cost = cost.reading(self.stored_bottom_line)
                costs.append(cost)
                if cost.narrows and isinstance(given_value, str):
                    region = given_value
        fixed = sum(c.fixed for c in costs)
        per_person = sum(c.per_person for c in costs)
        if not per_person:
            return fixed
        reads = 2 if is_connection(definition) and self.selects_total(node) else 1
        return fixed + per_person * self.area(region) * reads

    def selects_total(self, node: FieldNode) -> bool:
        """Whether the connection's ``totalCount`` is selected (it reads all matches)."""
        pending = [node.selection_set] if node.selection_set is not None else []
        seen: set[str] = set()
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode) and selection.name.value == "totalCount":
                    return True
                if isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in self.fragments and name not in seen:
                        seen.add(name)
                        pending.append(self.fragments[name].selection_set)
        return False

    def multiplier(self, node: FieldNode, definition: Any) -> int:
        if definition is None:
            return 1
        if "first" in definition.args:
            first = self.argument(node, "first")
            last = self.argument(node, "last") if "last" in definition.args else None
            if first is not None and last is not None:
                self.errors.append(
                    GraphQLError(
                        _("first and last: give one of them, not both"),
                        nodes=[node],
                        extensions={"code": "BAD_USER_INPUT"},
                    )
                )
            written = {argument.name.value for argument in node.arguments or ()}
            if (
                first is None
                and last is None
                # A variable left out is the variables' own error (INVALID_VARIABLES); an
                # explicit null is the resolver's to refuse.
                and not written & {"first", "last"}
                and definition.args["first"].default_value
                in (
                    None,
                    Undefined,
                )
            ):
                self.errors.append(
                    GraphQLError(
                        _("first or last: one of them is required"),
                        nodes=[node],
                        extensions={"code": "BAD_USER_INPUT"},
                    )
                )
            size = first if first is not None else last
            if not isinstance(size, int) or isinstance(size, bool):
                return self.max_page_size
            if not 1 <= size <= self.max_page_size:
                message = (
                    _("first: must be between 1 and {maximum}", maximum=self.max_page_size)
                    if first is not None
                    else _("last: must be between 1 and {maximum}", maximum=self.max_page_size)
                )
                self.errors.append(
                    GraphQLError(message, nodes=[node], extensions={"code": "BAD_USER_INPUT"})
                )
            return max(1, min(size, self.max_page_size))
        if "ids" in definition.args:
            ids = self.argument(node, "ids")
            return max(1, len(ids)) if isinstance(ids, list) else 1
        return 1

    def argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                if isinstance(argument.value, VariableNode):
                    return self.variables.get(argument.value.name.value)
                return value_from_ast_untyped(argument.value, self.variables)
        return None


def count_directives(document: DocumentNode) -> int:
    """How many directives a document uses (an iterative walk: no recursion limit)."""
    count = 0
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, DirectiveNode):
            count += 1
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, tuple | list):
                stack.extend(item for item in value if isinstance(item, Node))
    return count


class ValidationOnce(SchemaExtension):
    """Validate each distinct document once per schema, not once per request.

    graphql-core's validation walks the document with some thirty rules: for a short query
    (a count) it cost more than executing it. The result depends only on the schema, the
    text of the document and the rules (which the schema's settings fix) — never on who
    asks or on the data — so it is kept
    for the last ``VALIDATED_DOCUMENTS`` documents (each at most ``max_tokens`` long).
    Listed after the limits: a document they refused is not validated nor kept.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, text = context.graphql_document, context.query
        if context.pre_execution_errors is None and document is not None and text is not None:
            # Rules by name: Strawberry's depth and alias limiters build a new rule class
            # for every request, configured from the settings the schema was built with.
            rules = tuple(
                getattr(rule, "__name__", repr(rule)) for rule in context.validation_rules
            )
            key = (context.schema._schema, text, rules)
            errors = _validated.get(key)
            if errors is None:
                errors = validate_document(key[0], document, context.validation_rules)
                _validated[key] = errors
                if len(_validated) > VALIDATED_DOCUMENTS:
                    _validated.popitem(last=False)
            else:
                _validated.move_to_end(key)
            context.pre_execution_errors = list(errors)
        yield


VALIDATED_DOCUMENTS = 512
_validated: "OrderedDict[tuple[Any, str, tuple[str, ...]], list[GraphQLError]]" = OrderedDict()
