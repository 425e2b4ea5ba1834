"""The Bot and ``create_dispatcher``: the one wiring that production and the tests share."""

from __future__ import annotations

from aiogram import Bot, Dispatcher, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods.base import Response

import handlers
from bot.app import lifecycle
from bot.app.container import Services
from bot.app.inflight import InFlightMiddleware
from bot.profiles.middleware import ProfileMiddleware
from bot.telegram.compat import BotApiCompat
from bot.telegram.filters import admit_only_commands, admit_only_own_callbacks
from bot.telegram.metrics import Metrics, RequestMetricsMiddleware, UpdateMetricsMiddleware
from bot.telegram.middlewares.logs import HandlerNameMiddleware, UpdateLogMiddleware
from bot.telegram.middlewares.throttling import ThrottlingMiddleware
from bot.telegram.ratelimit import RateLimiter, RateLimitMiddleware

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
    metrics: Metrics | None = None,
) -> Bot:
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    # First, so outermost: a request sent again without a feature the server lacks (see
    # bot/telegram/compat.py) is paced again.
    session.middleware(BotApiCompat())
    if limiter is not None:
        session.middleware(RateLimitMiddleware(limiter))
    if metrics is not None:  # registered after the limiter, so inside it: sees every retry
        session.middleware(RequestMetricsMiddleware(metrics))
    # parse_mode goes through DefaultBotProperties: Bot(parse_mode=...) raises on aiogram >= 3.7
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_dispatcher(services: Services) -> Dispatcher:
    """One dispatcher, built fresh on every call: routers come from factories."""
    dispatcher = Dispatcher(
        # No handler keeps FSM state: every step's state is in SQLite (quiz rounds, settings),
        # so the FSM middleware's per-update storage lookups are switched off.
        disable_fsm=True,
        # /admin's owners by name: handlers get what they need, not the configuration.
        admin_ids=services.settings.bot_admin_ids,
        catalog=services.catalog,
        library=services.library,
        profiles=services.profiles,
        quiz=services.quiz,
        reminders=services.reminders,
        pictures=services.pictures,
        admin_report=services.admin_report,
    )
    # Registered first, so it wraps the others; on ``errors`` too, because aiogram's error
    # handlers run outside the update's outer middlewares.
    counter = InFlightMiddleware(services.inflight)
    dispatcher.update.outer_middleware(counter)
    dispatcher.errors.outer_middleware(counter)
    dispatcher.update.outer_middleware(UpdateLogMiddleware())
    # Inside the log middleware: it reads which handler ran from the log's record.
    dispatcher.update.outer_middleware(UpdateMetricsMiddleware(services.metrics))
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
        admit_only_own_callbacks(router)
    dispatcher.include_routers(*routers)

    # The hooks close over the container: handlers see services one by one, never the whole.
    async def on_startup(bot: Bot) -> None:
        await lifecycle.on_startup(bot, services)

    async def on_shutdown(bot: Bot) -> None:
        await lifecycle.on_shutdown(bot, services)

    dispatcher.startup.register(on_startup)
    dispatcher.shutdown.register(on_shutdown)
    return dispatcher
