"""Why the medical plugin refuses an input: the codes of ``MedicalError``."""

import enum

import strawberry

from bangfu.plugin import Error


class MedicalErrorCode(enum.StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    PARTS_DO_NOT_ADD_UP = "PARTS_DO_NOT_ADD_UP"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    FUTURE_DATE = "FUTURE_DATE"
    UNKNOWN_CONDITION = "UNKNOWN_CONDITION"
    ALREADY_ENDED = "ALREADY_ENDED"
    INVALID_YEAR = "INVALID_YEAR"


@strawberry.type(name="MedicalError", description="One problem with a medical mutation's input.")
class MedicalError(Error):
    pass
