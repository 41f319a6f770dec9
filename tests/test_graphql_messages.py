"""graphql-core's and Strawberry's own messages in Chinese (bangfu.schema.graphql_messages):
every shape of the table against the real output of the installed graphql-core, so an
upgrade that rewords a message fails here."""

from collections.abc import Callable
from typing import Any

import pytest
from graphql import GraphQLError, build_schema, execute_sync, parse, validate

from bangfu.core import i18n
from bangfu.schema import graphql_messages
from bangfu.schema.graphql_messages import SHAPES, translated

SCHEMA = build_schema(
    """
    type Query {
      int(arg: Int): Int
      float(arg: Float): Float
      str(arg: String): String
      bool(arg: Boolean): Boolean
      id(arg: ID): ID
      obj: Obj
      nonNull: String!
      req(arg: Int!): Int
      input(arg: In): Int
      enum(arg: Color): Int
      pet: Pet
    }
    type Obj { name: String nonNull: String! }
    input In { a: Int! b: String }
    enum Color { RED GREEN }
    interface Pet { name: String }
    type Dog implements Pet { name: String }
    type Cat implements Pet { name: String age: Int }
    """
)


def _messages(
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    operation: str | None = None,
    validated: bool = True,
    max_tokens: int | None = None,
    max_errors: int | None = None,
) -> list[str]:
    """What graphql-core answers: parse, validate, execute, as a server does."""
    try:
        parsed = parse(document, max_tokens=max_tokens)
    except GraphQLError as error:
        return [error.message]
    if validated:
        errors = validate(SCHEMA, parsed, max_errors=max_errors)
        if errors:
            return [error.message for error in errors]
    result = execute_sync(
        SCHEMA, parsed, root_value={}, variable_values=variables, operation_name=operation
    )
    return [error.message for error in result.errors or ()]


Case = Callable[[], list[str]]

