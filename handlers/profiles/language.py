"""/language: per user in private chats, per chat in groups (administrators only)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.profiles.service import Profiles
from bot.profiles.types import Chat, User
from bot.profiles.views import language_screen
from bot.telegram import commands
from bot.telegram.callbacks import LanguageCb
from bot.telegram.i18n import Translator
from bot.telegram.permissions import is_chat_admin
from bot.telegram.replies import send, show
from bot.telegram.ui import Screen


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command(commands.LANGUAGE.name))
    async def cmd_language(message: Message, bot: Bot, t: Translator) -> None:
        if not await is_chat_admin(bot, message):
            await message.answer(t("errors.admins_only"))
            return
        await send(message, language_screen(t))

    @router.callback_query(LanguageCb.filter())
    async def on_language(
        query: CallbackQuery,
        callback_data: LanguageCb,
        bot: Bot,
        t: Translator,
        profiles: Profiles,
        chat_record: Chat | None,
        user_record: User | None,
    ) -> None:
        if chat_record is None or not isinstance(query.message, Message):
            await query.answer(t.plain("errors.button_expired"), show_alert=True)
            return
        if not await is_chat_admin(bot, query):
            await query.answer(t.plain("errors.admins_only"), show_alert=True)
            return
        await profiles.set_language(chat_record, user_record, callback_data.lang)
        chosen = Translator(t.ui, callback_data.lang)
        # show() tolerates a second press on the same (already edited) message.
        await show(query, Screen(chosen("language.changed")))

    return router
