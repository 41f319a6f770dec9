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


#: What each of core's codes means (docs/api.md, "Errors", has the table with examples).
#: A plugin's own codes are described by the modules that declare them.
CORE_CODE_MEANINGS = {
    "INVALID_INPUT": "A value breaks a rule that no other code names.",
    "REQUIRED": "A field that is needed here is missing or blank.",
    "TOO_LONG": "A text is longer than its limit (the message gives the limit).",
    "INVALID_PHONE_NUMBER": "Not a mobile or landline number of mainland China.",
    "WEBHOOK_URL_REFUSED": "A webhook endpoint URL that may not be called: not http(s), or "
    "(in production) not https or not a public address.",
    "INVALID_AMOUNT": "An amount of money that is negative (or zero where one is due), has "
    "more than 2 decimals, or is too large.",
    "FUTURE_DATE": "A day after today for something that has happened already, or a start "
    "(the day something takes effect) later than today.",
    "INVALID_DATE_RANGE": "An end before its start, or a day outside the range it must fall in.",
    "DUPLICATE": "The same thing given twice in one input.",
    "OVERLAP": "A period overlapping another of the same kind for the same person or household.",
    "ALREADY_ENDED": "Ending, closing or changing something that has ended already.",
    "INVALID_STATUS_CHANGE": "A status change that is not allowed from the current status.",
    "INVALID_YEAR": "A year outside the range the operation accepts.",
    "INVALID_DISABILITY_GRADE": "A disability grade outside GB/T 26341's 1 to 4.",
    "INVALID_ID_NUMBER": "Not a valid GB 11643 ID number (the message says why).",
    "DUPLICATE_ID_NUMBER": "The ID number is already registered, anywhere in the city.",
    "VERSION_CONFLICT": "The record changed since you read it (`expectedVersion` is no "
    "longer its `version`): read it again.",
    "NOT_FOUND": "An ID that names nothing you can see: absent, out of your area, malformed "
    "or of the wrong type.",
    "FORBIDDEN": "A refusal that depends on the record (a care event answered by someone "
    "other than the paired official).",
    "UNAUTHENTICATED": "No valid login: the code of a top-level error, not of a payload's.",
    "UNKNOWN_REGION": "A region code that does not exist.",
    "OUT_OF_AREA": "A region outside your area.",
    "HOUSEHOLD_WITHOUT_HEAD": "A household without a HEAD member.",
    "MULTIPLE_HEADS": "A second HEAD member in one household.",
    "ALREADY_A_MEMBER": "The person is in this household already.",
    "ALREADY_IN_A_HOUSEHOLD": "The person is a current member of another household: remove "
    "them there first.",
    "NOT_A_MEMBER": "The person is not a current member of the household.",
    "HEAD_CANNOT_BE_REMOVED": "The head cannot leave the household: change the head first.",
    "INVALID_CREDENTIALS": "`login` failed (the same answer whatever was wrong).",
    "UNKNOWN_ORGANISATION": "An organisation ID that names no organisation.",
    "DUPLICATE_ORGANISATION": "An organisation's code is taken, or its region has an "
    "organisation of that name already.",
    "WRONG_REGION_LEVEL": "A region of another level than needed: a village organisation on "
    "a township, a grassroots worker in a county.",
    "UNREADABLE_VALUE": "A stored value failed its integrity check (tampered, or another "
    "key); the incident is logged.",
    "NOT_A_TARGET": "The household is not a target of the screening campaign.",
    "NOT_A_HARDSHIP_PERSON": "The person holds no current hardship category, so cannot be "
    "paired nor have a care event raised by a user.",
    "NOT_A_MAJOR_HOLIDAY": "A HOLIDAY care event on a day outside every counted major "
    "holiday's window (BANGFU_CARE_HOLIDAYS).",
    "NOT_AN_OFFICIAL": "The user is no active paired official (PAIRED_OFFICIAL), or the "
    "person lives outside the official's area.",
    "ALREADY_PAIRED": "The person has an active pairing already: end it first.",
    "DONATION_EXCEEDED": "The allocation is larger than what remains of the donation.",
    "DONATION_RESTRICTED": "The donation's restrictions (region, category, domain) do not "
    "allow the allocation, or the measure is cancelled or not funded by social donations.",
    "NOT_ELIGIBLE": "The person breaks a rule of the category in the rule set in force on "
    "validFrom (`categoryRules`); the message names the rule and its policy.",
    "NOT_COMPETENT": "The certifying organisation may not certify the category: the wrong kind "
    "of body, or a body of another county.",
    "INVALID_RULE_VERSION": "A ruleVersion that is unknown or not the version in force on "
    "validFrom.",
}
if set(CORE_CODE_MEANINGS) != {code.name for code in ErrorCode}:
    raise ValueError("CORE_CODE_MEANINGS must describe exactly core's ErrorCode members")


def compose_error_codes(codes: Mapping[str, Sequence[str]]) -> None:
    """Make the GraphQL enum ``ErrorCode`` hold exactly ``codes`` (name → declaring modules).

    Called by ``build_schema`` before the schema is made: a schema keeps the enum it was
    built with, so composing anew for the next build (other plugins) does not change it.
    """
    definition = ErrorCode.__strawberry_definition__  # type: ignore[attr-defined]
    definition.values = [
        EnumValue(name=code, value=code, description=_code_description(code, owners))
        for code, owners in sorted(codes.items())
    ]


def _code_description(code: str, owners: Sequence[str]) -> str:
    declared = f"declared by {', '.join(owners)}"
    meaning = CORE_CODE_MEANINGS.get(code)
    return f"{meaning} ({declared})" if meaning else declared


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
