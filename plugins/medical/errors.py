"""Why the medical plugin refuses an input: the codes of ``MedicalError``."""

import enum

import strawberry

from core.errors import FieldError


@strawberry.enum(name="MedicalErrorCode", description="Why a medical mutation refused its input.")
class MedicalErrorCode(enum.StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    PARTS_DO_NOT_ADD_UP = "PARTS_DO_NOT_ADD_UP"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    DATE_IN_FUTURE = "DATE_IN_FUTURE"
    UNKNOWN_CONDITION = "UNKNOWN_CONDITION"
    ALREADY_DISCHARGED = "ALREADY_DISCHARGED"
    INVALID_YEAR = "INVALID_YEAR"


@strawberry.type(name="MedicalError", description="One problem with a medical mutation's input.")
class MedicalError:
    field: str | None = strawberry.field(
        description="The input field at fault, as a dotted path (`input.totalCost`)."
    )
    message: str = strawberry.field(description="What is wrong, for a person to read.")
    code: MedicalErrorCode = strawberry.field(description="What is wrong, for a program.")


def to_medical_errors(errors: list[FieldError]) -> list[MedicalError]:
    """Payload errors from the errors of a rolled-back transaction (core's codes too:
    ``decode_id`` answers core's NOT_FOUND for a malformed or foreign ID)."""
    known = {code.value for code in MedicalErrorCode}
    return [
        MedicalError(
            field=e.field,
            message=e.message,
            code=MedicalErrorCode(e.code.value)
            if e.code.value in known
            else MedicalErrorCode.INVALID_INPUT,
        )
        for e in errors
    ]
