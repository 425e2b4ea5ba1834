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


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command(commands.TOPICS.name))
    async def cmd_topics(message: Message, t: Translator, library: Library) -> None:
        await send(message, views.topics_menu(library.catalog, t))

    @router.callback_query(MenuCb.filter(F.action == MenuAction.TOPICS))
    async def on_menu_topics(query: CallbackQuery, t: Translator, library: Library) -> None:
        await show(query, views.topics_menu(library.catalog, t))

    @router.callback_query(TopicCb.filter())
    async def on_topic(
        query: CallbackQuery, callback_data: TopicCb, t: Translator, library: Library
    ) -> None:
        topic = library.catalog.topic(callback_data.topic)
        if topic is None or not -1 <= callback_data.section < len(topic.sections):
            raise ButtonExpired
        await show(query, views.topic_screen(library.catalog, t, topic, callback_data.section))

    @router.message(Command(commands.FACT.name))
    async def cmd_fact(message: Message, t: Translator, library: Library) -> None:
        fact = library.random_fact()
        if fact is None:
            await message.answer(t("fact.none"))
            return
        await send(message, views.fact_screen(library.catalog, t, fact))

    @router.callback_query(MenuCb.filter(F.action == MenuAction.FACT))
    @router.callback_query(FactCb.filter())
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

    @router.message(Command(commands.TIMELINE.name))
    async def cmd_timeline(message: Message, t: Translator, library: Library) -> None:
        await send(message, views.timeline_screen(library.catalog, t, 0))

    @router.callback_query(MenuCb.filter(F.action == MenuAction.TIMELINE))
    @router.callback_query(TimelineCb.filter())
    async def on_timeline(
        query: CallbackQuery, t: Translator, library: Library, callback_data: TimelineCb | MenuCb
    ) -> None:
        page = callback_data.page if isinstance(callback_data, TimelineCb) else 0
        await show(query, views.timeline_screen(library.catalog, t, page))

    @router.callback_query(PictureCb.filter())
    async def on_timeline_picture(
        query: CallbackQuery, t: Translator, pictures: TimelinePictures
    ) -> None:
        if not isinstance(query.message, Message):
            raise ButtonExpired
        await query.answer(t.plain("timeline.picture_wait"))
        title = t.plain("timeline.picture_title")
        await pictures.send(query.message, t.lang, title, t("timeline.picture_caption"))

    @router.message(Command(commands.GLOSSARY.name))
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
            views.glossary_lookup_screen(
                library.catalog, t, query, library.glossary(query, t.lang)
            ),
        )

    @router.callback_query(MenuCb.filter(F.action == MenuAction.GLOSSARY))
    @router.callback_query(GlossaryCb.filter())
    async def on_glossary(
        query: CallbackQuery, t: Translator, library: Library, callback_data: GlossaryCb | MenuCb
    ) -> None:
        page = callback_data.page if isinstance(callback_data, GlossaryCb) else 0
        await show(query, views.glossary_screen(library.catalog, t, page))

    return router
