"""Update-level middleware: every event type (messages, callbacks, poll answers, member
updates, errors) learns its chat, user, language and translator here.

It is an *update* outer middleware on purpose: a message-only middleware would never reach a
``poll_answer`` handler.
"""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from bot.profiles.service import Profiles
from bot.telegram.i18n import Translator
from bot.telegram.middlewares import NextHandler
from content.loader import UiCatalog


class ProfileMiddleware(BaseMiddleware):
    def __init__(self, profiles: Profiles, ui: UiCatalog) -> None:
        self.profiles = profiles
        self.ui = ui

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        chat_record = (
            await self.profiles.chat(chat.id, chat.type, chat.title) if chat is not None else None
        )
        user_record = (
            await self.profiles.user(user.id, user.language_code)
            if user is not None and not user.is_bot
            else None
        )
        lang = self.profiles.language(chat_record, user_record)
        data["chat_record"] = chat_record
        data["user_record"] = user_record
        data["lang"] = lang
        data["t"] = Translator(self.ui, lang)
        return await handler(event, data)