#: For every graphql-core shape: a request whose answer has a message of that shape.
GRAPHQL_CORE: dict[str, Case] = {
    "Syntax Error: Document contains more than {limit} tokens. Parsing aborted.": lambda: _messages(
        "{ a b c d }", max_tokens=2
    ),
    "Syntax Error: Expected {expected}, found {found}.": lambda: _messages("{ int"),
    "Syntax Error: Unexpected {found}.": lambda: _messages("{ int } }"),
    "Syntax Error: Unterminated string.": lambda: _messages('{ str(arg: "x) }'),
    "Syntax Error: {detail}": lambda: _messages("{ int(arg: 0x1) }"),
    "Cannot query field '{field}' on type '{type}'. Did you mean {suggestions}?": lambda: _messages(
        "{ ints }"
    ),
    "Cannot query field '{field}' on type '{type}'.": lambda: _messages("{ zzzzzz }"),
    "Unknown argument '{argument}' on field '{field}'. Did you mean {suggestions}?": lambda: (
        _messages("{ int(ar: 1) }")
    ),
    "Unknown argument '{argument}' on field '{field}'.": lambda: _messages("{ int(zzzz: 1) }"),
    "Unknown type '{type}'. Did you mean {suggestions}?": lambda: _messages(
        "query($x: Innt) { int(arg: $x) }"
    ),
    "Unknown type '{type}'.": lambda: _messages("query($x: Zzzzzz) { int(arg: $x) }"),
    "Field '{field}' of type '{type}' must have a selection of subfields. "
    "Did you mean '{field} {{ ... }}'?": lambda: _messages("{ obj }"),
    "Field '{field}' must not have a selection since type '{type}' has no subfields.": lambda: (
        _messages("{ int { a } }")
    ),
    "Argument '{argument}' of type '{type}' is required, but it was not provided.": lambda: (
        _messages("{ req }")
    ),
    "Argument '{argument}' of required type '{type}' was not provided.": lambda: _messages(
        "{ req }", validated=False
    ),
    "Argument '{argument}' has invalid value: {reason}": lambda: _messages(
        "query($x: Int) { req(arg: $x) }", {}, validated=False
    ),
    "Expected variable '${variable}' provided to type '{type}' to provide a runtime value.": (
        lambda: _messages("query($x: Int) { req(arg: $x) }", {}, validated=False)
    ),
    "There can be only one argument named '{argument}'.": lambda: _messages(
        "{ int(arg: 1, arg: 2) }"
    ),
    "There can be only one input field named '{field}'.": lambda: _messages(
        "{ input(arg: {a: 1, a: 2}) }"
    ),
    "Unknown directive '@{directive}'.": lambda: _messages("{ int @zzzz }"),
    "Directive '@{directive}' may not be used on {location}.": lambda: _messages(
        "query @include(if: true) { int }"
    ),
    "The directive '@{directive}' can only be used once at this location.": lambda: _messages(
        "{ int @include(if: true) @include(if: true) }"
    ),
    "This anonymous operation must be the only defined operation.": lambda: _messages(
        "{ int } { str }"
    ),
    "There can be only one operation named '{operation}'.": lambda: _messages(
        "query A { int } query A { str }"
    ),
    "Unknown fragment '{fragment}'.": lambda: _messages("{ ...F }"),
    "Fragment '{fragment}' is never used.": lambda: _messages(
        "{ int } fragment F on Query { int }"
    ),
    "There can be only one fragment named '{fragment}'.": lambda: _messages(
        "{ ...F } fragment F on Query { int } fragment F on Query { int }"
    ),
    "Cannot spread fragment '{fragment}' within itself.": lambda: _messages(
        "{ ...F } fragment F on Query { ...F }"
    ),
    "Fragment '{fragment}' cannot be spread here as objects of type '{type}' can never "
    "be of type '{fragment_type}'.": lambda: _messages(
        "{ obj { ...F } } fragment F on Dog { name }"
    ),
    "Too many validation errors, error limit reached. Validation aborted.": lambda: _messages(
        "{ a b }", max_errors=1
    ),
    "Fields '{field}' conflict because {reason}. Use different aliases on the fields to "
    "fetch both if this was intentional.": lambda: _messages("{ int: str int }"),
    "subfields '{field}' conflict because {reason}": lambda: _messages(
        "{ obj { name } obj { name: nonNull } }"
    ),
    "'{first}' and '{second}' are different fields": lambda: _messages("{ int: str int }"),
    "they have differing arguments": lambda: _messages("{ int(arg: 1) int(arg: 2) }"),
    "they return conflicting types '{first}' and '{second}'": lambda: _messages(
        "{ pet { ... on Dog { x: name } ... on Cat { x: age } } }"
    ),
    "Variable '${variable}' is never used in operation '{operation}'.": lambda: _messages(
        "query A($x: Int) { int }"
    ),
    "Variable '${variable}' is never used.": lambda: _messages("query($x: Int) { int }"),
    "Variable '${variable}' is not defined by operation '{operation}'.": lambda: _messages(
        "query A { int(arg: $x) }"
    ),
    "Variable '${variable}' is not defined.": lambda: _messages("{ int(arg: $x) }"),
    "Variable '${variable}' of type '{type}' used in position expecting type '{expected}'.": (
        lambda: _messages("query($x: Int) { req(arg: $x) }")
    ),
    "Variable '${variable}' has invalid value at {path}: {reason}": lambda: _messages(
        "query($x: In) { input(arg: $x) }", {"x": {"a": "s"}}
    ),
    "Variable '${variable}' has invalid value: {reason}": lambda: _messages(
        "query($x: Int) { int(arg: $x) }", {"x": "abc"}
    ),
    "Expected a value of non-null type '{type}' to be provided.": lambda: _messages(
        "query($x: Int!) { req(arg: $x) }", {}
    ),
    "Expected value of non-null type '{type}' not to be None.": lambda: _messages(
        "{ req(arg: null) }"
    ),
    "Expected value of type '{type}' to be an object, found: {value}.": lambda: _messages(
        "{ input(arg: 1) }"
    ),
    "Expected value of type '{type}' to include required field '{field}', found: {value}.": (
        lambda: _messages('{ input(arg: {b: "x"}) }')
    ),
    "Expected value of type '{type}' not to include unknown field '{field}', found: {value}.": (
        lambda: _messages("{ input(arg: {a: 1, zz: 2}) }")
    ),
    "Value '{value}' does not exist in '{enum}' enum. Did you mean {suggestions}?": lambda: (
        _messages("{ enum(arg: REDD) }")
    ),
    "Value '{value}' does not exist in '{enum}' enum.": lambda: _messages("{ enum(arg: ZZZZZZ) }"),
    "Int cannot represent non 32-bit signed integer value: {value}": lambda: _messages(
        "{ int(arg: 99999999999) }"
    ),
    "Int cannot represent non-integer value: {value}": lambda: _messages('{ int(arg: "a") }'),
    "Float cannot represent non numeric value: {value}": lambda: _messages('{ float(arg: "a") }'),
    "String cannot represent a non string value: {value}": lambda: _messages("{ str(arg: 1) }"),
    "Boolean cannot represent a non boolean value: {value}": lambda: _messages("{ bool(arg: 1) }"),
    "ID cannot represent a non-string and non-integer value: {value}": lambda: _messages(
        "{ id(arg: 1.5) }"
    ),
    "Cannot return null for non-nullable field {field}.": lambda: _messages("{ nonNull }"),
    "Unknown operation named '{operation}'.": lambda: _messages("query A { int }", operation="Z"),
    "Must provide operation name if query contains multiple operations.": lambda: _messages(
        "query A { int } query B { int }"
    ),
}

