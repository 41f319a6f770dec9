"""The employment plugin's DataLoaders: one statement per relation per request, whatever
the number of persons (each runs on the request's read session, so area scoping applies)."""

from typing import Any

from strawberry.dataloader import DataLoader

from bangfu.core.effective import current
from bangfu.plugin import by_key, grouped
from bangfu.plugins.employment.models import (
    JobPlacement,
    PublicWelfarePost,
    Training,
    WorkStatusRecord,
)


def employment_loaders(context: Any) -> dict[str, DataLoader[Any, Any]]:
    """Loaders by person ID, named ``employment_...``."""
    return {
        "employment_current_status": DataLoader(
            by_key(
                context,
                WorkStatusRecord,
                WorkStatusRecord.person_id,
                current(WorkStatusRecord.since, WorkStatusRecord.until, context.today),
            )
        ),
        "employment_status_history": DataLoader(
            grouped(
                context,
                WorkStatusRecord,
                WorkStatusRecord.person_id,
                order_by=(WorkStatusRecord.since.desc(), WorkStatusRecord.id.desc()),
            )
        ),
        "employment_trainings": DataLoader(
            grouped(
                context,
                Training,
                Training.person_id,
                order_by=(Training.start_date.desc(), Training.id.desc()),
            )
        ),
        "employment_placements": DataLoader(
            grouped(
                context,
                JobPlacement,
                JobPlacement.person_id,
                order_by=(JobPlacement.start_date.desc(), JobPlacement.id.desc()),
            )
        ),
        "employment_welfare_posts": DataLoader(
            grouped(
                context,
                PublicWelfarePost,
                PublicWelfarePost.person_id,
                order_by=(PublicWelfarePost.start_date.desc(), PublicWelfarePost.id.desc()),
            )
        ),
    }
