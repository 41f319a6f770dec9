"""How long a string a client may send: every argument and input field has a bound.

:class:`InputLengthGuard` checks, before any resolver runs, every string an operation
carries — literals in the document and the values of its variables, however deeply
nested in input objects and lists — against the bound of the argument or input field it
is given to:

- a *search* (a field declared with ``metadata=SEARCH``: a name part, a prefix, a school
  name, matched with ``LIKE``) holds at most ``max_search_length`` characters. Longer ones
  can match nothing (names have at most 100 characters) and made SQLite refuse the
  pattern as "too complex";
- anything else (IDs, codes, names, notes, passwords, amounts written as strings) holds
  at most ``max_text_length`` characters: a ceiling above every stored column, so that
  no unbounded string reaches a resolver or the database. What is stored is held to its
  column's length by the write itself (:mod:`bangfu.core.text_limits`), with a payload error.

A string over its bound refuses the whole request with ``BAD_USER_INPUT``, naming the
argument as a dotted path (``filter.search``, ``input.members.0.person.name``).
"""

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    visit,
)
from strawberry.extensions import SchemaExtension

from bangfu.core.config import Settings
from bangfu.core.i18n import _

#: Metadata of a field or argument matched as a search: ``strawberry.field(metadata=SEARCH)``.
SEARCH = {"bangfu.search": True}
#: How many refusals one request gets at most (the rest say nothing new).
MAX_ERRORS = 10


def is_search(definition: GraphQLArgument | GraphQLInputField) -> bool:
    """Whether the argument or input field was declared with ``metadata=SEARCH``."""
    strawberry_definition = definition.extensions.get("strawberry-definition")
    metadata = getattr(strawberry_definition, "metadata", None) or {}
    return bool(metadata.get("bangfu.search"))


class InputLengthGuard(SchemaExtension):
    """Refuses an operation that carries a string over its bound (module docstring)."""

    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        shortest_bound = min(self.settings.max_search_length, self.settings.max_text_length)
        if (
            document is not None
            and context.result is None
            and context.query is not None
            and _longest_literal(context.query, document) <= shortest_bound
            and _longest_value(context.variables) <= shortest_bound
        ):
            pass  # no string of this request can be over any bound: nothing to walk
        elif document is not None and context.result is None:
            operation = get_operation_ast(document, context.operation_name)
            if operation is not None:
                walk = _Walk(context.schema._schema, document, context.variables or {}, self)
                walk.operation(operation)
                if walk.errors:
                    context.result = ExecutionResult(data=None, errors=walk.errors)
        yield

    def bound(self, definition: GraphQLArgument | GraphQLInputField) -> int:
        if is_search(definition):
            return self.settings.max_search_length
        return self.settings.max_text_length


class _Walk:
    """One operation's arguments, with its fragments (each walked once)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any],
        guard: InputLengthGuard,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.guard = guard
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.seen: set[str] = set()
        self.errors: list[GraphQLError] = []

    def operation(self, operation: OperationDefinitionNode) -> None:
        self.selections(operation.selection_set, self.schema.get_root_type(operation.operation))

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                self.selections(selection.selection_set, scope)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in self.seen:
                    self.seen.add(name)
                    scope = self.schema.get_type(fragment.type_condition.name.value)
                    self.selections(fragment.selection_set, scope)

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> None:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return  # __typename and introspection fields: no free text
        for argument in node.arguments or ():
            argument_definition = definition.args.get(argument.name.value)
            if argument_definition is not None:
                self.literal(
                    argument.value,
                    argument_definition.type,
                    self.guard.bound(argument_definition),
                    argument.name.value,
                )
        if node.selection_set is not None:
            child: Any = definition.type
            while isinstance(child, GraphQLNonNull | GraphQLList):
                child = child.of_type
            self.selections(node.selection_set, child)

    def literal(self, value: ValueNode, type_: GraphQLInputType, bound: int, path: str) -> None:
        named = _named(type_)
        if isinstance(value, VariableNode):
            self.value(self.variables.get(value.name.value), named, bound, path)
        elif isinstance(value, StringValueNode):
            self.check(value.value, bound, path, value)
        elif isinstance(value, ListValueNode):
            for index, item in enumerate(value.values):
                self.literal(item, named, bound, f"{path}.{index}")
        elif isinstance(value, ObjectValueNode) and isinstance(named, GraphQLInputObjectType):
            for field in value.fields:
                definition = named.fields.get(field.name.value)
                if definition is not None:
                    self.literal(
                        field.value,
                        definition.type,
                        self.guard.bound(definition),
                        f"{path}.{field.name.value}",
                    )

    def value(self, value: Any, named: Any, bound: int, path: str) -> None:
        """A variable's value (JSON, not coerced yet: shapes that do not fit are left to
        the coercion, which refuses them)."""
        if isinstance(value, str):
            self.check(value, bound, path, None)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.value(item, named, bound, f"{path}.{index}")
        elif isinstance(value, dict) and isinstance(named, GraphQLInputObjectType):
            for name, item in value.items():
                definition = named.fields.get(name)
                if definition is not None:
                    bound = self.guard.bound(definition)
                    self.value(item, _named(definition.type), bound, f"{path}.{name}")

    def check(self, text: str, bound: int, path: str, node: Node | None) -> None:
        if len(text) > bound and len(self.errors) < MAX_ERRORS:
            self.errors.append(
                GraphQLError(
                    _(
                        "{field}: at most {limit} characters (this one has {length})",
                        field=path,
                        limit=bound,
                        length=len(text),
                    ),
                    nodes=node,
                    extensions={"code": "BAD_USER_INPUT"},
                )
            )


#: The longest string literal of each document text (:func:`_longest_literal`).
_LONGEST: "OrderedDict[str, int]" = OrderedDict()
LONGEST_KEPT = 512


def _longest_literal(text: str, document: DocumentNode) -> int:
    """The length of the longest string literal in ``document`` (parsed from ``text``),
    found once per text: a document whose literals and variables are all shorter than
    the shortest bound needs no walk."""
    found = _LONGEST.get(text)
    if found is None:
        lengths = [0]

        class _Strings(Visitor):
            def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
                lengths.append(len(node.value))

        visit(document, _Strings())
        found = _LONGEST[text] = max(lengths)
        if len(_LONGEST) > LONGEST_KEPT:
            _LONGEST.popitem(last=False)
    return found


def _longest_value(value: Any) -> int:
    """The length of the longest string in a variables' JSON value."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return max((_longest_value(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max((_longest_value(v) for v in value), default=0)
    return 0


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_
