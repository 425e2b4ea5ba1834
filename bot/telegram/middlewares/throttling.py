"""Flood control: a user sending more than LIMIT updates a second is told once to slow down,
then ignored for a short cool-down. Only that user waits; everyone else is served as usual."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.clock import Clock
from bot.telegram.i18n import Translator
from bot.telegram.middlewares import NextHandler

LIMIT = 5
WINDOW = timedelta(seconds=1)
COOL_DOWN = timedelta(seconds=10)
TRACKED_USERS = 10_000


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._recent: dict[int, deque[datetime]] = {}
        self._quiet_until: dict[int, datetime] = {}

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        inner = event.message or event.callback_query
        user = inner.from_user if inner is not None else None
        if user is None:
            return await handler(event, data)
        now = self.clock.now()
        quiet = self._quiet_until.get(user.id)
        if quiet is not None:
            if now < quiet:
                if isinstance(inner, CallbackQuery):
                    await inner.answer()  # every button press is answered, even a flood
                return None
            del self._quiet_until[user.id]
        recent = self._recent.setdefault(user.id, deque())
        while recent and now - recent[0] >= WINDOW:
            recent.popleft()
        recent.append(now)
        if len(recent) > LIMIT:
            self._quiet_until[user.id] = now + COOL_DOWN
            recent.clear()
            t: Translator | None = data.get("t")
            if t is not None:
                if isinstance(inner, Message):
                    await inner.answer(
                        t("errors.too_fast", seconds=int(COOL_DOWN.total_seconds()))
                    )
                elif isinstance(inner, CallbackQuery):
                    await inner.answer(
                        t.plain("errors.too_fast", seconds=int(COOL_DOWN.total_seconds())),
                        show_alert=True,
                    )
            return None
        if len(self._recent) > TRACKED_USERS:  # forget idle users
            for user_id in [
                u for u, times in self._recent.items() if not times or now - times[-1] >= WINDOW
            ]:
                del self._recent[user_id]
        return await handler(event, data)
