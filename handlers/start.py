"""/start (with deep links), /help, /about, /sources and the main menu buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot import commands, views
from bot.callbacks import MenuAction, MenuCb
from bot.commands import Where
from bot.i18n import Translator
from bot.replies import send, show
from bot.services.library import Library
from content.loader import Catalog


def _where(message: Message) -> Where:
    return Where.PRIVATE if message.chat.type == "private" else Where.GROUP


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(CommandStart())
    async def cmd_start(
        message: Message, command: CommandObject, t: Translator, library: Library
    ) -> None:
        payload = (command.args or "").strip()
        topic = library.topic(payload) if payload else None
        if topic is not None:
            await send(message, views.topic_screen(library.catalog, t, topic, -1))
            return
        name = message.from_user.first_name if message.from_user else ""
        await send(message, views.start_screen(t, name))

    @router.message(Command(commands.HELP.name))
    async def cmd_help(message: Message, t: Translator) -> None:
        await send(message, views.help_screen(t, _where(message)))

    @router.message(Command(commands.ABOUT.name))
    async def cmd_about(message: Message, t: Translator, catalog: Catalog) -> None:
        await send(message, views.about_screen(t, catalog))

    @router.message(Command(commands.SOURCES.name))
    async def cmd_sources(message: Message, t: Translator, catalog: Catalog) -> None:
        for screen in views.sources_screens(catalog, t):
            await send(message, screen)

    @router.callback_query(MenuCb.filter(F.action == MenuAction.SOURCES))
    async def on_menu_sources(query: CallbackQuery, t: Translator, catalog: Catalog) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            for screen in views.sources_screens(catalog, t):
                await send(query.message, screen)

    @router.callback_query(MenuCb.filter(F.action == MenuAction.SEARCH))
    async def on_menu_search(query: CallbackQuery, t: Translator) -> None:
        await query.answer(t.plain("search.how"), show_alert=True)

    @router.callback_query(MenuCb.filter(F.action == MenuAction.HELP))
    async def on_menu_help(query: CallbackQuery, t: Translator) -> None:
        if isinstance(query.message, Message):
            await show(query, views.help_screen(t, _where(query.message)))
        else:
            await query.answer()

    return router