#: Strawberry's shapes, met in requests to Bangfu (tests/test_messages_api.py).
STRAWBERRY = {
    "'{operation}' exceeds maximum operation depth of {limit}",
    "{count} aliases found. Allowed: {limit}",
    "GraphQL introspection has been disabled, but the requested query contained the "
    "field '{field}'.",
    "No GraphQL query found in the request",
    'Unknown operation named "{operation}".',
}


def test_every_shape_has_a_case() -> None:
    assert set(SHAPES) == set(GRAPHQL_CORE) | STRAWBERRY


def _reasons(message: str) -> list[str]:
    """The message and the messages nested in its ``{reason}``."""
    found = [message]
    for msgid in SHAPES:
        match = graphql_messages._pattern(msgid).match(message)
        if match is not None:
            if "reason" in match.groupdict():
                found += _reasons(match["reason"])
            break
    return found


@pytest.mark.parametrize("shape", sorted(GRAPHQL_CORE))
def test_graphql_core_still_writes_the_shape(shape: str) -> None:
    """Some message graphql-core writes for the case (or nested in one) has the shape;
    its translation is the catalog's, every placeholder filled, no English left."""
    messages = [nested for message in GRAPHQL_CORE[shape]() for nested in _reasons(message)]
    matching = [m for m in messages if graphql_messages._pattern(shape).match(m)]
    assert matching, f"graphql-core no longer writes {shape!r}; it wrote {messages}"
    for message in matching:
        first = next(s for s in SHAPES if graphql_messages._pattern(s).match(message))
        assert first == shape, f"{message!r} is taken by the earlier shape {first!r}"
        with i18n.speaking("zh"):
            chinese = translated(message)
        assert chinese != message
        assert "{" not in chinese.replace("{ ... }", "").replace("{ ", "")
    with i18n.speaking("en"):
        assert all(translated(m) == m for m in messages)


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "Cannot query field 'idd' on type 'Household'. Did you mean 'id' or 'ids'?",
            "类型 'Household' 上没有字段 'idd'。您是否要查询 'id'、'ids'？",
        ),
        (
            "Variable '$x' has invalid value: Int cannot represent non-integer value: 'abc'",
            "变量 '$x' 的值无效：Int 类型只接受整数，收到的值为：'abc'",
        ),
        (
            "Field 'households' of type 'HouseholdConnection!' must have a selection of "
            "subfields. Did you mean 'households { ... }'?",
            "字段 'households'（类型 'HouseholdConnection!'）必须选择子字段，例如 "
            "'households { ... }'。",
        ),
        ("Syntax Error: Expected Name, found <EOF>.", "语法错误：此处应为 Name，实际为 <EOF>。"),
        ("A message of a shape not in the table.", "A message of a shape not in the table."),
    ],
)
def test_a_message_in_chinese(english: str, chinese: str) -> None:
    with i18n.speaking("zh"):
        assert translated(english) == chinese
    with i18n.speaking("en"):
        assert translated(english) == english
