"""Settings, read once from the environment (prefix ONEPLAN_) or a `.env` file."""

from __future__ import annotations

import getpass
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
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
    # The server (`oneplan serve`, docs/api.md)
    max_upload_bytes: int = Field(
        default=256 * 1024**2,
        gt=0,
        description="Largest data package the API and the Data page accept as one upload.",
    )
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    workers: int = Field(default=1, ge=1, le=64, description="Server processes.")
    server_worker_threads: int = Field(
        default=1, ge=0, le=32, description="Job workers in each server process (0: none)."
    )
    secure_cookies: bool = Field(
        default=False, description="Send the session cookie over HTTPS only (behind TLS: true)."
    )
    session_hours: float = Field(default=12, gt=0, description="Longest life of a log-in.")
    session_idle_minutes: float = Field(
        default=120, gt=0, description="A log-in unused this long ends."
    )
    login_failures_per_account: int = Field(
        default=5, ge=1, description="Failed log-ins for one account before a wait."
    )
    login_failures_per_address: int = Field(
        default=50, ge=1, description="Failed log-ins from one address before a wait."
    )
    login_window_minutes: float = Field(
        default=15, gt=0, description="How long a failed log-in counts."
    )
    api_docs: bool = Field(default=True, description="Serve /docs and /redoc (offline assets).")
    web_pages: bool = Field(
        default=True, description="Serve the web application under /app beside the API."
    )
    # E-mail of the inbox's notifications (docs/configuration.md, docs/cycle.md): off until a
    # host is set; notifications always reach the inbox.
    smtp_host: str = Field(default="", description="SMTP server; empty: no e-mail is sent.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server's port.")
    smtp_from: str = Field(
        default="", description="Sender address of oneplan's e-mail, e.g. oneplan@example.com."
    )
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the connection with STARTTLS before logging in."
    )
    smtp_user: str = Field(default="", description="SMTP log-in name; empty: no log-in.")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password.")
    smtp_timeout_s: float = Field(default=30.0, gt=0, description="SMTP connection timeout.")
    mail_every_s: float = Field(
        default=60.0, gt=0, description="How often the server's job workers send waiting e-mail."
    )
    mail_digest_hour: int = Field(
        default=7, ge=0, le=23, description="Hour (UTC) from which the daily digest is sent."
    )
    remind_days_before: int = Field(
        default=2, ge=0, le=31, description="Days before a step's due date its owners are told."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
