"""Why the housing plugin refuses an input: its error codes (``HousingErrorCode``).

Declared through the ``bangfu_error_codes`` hook, so they are values of the one GraphQL
``ErrorCode`` enum. The generic codes have the names core gives them (the same failure has
the same code everywhere); the last group are failures only housing has.
"""

import enum


class HousingErrorCode(enum.StrEnum):
    # Generic, with core's names.
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_ORGANISATION = "UNKNOWN_ORGANISATION"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    FUTURE_DATE = "FUTURE_DATE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_STATUS_CHANGE = "INVALID_STATUS_CHANGE"
    OVERLAP = "OVERLAP"
    # The housing plugin's own.
    NOT_APPRAISED = "NOT_APPRAISED"
    NOT_DANGEROUS = "NOT_DANGEROUS"
    RENOVATION_ALREADY_OPEN = "RENOVATION_ALREADY_OPEN"
    ACCEPTANCE_APPRAISAL_REQUIRED = "ACCEPTANCE_APPRAISAL_REQUIRED"
    ALREADY_RESPONDED = "ALREADY_RESPONDED"
