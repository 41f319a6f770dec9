"""Request errors: the operation to run, and a code for every error of a request that
nothing executed of.

A *request error* (GraphQL over HTTP) is refused before any field runs: the answer has no
``data`` (``bangfu.http.graphql_answer``). :class:`RequestErrors` gives each one an
``extensions.code``, so that a program never reads the English message:

- ``GRAPHQL_PARSE_FAILED``: a syntax error; ``TOO_MANY_TOKENS``: the document is longer
  than ``max_tokens`` (parsing stops there);
- ``OPERATION_NAME_REQUIRED``: a document of several operations without ``operationName``;
  ``OPERATION_NOT_FOUND``: an ``operationName`` that names none of them. Both are refused
  right after parsing, before anything else looks at the document: Strawberry would
  otherwise run the first operation (``mutation m { logout } query q { ... }`` logged the
  caller out);
- ``GRAPHQL_VALIDATION_FAILED``: the document does not validate against the schema;
  ``QUERY_TOO_DEEP`` and ``TOO_MANY_ALIASES``: the depth and alias limits;
  ``INTROSPECTION_DISABLED``: ``__schema`` or ``__type`` where introspection is off;
- ``INVALID_VARIABLES``: a variable's value does not fit its type.

The limits of ``bangfu.schema.limits`` (``TOO_MANY_DIRECTIVES``, ``QUERY_TOO_COMPLEX``,
``QUERY_TOO_COSTLY``, ``SCAN_TOO_COSTLY``, ``BAD_USER_INPUT`` for ``first``) and the
refusals of ``bangfu.schema.auth`` carry their own codes already; an error with a code
keeps it.
"""

from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from bangfu.core.i18n import N_, _
from bangfu.schema.graphql_messages import matches

OPERATION_NAME_REQUIRED = N_(
    "the document has {count} operations: name the one to run in `operationName`"
)
OPERATION_NOT_FOUND = N_("the document has no operation named '{name}'")

#: The message shapes (``bangfu.schema.graphql_messages``) of validation errors that have
#: a code of their own.
VALIDATION_CODES = {
    "'{operation}' exceeds maximum operation depth of {limit}": "QUERY_TOO_DEEP",
    "{count} aliases found. Allowed: {limit}": "TOO_MANY_ALIASES",
    "GraphQL introspection has been disabled, but the requested query contained the "
    "field '{field}'.": "INTROSPECTION_DISABLED",
}
TOKEN_LIMIT = "Syntax Error: Document contains more than {limit} tokens. Parsing aborted."


class RequestErrors(SchemaExtension):
    """Codes for request errors, and one operation per request (see the module docstring).

    List it first among the schema's extensions: the end of each of its hooks then runs
    after every other extension's, and sees their errors too.
    """

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:
            # A syntax error raised by ``ParserCache``, which parses in its own hook: it
            # leaves by the operation, which Strawberry answers with it as it is.
            add_code(error, parse_code(error.message))
            raise

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if context.pre_execution_errors:
            for error in context.pre_execution_errors:
                add_code(error, parse_code(error.message))
            return
        if context.graphql_document is not None:
            # What the request named; Strawberry's ``operation_name`` falls back to the
            # first operation's, which is exactly what must not happen.
            named: str | None = context._provided_operation_name
            refusal = operation_refusal(context.graphql_document, named)
            if refusal is not None:
                # Raised, not stored: Strawberry checks the operation's type before
                # validation, and would refuse a mutation over GET on the first operation.
                raise refusal

    def on_validate(self) -> Iterator[None]:
        yield
        context = self.execution_context
        for error in context.pre_execution_errors or ():
            add_code(error, validation_code(error.message))

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if (
            result is not None
            and result.errors
            and result.data is None
            and not any(e.path for e in result.errors)
        ):
            # Nothing executed, and every limit and refusal before execution has its code:
            # graphql-core refused the variables.
            for error in result.errors:
                add_code(error, "INVALID_VARIABLES")


def operation_refusal(document: DocumentNode, name: str | None) -> GraphQLError | None:
    """Why no single operation of ``document`` can be run for ``operationName`` ``name``."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        if len(operations) > 1:
            return GraphQLError(
                _(OPERATION_NAME_REQUIRED, count=len(operations)),
                extensions={"code": "OPERATION_NAME_REQUIRED"},
            )
        return None
    if not any(o.name is not None and o.name.value == name for o in operations):
        return GraphQLError(
            _(OPERATION_NOT_FOUND, name=name), extensions={"code": "OPERATION_NOT_FOUND"}
        )
    return None


def parse_code(message: str) -> str:
    """The code of a syntax error with ``message``."""
    return "TOO_MANY_TOKENS" if matches(TOKEN_LIMIT, message) else "GRAPHQL_PARSE_FAILED"


def validation_code(message: str) -> str:
    """The code of a validation error with ``message`` (graphql-core's or a limit's)."""
    for shape, code in VALIDATION_CODES.items():
        if matches(shape, message):
            return code
    return "GRAPHQL_VALIDATION_FAILED"


def add_code(error: GraphQLError, code: str) -> None:
    """Give ``error`` the ``extensions.code`` ``code`` unless it has one.

    In place: Strawberry answers the very objects it collected (its lists are made before
    this extension's hooks end), and validation's errors are kept for the next request
    with the same document (``bangfu.schema.limits.ValidationOnce``), with the same code.
    """
    if "code" not in (error.extensions or {}):
        error.extensions = {**(error.extensions or {}), "code": code}
