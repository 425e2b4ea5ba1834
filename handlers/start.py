"""/start (with deep links), /help, /about, /sources and the main menu buttons."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.library import views
from bot.library.deeplinks import PayloadKind, parse_payload
from bot.library.service import Library
from bot.profiles.service import Profiles
from bot.profiles.types import Chat, User
from bot.quiz.entry import open_quiz
from bot.quiz.service import QuizService
from bot.reminders import views as reminder_views
from bot.reminders.service import ReminderService
from bot.telegram import commands
from bot.telegram.callbacks import MenuAction, MenuCb
from bot.telegram.commands import Where
from bot.telegram.i18n import Translator
from bot.telegram.permissions import require_chat_admin
from bot.telegram.replies import send, show
from content.loader import Catalog


def _where(message: Message) -> Where:
    return Where.PRIVATE if message.chat.type == "private" else Where.GROUP


async def cmd_start(
    message: Message, command: CommandObject, bot: Bot, t: Translator, library: Library,
    quiz: QuizService, reminders: ReminderService, profiles: Profiles,
    chat_record: Chat | None, user_record: User | None,
) -> None:  # fmt: skip
    """Plain /start, or a deep link from a poster or a colleague (bot/deeplinks.py)."""
    link = parse_payload((command.args or "").strip()) if command.args else None
    catalog = library.catalog
    topic = catalog.topic(link.topic) if link is not None and link.topic is not None else None
    if link is not None and link.topic is not None and topic is None:
        link = None  # a poster printed before a topic was renamed: greet instead
    if link is not None and link.lang is not None and message.chat.type == "private":
        # "Scan for English": the link's language becomes the user's choice.
        if chat_record is not None:
            await profiles.set_language(chat_record, user_record, link.lang)
        t = Translator(t.ui, link.lang)
    if link is not None and link.kind == PayloadKind.TOPIC and topic is not None:
        await send(message, views.topic_screen(catalog, t, topic, -1))
        return
    if link is not None and link.kind == PayloadKind.QUIZ:
        await open_quiz(
            message, bot, link.topic or "", t, quiz, catalog, link.difficulty, link.size
        )
        return
    if link is not None and link.kind == PayloadKind.SUBSCRIBE:
        await require_chat_admin(bot, message)
        status = await reminders.subscribe(message.chat.id)
        for screen in reminder_views.subscribed(catalog, t, status):
            await send(message, screen)
        return
    # No payload, or one that is invalid or stale: the normal greeting.
    name = message.from_user.first_name if message.from_user else ""
    await send(message, views.start_screen(t, name))


async def cmd_help(message: Message, t: Translator) -> None:
    await send(message, views.help_screen(t, _where(message)))


async def cmd_about(message: Message, t: Translator, catalog: Catalog) -> None:
    await send(message, views.about_screen(t, catalog))


async def cmd_sources(message: Message, t: Translator, catalog: Catalog) -> None:
    for screen in views.sources_screens(catalog, t):
        await send(message, screen)


async def on_menu_sources(query: CallbackQuery, t: Translator, catalog: Catalog) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        for screen in views.sources_screens(catalog, t):
            await send(query.message, screen)


async def on_menu_search(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t.plain("search.how"), show_alert=True)


async def on_menu_help(query: CallbackQuery, t: Translator) -> None:
    if isinstance(query.message, Message):
        await show(query, views.help_screen(t, _where(query.message)))
    else:
        await query.answer()


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_help, Command(commands.HELP.name))
    router.message.register(cmd_about, Command(commands.ABOUT.name))
    router.message.register(cmd_sources, Command(commands.SOURCES.name))
    router.callback_query.register(on_menu_sources, MenuCb.filter(F.action == MenuAction.SOURCES))
    router.callback_query.register(on_menu_search, MenuCb.filter(F.action == MenuAction.SEARCH))
    router.callback_query.register(on_menu_help, MenuCb.filter(F.action == MenuAction.HELP))
    return router
