"""/language: per user in private chats, per chat in groups (administrators only)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.profiles.service import Profiles
from bot.profiles.types import Chat, User
from bot.profiles.views import language_screen
from bot.telegram import commands
from bot.telegram.callbacks import LanguageCb
from bot.telegram.errors import ButtonExpired
from bot.telegram.filters import AdminsOnly
from bot.telegram.i18n import Translator
from bot.telegram.replies import send, show
from bot.telegram.ui import Screen


async def cmd_language(message: Message, t: Translator) -> None:
    await send(message, language_screen(t))


async def on_language(
    query: CallbackQuery,
    callback_data: LanguageCb,
    t: Translator,
    profiles: Profiles,
    chat_record: Chat | None,
    user_record: User | None,
) -> None:
    if chat_record is None:
        raise ButtonExpired
    await profiles.set_language(chat_record, user_record, callback_data.lang)
    chosen = Translator(t.ui, callback_data.lang)
    # show() tolerates a second press on the same (already edited) message.
    await show(query, Screen(chosen("language.changed")))


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_language, Command(commands.LANGUAGE.name), AdminsOnly())
    router.callback_query.register(on_language, LanguageCb.filter(), AdminsOnly())
    return router
