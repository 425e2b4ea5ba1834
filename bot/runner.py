"""Running the bot for real: long polling against Telegram (or TELEGRAM_API_URL)."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher

from bot.app import Services, create_bot, create_dispatcher, create_services
from bot.clock import SystemClock
from bot.config import Settings

log = logging.getLogger(__name__)


async def emit_startup(dispatcher: Dispatcher, bot: Bot) -> None:
    """What ``start_polling`` does before polling; the demo and tests start the bot this way."""
    await dispatcher.emit_startup(
        bot=bot, dispatcher=dispatcher, bots=[bot], **dispatcher.workflow_data
    )


async def emit_shutdown(dispatcher: Dispatcher, bot: Bot) -> None:
    await dispatcher.emit_shutdown(
        bot=bot, dispatcher=dispatcher, bots=[bot], **dispatcher.workflow_data
    )


async def run_polling(settings: Settings, token: str) -> None:
    services: Services = await create_services(settings, SystemClock())
    bot = create_bot(token, settings.telegram_api_url, limiter=services.limiter)
    dispatcher = create_dispatcher(services)
    try:
        # start_polling runs the startup hooks (token check, menus, scheduler) and, on SIGINT or
        # SIGTERM, stops taking updates and runs the shutdown hooks.
        await dispatcher.start_polling(
            bot, allowed_updates=dispatcher.resolve_used_update_types(), handle_signals=True
        )
    finally:
        await services.close()
