"""Settings, read once from the environment (prefix ONEPLAN_) or a `.env` file."""

from __future__ import annotations

import getpass
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "oneplan"


class Settings(BaseSettings):
    """Every setting oneplan reads; `docs/configuration.md` lists them for users."""

    model_config = SettingsConfigDict(env_prefix="ONEPLAN_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'oneplan.db'}",
        description="SQLAlchemy URL; postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    user: str = Field(
        default_factory=_default_user,
        description="Name recorded as created_by/updated_by for CLI work.",
    )
    sqlite_busy_timeout_s: float = Field(
        default=30.0, gt=0, description="How long a writer waits for another writer on SQLite."
    )
    max_file_bytes: int = Field(
        default=2 * 1024**3, gt=0, description="Largest file an import will read."
    )
    max_xlsx_uncompressed_bytes: int = Field(
        default=1024**3, gt=0, description="Largest total unpacked size of an xlsx workbook."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
