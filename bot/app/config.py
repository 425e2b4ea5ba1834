"""Settings from the environment (and an optional ``.env``), validated once at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from content.models import Lang
from storage.db import DATABASE_SCHEMES

TELEGRAM_API_URL = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    database_path: Path = Path("data/nwfz-bot.sqlite3")
    # sqlite:///path or postgresql://user:password@host:port/db; unset: DATABASE_PATH's file.
    database_url: str | None = None
    bot_timezone: str = "Asia/Almaty"
    bot_default_language: Lang = "ru"
    webhook_url: str | None = None  # the public HTTPS URL Telegram posts to (webhook mode)
    webhook_secret: SecretStr | None = None  # checked on every request
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    webhook_path: str = "/telegram"
    log_format: Literal["text", "json"] = "text"
    # polling mode: serve /metrics on this port (webhook mode serves it beside the webhook)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # reminder fan-outs with allow_paid_broadcast: up to 1,000 msg/s, 0.1 Star each
    paid_broadcast: bool = False
    # Several replicas: seconds a replica's claim on reminder deliveries holds, and so how long
    # a dead replica's claimed reminders wait before another sends them. It must outlast the
    # sending of one batch (200 at the replicas' share of the pace), or a live claim is retaken.
    delivery_lease: float = Field(default=180.0, ge=5)
    # SIGTERM/SIGINT: how long in-flight updates and job runs may take before they are cut off
    shutdown_timeout: float = Field(default=10.0, ge=0)
    # "1,2" or "1 2" in the environment; NoDecode keeps pydantic-settings from expecting JSON.
    bot_admin_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset())

    @field_validator("bot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {value!r}") from error
        return value

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(DATABASE_SCHEMES):
            raise ValueError(
                "DATABASE_URL must start with sqlite:/// (a file) or postgresql:// (a server)"
            )
        return value

    @property
    def database(self) -> str:
        """The database to open, as a URL."""
        return self.database_url or f"sqlite:///{self.database_path}"

    @field_validator("webhook_secret")
    @classmethod
    def _secret_charset(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("bot_admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(",", " ").split())
        return value
