"""The types of the assessment hook ``bangfu_assessment_indicators`` (R9).

Every indicator of the annual assessment is a share: of the items a unit is answerable
for (the denominator), how many are met (the numerator). A score carries its items, so a
unit can check its own figure line by line; numerator and denominator are computed from
the items, never given separately, so the list and the figure cannot disagree.
"""

import dataclasses
import datetime as dt
import enum


class UnitKind(enum.StrEnum):
    """What an assessed unit is."""

    REGION = "REGION"
    """A county-level division (its county government answers for it); key: region code."""
    ORGANISATION = "ORGANISATION"
    """A department or mass organisation; key: the organisation's ``code``."""
    OFFICIAL = "OFFICIAL"
    """A paired official (包联干部); key: the user's ``username``."""


@dataclasses.dataclass(frozen=True)
class Unit:
    """An assessed unit: a county, an organisation or a paired official."""

    kind: UnitKind
    key: str
    name: str


@dataclasses.dataclass(frozen=True)
class AssessmentPeriod:
    """The year and area an assessment is computed for (the hook's argument).

    :ivar year: the assessment year.
    :ivar region_code: the assessed area (a city or a county).
    :ivar region_path: its materialised path, for ``Person.area_path``-style filters.
    :ivar starts_on: 1 January of ``year``.
    :ivar ends_on: 31 December of ``year``.
    :ivar as_of: the day judged: ``ends_on``, or today (Asia/Shanghai) for the current year.
    """

    year: int
    region_code: str
    region_path: str
    starts_on: dt.date
    ends_on: dt.date
    as_of: dt.date


@dataclasses.dataclass(frozen=True)
class AssessmentItem:
    """One line of the list behind a score: in the denominator; in the numerator when met.

    :ivar label: what the line is about, for a person reading the list (no ID numbers).
    :ivar met: whether it counts towards the numerator.
    :ivar person_id: the person concerned, if any.
    :ivar note: why it is met or not (e.g. "last contact 2026-03-02, 120 days ago").
    """

    label: str
    met: bool
    person_id: int | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class IndicatorScore:
    """One indicator's figure for one unit, with the items behind it.

    :ivar indicator: the indicator's code: core's are lower-case words
        (``screening_coverage``); a plugin's start with ``<plugin>_``
        (``befriending_contact``). Weights and thresholds are configured by this code.
    :ivar title: a short human title ("Befriended children contacted in 90 days").
    :ivar unit: the unit the figure is for.
    :ivar items: the list behind the figure.
    """

    indicator: str
    title: str
    unit: Unit
    items: tuple[AssessmentItem, ...] = ()

    @property
    def numerator(self) -> int:
        return sum(1 for item in self.items if item.met)

    @property
    def denominator(self) -> int:
        return len(self.items)

    @property
    def ratio(self) -> float | None:
        """numerator / denominator, or None when nothing is due (no items)."""
        return self.numerator / self.denominator if self.items else None
