"""Payload errors: expected failures are data, not exceptions.

Every payload error type, core's ``CoreError`` and each plugin's, implements the interface
``Error`` (``field``, ``message``, ``code``). ``code`` is one GraphQL enum, ``ErrorCode``,
composed at schema build from core's codes and every plugin's declared codes
(:func:`compose_error_codes`), so a client tests one set of codes whoever refused it.
"""

import enum
from collections.abc import Mapping, Sequence

import strawberry
from strawberry.types.enum import EnumValue

from bangfu.core.errors import ErrorCode

ErrorCodeType = strawberry.enum(
    ErrorCode,
    name="ErrorCode",
    description="Why an input was refused: core's codes and every plugin's (docs/api.md).",
)


def compose_error_codes(codes: Mapping[str, Sequence[str]]) -> None:
    """Make the GraphQL enum ``ErrorCode`` hold exactly ``codes`` (name → declaring modules).

    Called by ``build_schema`` before the schema is made: a schema keeps the enum it was
    built with, so composing anew for the next build (other plugins) does not change it.
    """
    definition = ErrorCode.__strawberry_definition__  # type: ignore[attr-defined]
    definition.values = [
        EnumValue(name=code, value=code, description=f"declared by {', '.join(owners)}")
        for code, owners in sorted(codes.items())
    ]


@strawberry.interface(
    name="Error", description="One problem with a mutation's input. Nothing was changed."
)
class Error:
    field: str | None = strawberry.field(
        description="The input field at fault, as a dotted path (`input.members.0.idNumber`)."
    )
    message: str = strawberry.field(description="What is wrong, for a person to read.")
    # Any declared code: core's ErrorCode or a plugin's own enum member of the same name.
    code: enum.StrEnum = strawberry.field(
        graphql_type=ErrorCode, description="What is wrong, for a program to test."
    )


@strawberry.type(name="CoreError", description="One problem with a core mutation's input.")
class CoreError(Error):
    pass
