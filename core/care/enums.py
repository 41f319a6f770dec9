"""The vocabularies of the care work (R4-R7)."""

import enum

from sqlalchemy import Enum


def db_enum(cls: type[enum.Enum], name: str) -> Enum:
    """Stored as the member name in a VARCHAR with a CHECK constraint, like core's enums."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32)


class ProblemDomain(enum.StrEnum):
    """What a problem (and the measure answering it) is about (R4)."""

    LIVING = "LIVING"
    EDUCATION = "EDUCATION"
    MEDICAL = "MEDICAL"
    HOUSING = "HOUSING"
    EMPLOYMENT = "EMPLOYMENT"
    CARE = "CARE"  # someone looking after the person


class VisitOutcome(enum.StrEnum):
    """How a screening visit went (排查)."""

    VISITED = "VISITED"
    NOT_FOUND = "NOT_FOUND"
    REFUSED = "REFUSED"


class Severity(enum.StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class MeasureStatus(enum.StrEnum):
    """Where a plan measure stands; DONE and CANCELLED are final."""

    PLANNED = "PLANNED"
    UNDER_WAY = "UNDER_WAY"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class FundingSource(enum.StrEnum):
    """Who pays for a measure (R4): government assistance or social donations."""

    GOVERNMENT_PROGRAMME = "GOVERNMENT_PROGRAMME"
    SOCIAL_DONATION = "SOCIAL_DONATION"


class FiveKnownItem(enum.StrEnum):
    """The five knowns (五个知晓) a paired official keeps about their person (R6)."""

    FAMILY_SITUATION = "FAMILY_SITUATION"
    ECONOMIC_SITUATION = "ECONOMIC_SITUATION"
    WISHES = "WISHES"  # wishes for the future
    DIFFICULTIES = "DIFFICULTIES"  # current difficulties
    MEDICAL_AND_SCHOOLING = "MEDICAL_AND_SCHOOLING"


class ResponseKind(enum.StrEnum):
    """How a paired official answered a care event."""

    VISIT = "VISIT"
    CALL = "CALL"


class DueState(enum.StrEnum):
    """Where a care event stands against its deadline; computed, never stored."""

    NOT_DUE = "NOT_DUE"
    DUE_SOON = "DUE_SOON"
    OVERDUE = "OVERDUE"
    ANSWERED_ON_TIME = "ANSWERED_ON_TIME"
    ANSWERED_LATE = "ANSWERED_LATE"

    @property
    def is_open(self) -> bool:
        return self in (DueState.NOT_DUE, DueState.DUE_SOON, DueState.OVERDUE)
