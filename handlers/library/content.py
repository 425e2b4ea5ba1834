"""Curated content: /topics and topic cards, /fact, /timeline, /glossary."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.library import views
from bot.library.pictures import TimelinePictures
from bot.library.service import Library
from bot.telegram import commands
from bot.telegram.callbacks import (
    FactCb,
    GlossaryCb,
    MenuAction,
    MenuCb,
    PictureCb,
    TimelineCb,
    TopicCb,
)
from bot.telegram.errors import ButtonExpired
from bot.telegram.i18n import Translator
from bot.telegram.replies import send, show

GLOSSARY_QUERY_MAX = 64


async def cmd_topics(message: Message, t: Translator, library: Library) -> None:
    await send(message, views.topics_menu(library.catalog, t))


async def on_menu_topics(query: CallbackQuery, t: Translator, library: Library) -> None:
    await show(query, views.topics_menu(library.catalog, t))


async def on_topic(
    query: CallbackQuery, callback_data: TopicCb, t: Translator, library: Library
) -> None:
    topic = library.catalog.topic(callback_data.topic)
    if topic is None or not -1 <= callback_data.section < len(topic.sections):
        raise ButtonExpired
    await show(query, views.topic_screen(library.catalog, t, topic, callback_data.section))


async def cmd_fact(message: Message, t: Translator, library: Library) -> None:
    fact = library.random_fact()
    if fact is None:
        await message.answer(t("fact.none"))
        return
    await send(message, views.fact_screen(library.catalog, t, fact))


async def on_fact(
    query: CallbackQuery, t: Translator, library: Library, callback_data: FactCb | MenuCb
) -> None:
    topic = callback_data.topic if isinstance(callback_data, FactCb) else ""
    if topic and library.catalog.topic(topic) is None:
        raise ButtonExpired
    fact = library.random_fact(topic)
    if fact is None:
        await query.answer(t.plain("fact.none"))
        return
    # "Another fact" posts a new message so the previous one stays readable.
    await query.answer()
    if isinstance(query.message, Message):
        await send(query.message, views.fact_screen(library.catalog, t, fact, topic))


async def cmd_timeline(message: Message, t: Translator, library: Library) -> None:
    await send(message, views.timeline_screen(library.catalog, t, 0))


async def on_timeline(
    query: CallbackQuery, t: Translator, library: Library, callback_data: TimelineCb | MenuCb
) -> None:
    page = callback_data.page if isinstance(callback_data, TimelineCb) else 0
    await show(query, views.timeline_screen(library.catalog, t, page))


async def on_timeline_picture(
    query: CallbackQuery, t: Translator, pictures: TimelinePictures
) -> None:
    if not isinstance(query.message, Message):
        raise ButtonExpired
    await query.answer(t.plain("timeline.picture_wait"))
    title = t.plain("timeline.picture_title")
    await pictures.send(query.message, t.lang, title, t("timeline.picture_caption"))


async def cmd_glossary(
    message: Message, command: CommandObject, t: Translator, library: Library
) -> None:
    query = (command.args or "").strip()
    if not query:
        await send(message, views.glossary_screen(library.catalog, t, 0))
        return
    if len(query) > GLOSSARY_QUERY_MAX:
        await message.answer(t("glossary.too_long", limit=GLOSSARY_QUERY_MAX))
        return
    await send(
        message,
        views.glossary_lookup_screen(library.catalog, t, query, library.glossary(query, t.lang)),
    )


async def on_glossary(
    query: CallbackQuery, t: Translator, library: Library, callback_data: GlossaryCb | MenuCb
) -> None:
    page = callback_data.page if isinstance(callback_data, GlossaryCb) else 0
    await show(query, views.glossary_screen(library.catalog, t, page))


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_topics, Command(commands.TOPICS.name))
    router.callback_query.register(on_menu_topics, MenuCb.filter(F.action == MenuAction.TOPICS))
    router.callback_query.register(on_topic, TopicCb.filter())
    router.message.register(cmd_fact, Command(commands.FACT.name))
    router.callback_query.register(on_fact, FactCb.filter())
    router.callback_query.register(on_fact, MenuCb.filter(F.action == MenuAction.FACT))
    router.message.register(cmd_timeline, Command(commands.TIMELINE.name))
    router.callback_query.register(on_timeline, TimelineCb.filter())
    router.callback_query.register(on_timeline, MenuCb.filter(F.action == MenuAction.TIMELINE))
    router.callback_query.register(on_timeline_picture, PictureCb.filter())
    router.message.register(cmd_glossary, Command(commands.GLOSSARY.name))
    router.callback_query.register(on_glossary, GlossaryCb.filter())
    router.callback_query.register(on_glossary, MenuCb.filter(F.action == MenuAction.GLOSSARY))
    return router
