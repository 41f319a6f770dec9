"""The employment plugin's own settings, from ``BANGFU_EMPLOYMENT_`` environment variables."""

import decimal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EmploymentSettings(BaseSettings):
    """Read afresh where used, so a changed environment applies without a code change."""

    model_config = SettingsConfigDict(
        env_prefix="BANGFU_EMPLOYMENT_", env_file=None, extra="ignore"
    )

    minimum_monthly_wage: decimal.Decimal = Field(
        default=decimal.Decimal("1880.00"),
        ge=0,
        decimal_places=2,
        description="Yuan a month at or above which work counts as WELL_EMPLOYED (就好业): "
        "set it to the local statutory minimum wage.",
    )
