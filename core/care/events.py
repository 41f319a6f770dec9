"""Care events raised by modules (五个关心, R6): what plugins hand to the care work.

A plugin that sees a serious hospitalisation, a school dropout or a disaster raises a
:class:`CareEventRaised` through the host (``PluginHost.raise_care_event``); the host
passes it to every ``bangfu_care_event`` implementation, in the plugin's transaction.
The care work (core/care) is the implementation that records it with its deadline.
"""

import dataclasses
import datetime as dt
import enum


class CareEventKind(enum.StrEnum):
    """The five cares of the notice."""

    HOSPITALISATION = "HOSPITALISATION"  # serious illness or hospitalisation
    SCHOOL_DROPOUT = "SCHOOL_DROPOUT"
    DISASTER = "DISASTER"  # accidental disaster
    BEREAVEMENT = "BEREAVEMENT"  # death of a family member
    HOLIDAY = "HOLIDAY"  # major holiday


@dataclasses.dataclass(frozen=True)
class CareEventRaised:
    """A situation that calls for the paired official's care."""

    person_id: int
    kind: CareEventKind
    occurred_on: dt.date
    raised_by: str  # the module (plugin name), "user:<name>" or "holiday-calendar"
    summary: str = ""
    source: str | None = None  # e.g. a global ID of the record that raised it
