"""Settings, read from ``BANGFU_`` environment variables (pydantic-settings)."""

import enum
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Profile(enum.StrEnum):
    """Deployment profile: development turns GraphiQL and introspection on."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Service settings. Every field is ``BANGFU_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="BANGFU_", env_file=None, extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///bangfu.db",
        description="SQLAlchemy async URL; sqlite+aiosqlite or postgresql+asyncpg.",
    )
    database_schema: str | None = Field(
        default=None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL only: the schema (search_path) holding Bangfu's tables.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    profile: Profile = Profile.DEVELOPMENT
    secret_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 random bytes; wins over secret_key_file when set.",
    )
    secret_key_file: Path = Field(
        default=Path("bangfu.key"),
        description="Key file created on first start with mode 0600 when no secret_key is set.",
    )
    demo: bool = Field(
        default=False,
        description="Demo mode (set by `bangfu serve --demo`): demo users may log in.",
    )
    token_ttl_minutes: int = Field(default=8 * 60, ge=1)
    token_idle_minutes: int = Field(default=60, ge=1)
    max_page_size: int = Field(default=100, ge=1, le=1000)
    sql_echo: bool = False

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "database_url must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_development(self) -> bool:
        return self.profile is Profile.DEVELOPMENT
