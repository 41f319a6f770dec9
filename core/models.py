"""Every core model, imported once so one MetaData holds all of core's tables."""

from bangfu.core.bottomline import models as bottomline
from bangfu.core.care import donation_models as care_donations
from bangfu.core.care import event_models as care_events
from bangfu.core.care import models as care
from bangfu.core.care import plan_models as care_plans
from bangfu.core.care import screening_models as care_screening
from bangfu.core.jobs import models as jobs
from bangfu.core.notify import models as notify
from bangfu.core.registry import models as registry
from bangfu.core.security import models as security
from bangfu.core.webhooks import models as webhooks

__all__ = [
    "bottomline",
    "care",
    "care_donations",
    "care_events",
    "care_plans",
    "care_screening",
    "jobs",
    "notify",
    "registry",
    "security",
    "webhooks",
]
