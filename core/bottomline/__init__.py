"""The bottom line and the goals (R3): five indicators each, per person.

兜底: food (有饭吃), medical care (有医看), school (有学上), work (有事干), someone in
charge (有人管). Goals: eat well (吃好饭), illness treated well (看好病), good school
(上好学), well employed (就好业), good home (居好家). Core decides food and someone in
charge; plugins decide the rest through the ``bangfu_bottom_line`` hook, called once per
page of persons. An indicator no installed module decides stays UNKNOWN, never OK.
"""

import dataclasses
import datetime as dt
import enum


class Indicator(enum.StrEnum):
    """The ten indicators: five bottom-line (R3 兜底) and five goals (R3 目标)."""

    FOOD = "FOOD"
    MEDICAL_CARE = "MEDICAL_CARE"
    SCHOOL = "SCHOOL"
    WORK = "WORK"
    SOMEONE_IN_CHARGE = "SOMEONE_IN_CHARGE"
    EAT_WELL = "EAT_WELL"
    ILLNESS_TREATED_WELL = "ILLNESS_TREATED_WELL"
    GOOD_SCHOOL = "GOOD_SCHOOL"
    WELL_EMPLOYED = "WELL_EMPLOYED"
    GOOD_HOME = "GOOD_HOME"


BOTTOM_LINE = (
    Indicator.FOOD,
    Indicator.MEDICAL_CARE,
    Indicator.SCHOOL,
    Indicator.WORK,
    Indicator.SOMEONE_IN_CHARGE,
)
GOALS = (
    Indicator.EAT_WELL,
    Indicator.ILLNESS_TREATED_WELL,
    Indicator.GOOD_SCHOOL,
    Indicator.WELL_EMPLOYED,
    Indicator.GOOD_HOME,
)


class Status(enum.StrEnum):
    OK = "OK"
    AT_RISK = "AT_RISK"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    UNKNOWN = "UNKNOWN"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One module's verdict on one indicator of one person, with the reasons.

    ``valid_until``: the first day this finding may change by the calendar alone (a
    deadline passes, a child comes of age), if the rule can tell; None when only a
    write can change it.
    """

    person_id: int
    indicator: Indicator
    status: Status
    reasons: tuple[str, ...] = ()
    module: str = ""
    valid_until: dt.date | None = None
