"""Running the bot for real: long polling against Telegram (or TELEGRAM_API_URL)."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Dispatcher
from aiohttp import web

from bot.app import Services, create_bot, create_dispatcher, create_services
from bot.clock import SystemClock
from bot.config import Settings
from bot.webhook import create_web_app, register_webhook

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


async def run_webhook(settings: Settings, token: str) -> None:
    if not settings.webhook_url:
        raise ValueError("WEBHOOK_URL is required in webhook mode")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    services = await create_services(settings, SystemClock())
    bot = create_bot(token, settings.telegram_api_url, limiter=services.limiter)
    dispatcher = create_dispatcher(services)
    app = create_web_app(services, bot, dispatcher, path=settings.webhook_path, secret=secret)

    async def on_startup(_: web.Application) -> None:
        await register_webhook(bot, dispatcher, settings.webhook_url or "", secret)

    async def on_cleanup(_: web.Application) -> None:
        await bot.session.close()
        await services.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    runner = web.AppRunner(app, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    log.info(
        "listening on %s:%s%s", settings.webhook_host, settings.webhook_port, settings.webhook_path
    )
    try:
        await asyncio.Event().wait()  # until SIGTERM/SIGINT cancels the run
    finally:
        await runner.cleanup()  # stops taking requests, waits for in-flight ones, runs hooks
