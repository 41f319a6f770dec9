"""Why the employment plugin refuses an input: its error codes (``EmploymentErrorCode``).

Declared through the ``bangfu_error_codes`` hook, so they are values of the one GraphQL
``ErrorCode`` enum; the generic ones have the names core gives them."""

import enum


class EmploymentErrorCode(enum.StrEnum):
    """Machine-readable reasons in ``EmploymentError.code``. Nothing is changed on any."""

    NOT_FOUND = "NOT_FOUND"  # no such person or record, or outside your area (alike)
    REQUIRED = "REQUIRED"  # the field is missing or blank, and needed here
    NOT_APPLICABLE = "NOT_APPLICABLE"  # the field does not apply (an employer when seeking)
    TOO_LONG = "TOO_LONG"  # text longer than 200 characters
    INVALID_AMOUNT = "INVALID_AMOUNT"  # negative, zero where a wage is due, or beyond the fen
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"  # an end before its start; a day before birth
    FUTURE_DATE = "FUTURE_DATE"  # what has not happened yet cannot be recorded as done
    OUT_OF_ORDER = "OUT_OF_ORDER"  # a new status must begin after the current one
    OVERLAP = "OVERLAP"  # overlaps another record of the same kind of the person
    INVALID_DISABILITY_GRADE = "INVALID_DISABILITY_GRADE"  # GB/T 26341 grades are 1 to 4
    UNDER_WORKING_AGE = "UNDER_WORKING_AGE"  # work or training before 16 (Labour Law art. 15)
    PERSON_DECEASED = "PERSON_DECEASED"
    ALREADY_ENDED = "ALREADY_ENDED"  # a training completed already
    VERSION_CONFLICT = "VERSION_CONFLICT"  # changed by another request meanwhile: read again
    INVALID_INPUT = "INVALID_INPUT"  # control characters in a text; anything else
