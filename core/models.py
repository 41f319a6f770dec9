"""Every core model, imported once so one MetaData holds all of core's tables."""

from core.care import models as care
from core.registry import models as registry
from core.security import models as security

__all__ = ["care", "registry", "security"]
