"""Every core model, imported once so one MetaData holds all of core's tables."""

from core.care import donation_models as care_donations
from core.care import event_models as care_events
from core.care import models as care
from core.care import plan_models as care_plans
from core.care import screening_models as care_screening
from core.registry import models as registry
from core.security import models as security

__all__ = [
    "care",
    "care_donations",
    "care_events",
    "care_plans",
    "care_screening",
    "registry",
    "security",
]
