"""The housing plugin's per-request DataLoaders (one statement per batch of households)."""

from typing import Any

from strawberry.dataloader import DataLoader

from bangfu.plugin import by_key, grouped
from bangfu.plugins.housing.models import (
    DisasterReport,
    HousingAid,
    RenovationProject,
    SafetyAppraisal,
)


def register(context: Any) -> None:
    """Add the loaders to ``context.loaders`` (names prefixed ``housing_``)."""
    context.loaders["housing_appraisals"] = DataLoader(
        grouped(
            context,
            SafetyAppraisal,
            SafetyAppraisal.household_id,
            order_by=(SafetyAppraisal.appraised_on.desc(), SafetyAppraisal.id.desc()),
        )
    )
    context.loaders["housing_appraisal"] = DataLoader(
        by_key(context, SafetyAppraisal, SafetyAppraisal.id)
    )
    context.loaders["housing_renovations"] = DataLoader(
        grouped(
            context,
            RenovationProject,
            RenovationProject.household_id,
            order_by=(RenovationProject.planned_on.desc(), RenovationProject.id.desc()),
        )
    )
    context.loaders["housing_aid"] = DataLoader(
        grouped(
            context,
            HousingAid,
            HousingAid.household_id,
            order_by=(HousingAid.period_start.desc(), HousingAid.id.desc()),
        )
    )
    context.loaders["housing_disasters"] = DataLoader(
        grouped(
            context,
            DisasterReport,
            DisasterReport.household_id,
            order_by=(DisasterReport.occurred_on.desc(), DisasterReport.id.desc()),
        )
    )
