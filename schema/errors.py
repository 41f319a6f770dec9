"""Payload errors: expected failures are data, not exceptions."""

import strawberry

from core.errors import DomainError, ErrorCode, FieldError

ErrorCodeType = strawberry.enum(
    ErrorCode, name="ErrorCode", description="Why an input was refused."
)


@strawberry.type(description="One problem with a mutation's input. Nothing was changed.")
class Error:
    field: str | None = strawberry.field(
        description="The input field at fault, as a dotted path (`input.members.0.idNumber`)."
    )
    message: str = strawberry.field(description="What is wrong, for a person to read.")
    code: ErrorCode = strawberry.field(description="What is wrong, for a program to test.")


def errors_of(exc: DomainError) -> list[Error]:
    return [to_error(e) for e in exc.errors]


def to_error(error: FieldError) -> Error:
    return Error(field=error.field, message=error.message, code=ErrorCode(error.code))
