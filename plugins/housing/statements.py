"""SQL the housing plugin shares between its query, its indicators and its tests.

All statements are ORM-enabled, so the host's area scoping applies to them (and to their
subqueries) like to any other statement.
"""

import datetime as dt
from typing import Any

from sqlalchemy import Select, Subquery, func, select

from bangfu.plugins.housing.models import (
    ACTIVE_RENOVATION,
    DANGEROUS_GRADES,
    RenovationProject,
    SafetyAppraisal,
)


def latest_appraisals(as_of: dt.date | None = None) -> Subquery:
    """Each household's appraisals ranked newest first (``rank`` 1 is the latest), by
    date and then by ID; only those made on or before ``as_of`` when given."""
    rank = (
        func.row_number()
        .over(
            partition_by=SafetyAppraisal.household_id,
            order_by=(SafetyAppraisal.appraised_on.desc(), SafetyAppraisal.id.desc()),
        )
        .label("rank")
    )
    ranked = select(
        SafetyAppraisal.id,
        SafetyAppraisal.household_id,
        SafetyAppraisal.grade,
        SafetyAppraisal.appraised_on,
        rank,
    )
    if as_of is not None:
        ranked = ranked.where(SafetyAppraisal.appraised_on <= as_of)
    return ranked.subquery("latest_appraisal")


def dangerous_household_ids() -> Select[Any]:
    """Households whose latest appraisal is C or D and that have no active renovation
    (PLANNED, APPROVED or UNDER_WAY): one statement, for use as a subquery."""
    latest = latest_appraisals()
    active = select(RenovationProject.household_id).where(
        RenovationProject.status.in_(ACTIVE_RENOVATION)
    )
    return select(latest.c.household_id).where(
        latest.c.rank == 1,
        latest.c.grade.in_(DANGEROUS_GRADES),
        latest.c.household_id.not_in(active),
    )
