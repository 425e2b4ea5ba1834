"""Middlewares of the Telegram toolkit (the profile middleware lives with profiles)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import TelegramObject

# What an aiogram middleware receives as ``handler``: the rest of the chain.
NextHandler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
