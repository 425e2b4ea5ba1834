"""The composition root: services, the Bot and ``create_dispatcher`` (production and tests)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite
from aiogram import Bot, Dispatcher, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods.base import Response
from apscheduler.schedulers.asyncio import AsyncIOScheduler

import handlers
from bot import lifecycle
from bot.clock import Clock
from bot.config import Settings
from bot.filters import admit_only_commands
from bot.inflight import InFlight, InFlightMiddleware
from bot.logs import HandlerNameMiddleware, UpdateLogMiddleware
from bot.middlewares import ProfileMiddleware
from bot.ratelimit import RateLimiter, RateLimitMiddleware
from bot.services.library import Library
from bot.services.pictures import TimelinePictures
from bot.services.profiles import Profiles
from bot.services.quiz import QuizService
from bot.services.reminders import ReminderService
from bot.throttling import ThrottlingMiddleware
from content.loader import Catalog, load_catalog
from storage.chats import ChatRepository
from storage.db import open_database
from storage.quiz import QuizRepository
from storage.reminders import ReminderRepository
from storage.users import UserRepository


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: aiosqlite.Connection
    catalog: Catalog
    library: Library
    profiles: Profiles
    limiter: RateLimiter
    quiz: QuizService
    reminders: ReminderService
    pictures: TimelinePictures
    # Tests drive the jobs by hand with a fake clock; production starts the scheduler.
    run_scheduler: bool = True
    scheduler: AsyncIOScheduler | None = None
    # What a graceful shutdown waits for before the database closes.
    inflight: InFlight = field(default_factory=InFlight)

    async def close(self) -> None:
        await self.db.close()


async def create_services(
    settings: Settings,
    clock: Clock,
    *,
    catalog: Catalog | None = None,
    database_path: Path | str | None = None,
    rng: random.Random | None = None,
) -> Services:
    """Load content (validated), open and migrate the database, wire the services."""
    catalog = catalog or load_catalog()
    db = await open_database(database_path or settings.database_path)
    chats = ChatRepository(db, clock.now)
    users = UserRepository(db, clock.now)
    limiter = RateLimiter(clock)
    profiles = Profiles(chats, users, settings.bot_default_language)
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        catalog=catalog,
        library=Library(catalog, rng),
        profiles=profiles,
        limiter=limiter,
        quiz=QuizService(
            QuizRepository(db, clock.now), catalog, clock, limiter, settings.bot_timezone, rng
        ),
        reminders=ReminderService(
            ReminderRepository(db, clock.now), catalog, profiles, clock, settings.bot_timezone
        ),
        pictures=TimelinePictures(catalog),
    )


# aiogram parses every answer as ``Response[T]``, a generic model pydantic caches in a
# WeakValueDictionary: the garbage collector drops it every few dozen requests and the next
# request rebuilds its schema (~9 ms, measured: it was the p99 of a /fact). Holding the
# answer types of the methods the bot calls keeps them built.
_ANSWER_TYPES = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (
        methods.SendMessage, methods.EditMessageText, methods.EditMessageReplyMarkup,
        methods.AnswerCallbackQuery, methods.SendPoll, methods.StopPoll, methods.SendDocument,
        methods.SendPhoto, methods.GetChatMember, methods.GetUpdates, methods.GetMe,
    )
)  # fmt: skip


def create_bot(
    token: str,
    api_url: str,
    session: BaseSession | None = None,
    limiter: RateLimiter | None = None,
) -> Bot:
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    if limiter is not None:
        session.middleware(RateLimitMiddleware(limiter))
    # parse_mode goes through DefaultBotProperties: Bot(parse_mode=...) raises on aiogram >= 3.7
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_dispatcher(services: Services) -> Dispatcher:
    """One dispatcher, built fresh on every call: routers come from factories."""
    dispatcher = Dispatcher(
        # No handler keeps FSM state: every step's state is in SQLite (quiz rounds, settings),
        # so the FSM middleware's per-update storage lookups are switched off.
        disable_fsm=True,
        services=services,
        settings=services.settings,
        clock=services.clock,
        catalog=services.catalog,
        library=services.library,
        profiles=services.profiles,
        quiz=services.quiz,
        reminders=services.reminders,
        pictures=services.pictures,
    )
    # Registered first, so it wraps the others; on ``errors`` too, because aiogram's error
    # handlers run outside the update's outer middlewares.
    counter = InFlightMiddleware(services.inflight)
    dispatcher.update.outer_middleware(counter)
    dispatcher.errors.outer_middleware(counter)
    dispatcher.update.outer_middleware(UpdateLogMiddleware())
    dispatcher.update.outer_middleware(ProfileMiddleware(services.profiles, services.catalog.ui))
    dispatcher.update.outer_middleware(ThrottlingMiddleware(services.clock))
    for observer in (
        dispatcher.message, dispatcher.edited_message, dispatcher.channel_post,
        dispatcher.callback_query, dispatcher.inline_query, dispatcher.poll_answer,
        dispatcher.my_chat_member,
    ):  # fmt: skip
        observer.middleware(HandlerNameMiddleware())
    routers = handlers.setup_routers()
    for router in routers:
        admit_only_commands(router)
    dispatcher.include_routers(*routers)
    dispatcher.startup.register(lifecycle.on_startup)
    dispatcher.shutdown.register(lifecycle.on_shutdown)
    return dispatcher
