"""Why the housing plugin refuses an input: its own error codes (``HousingErrorCode``).

The codes core raises on the plugin's behalf (``NOT_FOUND`` for a malformed, foreign or
out-of-area ID, ``UNKNOWN_ORGANISATION``, ``VERSION_CONFLICT``, ``INVALID_INPUT``,
``INVALID_DATE_RANGE``) are members too, with the same values, so every
:class:`core.errors.FieldError` a housing mutation sees maps onto this enum.
"""

import enum


class HousingErrorCode(enum.StrEnum):
    # Shared with core's ErrorCode (same values).
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_ORGANISATION = "UNKNOWN_ORGANISATION"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    # The housing plugin's own.
    DATE_IN_FUTURE = "DATE_IN_FUTURE"
    NEGATIVE_AMOUNT = "NEGATIVE_AMOUNT"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    APPRAISER_REQUIRED = "APPRAISER_REQUIRED"
    FUNDING_DETAILS_REQUIRED = "FUNDING_DETAILS_REQUIRED"
    NOT_APPRAISED = "NOT_APPRAISED"
    NOT_DANGEROUS = "NOT_DANGEROUS"
    RENOVATION_ALREADY_OPEN = "RENOVATION_ALREADY_OPEN"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    ACCEPTANCE_APPRAISAL_REQUIRED = "ACCEPTANCE_APPRAISAL_REQUIRED"
    AID_OVERLAP = "AID_OVERLAP"
    ALREADY_RESPONDED = "ALREADY_RESPONDED"

    @classmethod
    def of(cls, code: enum.StrEnum | str) -> "HousingErrorCode":
        """The housing code for a code raised by core or the plugin (unknown: INVALID_INPUT)."""
        try:
            return cls(str(code))
        except ValueError:
            return cls.INVALID_INPUT
