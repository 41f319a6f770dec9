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

from bangfu.core.calendar import age_on


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

    ``valid_until`` is the first day on which the calendar alone may change this finding
    (its status or its reasons) while nothing is written: a birthday that crosses an age
    the rule tests or that its reasons name, a category's ``valid_to`` + 1, a new school
    year, a deadline. ``None``: only a write can change it. Earlier is always safe (the
    person is judged again that day, for nothing); later leaves a stale verdict stored.
    """

    person_id: int
    indicator: Indicator
    status: Status
    reasons: tuple[str, ...] = ()
    module: str = ""
    valid_until: dt.date | None = None


def earliest(*days: dt.date | None) -> dt.date | None:
    """The earliest of ``days`` that is not ``None`` (``None`` when all are)."""
    given = [day for day in days if day is not None]
    return min(given) if given else None


def birthday(birth_date: dt.date, age: int) -> dt.date:
    """The day a person born on ``birth_date`` turns ``age`` (29 February → 1 March)."""
    try:
        return birth_date.replace(year=birth_date.year + age)
    except ValueError:  # born on 29 February, a common year
        return dt.date(birth_date.year + age, 3, 1)


def next_birthday(birth_date: dt.date, as_of: dt.date) -> dt.date:
    """The first birthday after ``as_of`` (the age — and any reason naming it — changes)."""
    return birthday(birth_date, age_on(birth_date, as_of) + 1)
