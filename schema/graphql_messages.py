"""graphql-core's and Strawberry's own messages in the reader's language.

graphql-core writes its syntax, validation and coercion errors in English, built with
f-strings. Each common shape is listed here as a msgid (marked with ``N_`` for the
catalog) whose named placeholders stand where graphql-core puts a name or a value; the
msgid itself becomes an anchored regular expression, and a message that matches one is
answered with its translation, the captured names filled in. A message of any other shape
stays as graphql-core wrote it. ``tests/test_messages_api.py`` checks every shape against
graphql-core's real output, so an upgrade that rewords one fails there.

Two placeholders are read specially: ``{reason}`` is itself one of these messages
(``Variable '$x' has invalid value: Int cannot represent ...``) and is translated in
turn; ``{suggestions}`` (``'id' or 'ids'``) is the list of names graphql-core suggests,
written as a list in the reader's language.
"""

import re
import string
from functools import cache

from bangfu.core import i18n
from bangfu.core.i18n import N_, _

#: The shapes, most specific first (the first that matches is used).
SHAPES: tuple[str, ...] = (
    # Syntax.
    N_("Syntax Error: Document contains more than {limit} tokens. Parsing aborted."),
    N_("Syntax Error: Expected {expected}, found {found}."),
    N_("Syntax Error: Unexpected {found}."),
    N_("Syntax Error: Unterminated string."),
    N_("Syntax Error: {detail}"),
    # Validation: fields, arguments, types.
    N_("Cannot query field '{field}' on type '{type}'. Did you mean {suggestions}?"),
    N_("Cannot query field '{field}' on type '{type}'."),
    N_("Unknown argument '{argument}' on field '{field}'. Did you mean {suggestions}?"),
    N_("Unknown argument '{argument}' on field '{field}'."),
    N_("Unknown type '{type}'. Did you mean {suggestions}?"),
    N_("Unknown type '{type}'."),
    N_(
        "Field '{field}' of type '{type}' must have a selection of subfields. "
        "Did you mean '{field} {{ ... }}'?"
    ),
    N_("Field '{field}' must not have a selection since type '{type}' has no subfields."),
    N_("Argument '{argument}' of type '{type}' is required, but it was not provided."),
    N_("Argument '{argument}' of required type '{type}' was not provided."),
    N_("Argument '{argument}' has invalid value: {reason}"),
    N_("Expected variable '${variable}' provided to type '{type}' to provide a runtime value."),
    N_("There can be only one argument named '{argument}'."),
    N_("There can be only one input field named '{field}'."),
    N_("Unknown directive '@{directive}'."),
    N_("Directive '@{directive}' may not be used on {location}."),
    N_("The directive '@{directive}' can only be used once at this location."),
    # Validation: operations and fragments.
    N_("This anonymous operation must be the only defined operation."),
    N_("There can be only one operation named '{operation}'."),
    N_("Unknown fragment '{fragment}'."),
    N_("Fragment '{fragment}' is never used."),
    N_("There can be only one fragment named '{fragment}'."),
    N_("Cannot spread fragment '{fragment}' within itself."),
    N_(
        "Fragment '{fragment}' cannot be spread here as objects of type '{type}' can never "
        "be of type '{fragment_type}'."
    ),
    N_("Too many validation errors, error limit reached. Validation aborted."),
    N_(
        "Fields '{field}' conflict because {reason}. Use different aliases on the fields to "
        "fetch both if this was intentional."
    ),
    N_("subfields '{field}' conflict because {reason}"),
    N_("'{first}' and '{second}' are different fields"),
    N_("they have differing arguments"),
    N_("they return conflicting types '{first}' and '{second}'"),
    # Variables.
    N_("Variable '${variable}' is never used in operation '{operation}'."),
    N_("Variable '${variable}' is never used."),
    N_("Variable '${variable}' is not defined by operation '{operation}'."),
    N_("Variable '${variable}' is not defined."),
    N_("Variable '${variable}' of type '{type}' used in position expecting type '{expected}'."),
    N_("Variable '${variable}' has invalid value at {path}: {reason}"),
    N_("Variable '${variable}' has invalid value: {reason}"),
    # Values.
    N_("Expected a value of non-null type '{type}' to be provided."),
    N_("Expected value of non-null type '{type}' not to be None."),
    N_("Expected value of type '{type}' to be an object, found: {value}."),
    N_("Expected value of type '{type}' to include required field '{field}', found: {value}."),
    N_("Expected value of type '{type}' not to include unknown field '{field}', found: {value}."),
    N_("Value '{value}' does not exist in '{enum}' enum. Did you mean {suggestions}?"),
    N_("Value '{value}' does not exist in '{enum}' enum."),
    N_("Int cannot represent non 32-bit signed integer value: {value}"),
    N_("Int cannot represent non-integer value: {value}"),
    N_("Float cannot represent non numeric value: {value}"),
    N_("String cannot represent a non string value: {value}"),
    N_("Boolean cannot represent a non boolean value: {value}"),
    N_("ID cannot represent a non-string and non-integer value: {value}"),
    # Execution.
    N_("Cannot return null for non-nullable field {field}."),
    N_("Unknown operation named '{operation}'."),
    N_("Must provide operation name if query contains multiple operations."),
    # Strawberry's limits and its HTTP view.
    N_("'{operation}' exceeds maximum operation depth of {limit}"),
    N_("{count} aliases found. Allowed: {limit}"),
    N_(
        "GraphQL introspection has been disabled, but the requested query contained the "
        "field '{field}'."
    ),
    N_("No GraphQL query found in the request"),
    N_('Unknown operation named "{operation}".'),
)

_QUOTED = re.compile(r"'([^']*)'")


@cache
def _pattern(msgid: str) -> re.Pattern[str]:
    """``msgid`` as an anchored expression: its text literally, each placeholder a group
    (a placeholder used twice must match the same text twice)."""
    parts: list[str] = []
    seen: set[str] = set()
    for literal, name, _spec, _conversion in string.Formatter().parse(msgid):
        parts.append(re.escape(literal))
        if name is None:
            continue
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def translated(message: str) -> str:
    """graphql-core's ``message`` in the current language; as it is when its shape is not
    in :data:`SHAPES`, or in English."""
    if i18n.language() == "en":
        return message
    for msgid in SHAPES:
        match = _pattern(msgid).match(message)
        if match is None:
            continue
        values = match.groupdict()
        if "reason" in values:
            values["reason"] = translated(values["reason"])
        if "suggestions" in values:
            values["suggestions"] = _suggestions(values["suggestions"])
        return _(msgid, **values)
    return message


def _suggestions(text: str) -> str:
    names = _QUOTED.findall(text)
    return "、".join(f"'{name}'" for name in names) if names else text


def matches(msgid: str, message: str) -> bool:
    """Whether ``message`` (in English, as graphql-core or Strawberry wrote it) has the
    shape ``msgid`` of :data:`SHAPES`."""
    return _pattern(msgid).match(message) is not None
