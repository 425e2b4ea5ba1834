"""What the profiles feature knows of a chat and a user (storage returns these)."""

from __future__ import annotations

from dataclasses import dataclass

from content.models import Lang


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    type: str
    title: str | None
    language: Lang | None
    timezone: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class User:
    id: int
    language: Lang | None  # chosen with /language; None until then
    telegram_language: str | None
