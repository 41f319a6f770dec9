"""Expected failures: error codes and the exception that carries them to the API.

Services raise :class:`DomainError`; the GraphQL layer turns it into payload ``errors``
after the transaction is rolled back, so bad input never changes anything.
"""

import dataclasses
import enum

from bangfu.core.i18n import N_, _


class ErrorCode(enum.StrEnum):
    """Core's machine-readable reasons; the generic ones are shared by plugins.

    The GraphQL enum ``ErrorCode`` is composed at schema build from these and every
    plugin's declared codes (hook ``bangfu_error_codes``): one failure, one code, whoever
    raises it. docs/api.md lists every code.
    """

    # Generic: any module uses these for the same failure.
    INVALID_INPUT = "INVALID_INPUT"  # a value breaks a rule no other code names
    REQUIRED = "REQUIRED"  # missing or blank, and needed
    TOO_LONG = "TOO_LONG"  # text longer than its limit
    INVALID_AMOUNT = "INVALID_AMOUNT"  # money: negative (or zero where due), too many decimals
    FUTURE_DATE = "FUTURE_DATE"  # a day after today for what has happened already
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"  # an end before its start, a day out of its range
    DUPLICATE = "DUPLICATE"  # the same thing given twice in one input
    OVERLAP = "OVERLAP"  # a period overlapping another of the same kind
    ALREADY_ENDED = "ALREADY_ENDED"  # ending, closing or changing what has ended already
    INVALID_STATUS_CHANGE = "INVALID_STATUS_CHANGE"  # a status change not allowed from here
    INVALID_YEAR = "INVALID_YEAR"  # a year outside the range the operation accepts
    INVALID_DISABILITY_GRADE = "INVALID_DISABILITY_GRADE"  # GB/T 26341 grades are 1 to 4
    INVALID_ID_NUMBER = "INVALID_ID_NUMBER"
    INVALID_PHONE_NUMBER = "INVALID_PHONE_NUMBER"  # not a mobile or landline number of China
    WEBHOOK_URL_REFUSED = "WEBHOOK_URL_REFUSED"  # an endpoint URL webhooks may not call
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
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    UNKNOWN_ORGANISATION = "UNKNOWN_ORGANISATION"
    DUPLICATE_ORGANISATION = "DUPLICATE_ORGANISATION"  # an organisation's code or name is taken
    WRONG_REGION_LEVEL = "WRONG_REGION_LEVEL"  # a region of another level than the kind needs
    UNREADABLE_VALUE = "UNREADABLE_VALUE"
    # The care work (core/care).
    NOT_A_TARGET = "NOT_A_TARGET"
    NOT_A_HARDSHIP_PERSON = "NOT_A_HARDSHIP_PERSON"
    NOT_A_MAJOR_HOLIDAY = "NOT_A_MAJOR_HOLIDAY"  # a HOLIDAY care event on no major holiday
    NOT_AN_OFFICIAL = "NOT_AN_OFFICIAL"
    ALREADY_PAIRED = "ALREADY_PAIRED"
    DONATION_EXCEEDED = "DONATION_EXCEEDED"
    DONATION_RESTRICTED = "DONATION_RESTRICTED"
    # The categories' rules (core/registry/eligibility.py).
    NOT_ELIGIBLE = "NOT_ELIGIBLE"  # the person breaks a rule of the category's rule set
    NOT_COMPETENT = "NOT_COMPETENT"  # the certifying body is of the wrong kind or area
    INVALID_RULE_VERSION = "INVALID_RULE_VERSION"  # unknown, or not in force on validFrom


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One problem with the input: which field (a dotted input path), why, and a code."""

    field: str | None
    message: str
    # Core's ErrorCode, or a plugin's declared code enum (a StrEnum too).
    code: enum.StrEnum


class DomainError(Exception):
    """One or more expected failures; nothing the operation did is kept."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    @classmethod
    def of(cls, field: str | None, message: str, code: enum.StrEnum) -> "DomainError":
        return cls(FieldError(field, message, code))


def text_problems(
    field: str, value: str | None, limit: int, *, required: bool = True
) -> list[FieldError]:
    """``REQUIRED`` for a missing or blank text that is needed, ``TOO_LONG`` past ``limit``."""
    if value is None or not value.strip():
        return [FieldError(field, _("is required"), ErrorCode.REQUIRED)] if required else []
    if len(value) > limit:
        return [FieldError(field, _("at most {limit} characters", limit=limit), ErrorCode.TOO_LONG)]
    return []


#: What a client reads when an ID names nothing it may see, per type (the GraphQL type or
#: the model); other types get the general message naming the type.
_NOT_FOUND = {
    "Person": N_("no Person with this ID"),
    "Household": N_("no Household with this ID"),
    "Organisation": N_("no Organisation with this ID"),
    "CategoryAssignment": N_("no CategoryAssignment with this ID"),
    "Donation": N_("no Donation with this ID"),
    "Pairing": N_("no Pairing with this ID"),
    "CareEvent": N_("no CareEvent with this ID"),
    "ScreeningCampaign": N_("no ScreeningCampaign with this ID"),
    "AssistanceMeasure": N_("no AssistanceMeasure with this ID"),
    "Measure": N_("no Measure with this ID"),
    "Problem": N_("no Problem with this ID"),
    "User": N_("no User with this ID"),
}


def not_found(type_name: str) -> str:
    """``NOT_FOUND``'s message for an ID of ``type_name`` (absent and out of area alike)."""
    message = _NOT_FOUND.get(type_name)
    return _(message) if message else _("no {type} with this ID", type=type_name)
