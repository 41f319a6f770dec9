"""Expected failures: error codes and the exception that carries them to the API.

Services raise :class:`DomainError`; the GraphQL layer turns it into payload ``errors``
after the transaction is rolled back, so bad input never changes anything.
"""

import dataclasses
import enum


class ErrorCode(enum.StrEnum):
    """Machine-readable reasons, shared by core and plugins."""

    INVALID_INPUT = "INVALID_INPUT"
    INVALID_ID_NUMBER = "INVALID_ID_NUMBER"
    DUPLICATE_ID_NUMBER = "DUPLICATE_ID_NUMBER"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    OUT_OF_AREA = "OUT_OF_AREA"
    HOUSEHOLD_WITHOUT_HEAD = "HOUSEHOLD_WITHOUT_HEAD"
    MULTIPLE_HEADS = "MULTIPLE_HEADS"
    ALREADY_A_MEMBER = "ALREADY_A_MEMBER"
    ALREADY_IN_A_HOUSEHOLD = "ALREADY_IN_A_HOUSEHOLD"
    NOT_A_MEMBER = "NOT_A_MEMBER"
    HEAD_CANNOT_BE_REMOVED = "HEAD_CANNOT_BE_REMOVED"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    CATEGORY_OVERLAP = "CATEGORY_OVERLAP"
    ALREADY_ENDED = "ALREADY_ENDED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    UNKNOWN_ORGANISATION = "UNKNOWN_ORGANISATION"
    UNREADABLE_VALUE = "UNREADABLE_VALUE"
    # The care work (core/care).
    NOT_A_TARGET = "NOT_A_TARGET"
    NOT_A_HARDSHIP_PERSON = "NOT_A_HARDSHIP_PERSON"
    NOT_AN_OFFICIAL = "NOT_AN_OFFICIAL"
    ALREADY_PAIRED = "ALREADY_PAIRED"
    INVALID_STATUS_CHANGE = "INVALID_STATUS_CHANGE"
    DONATION_EXCEEDED = "DONATION_EXCEEDED"
    DONATION_RESTRICTED = "DONATION_RESTRICTED"


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One problem with the input: which field (a dotted input path), why, and a code."""

    field: str | None
    message: str
    # Core's ErrorCode, or a plugin's own code enum (a StrEnum too).
    code: enum.StrEnum


class DomainError(Exception):
    """One or more expected failures; nothing the operation did is kept."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    @classmethod
    def of(cls, field: str | None, message: str, code: enum.StrEnum) -> "DomainError":
        return cls(FieldError(field, message, code))
