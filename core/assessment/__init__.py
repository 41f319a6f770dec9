"""The annual assessment (年度目标考核, R9): indicators per unit and per paired official.

``bangfu.core.assessment.types`` holds the types of the ``bangfu_assessment_indicators`` hook;
they are re-exported here so a plugin imports them from ``bangfu.core.assessment``.
"""

from bangfu.core.assessment.types import (
    AssessmentItem,
    AssessmentPeriod,
    IndicatorScore,
    Unit,
    UnitKind,
)

__all__ = ["AssessmentItem", "AssessmentPeriod", "IndicatorScore", "Unit", "UnitKind"]
