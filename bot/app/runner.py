"""Running the bot for real: long polling or a webhook server, both stopped gracefully by
SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher
from aiohttp import web

from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.app.dispatcher import create_bot, create_dispatcher
from bot.app.metrics import serve_metrics
from bot.app.webhook import create_web_app, register_webhook, webhook_secret
from bot.clock import Clock, SystemClock

log = logging.getLogger(__name__)

# Tests only: the process's clock starts at this moment (ISO 8601 with its UTC offset) and runs
# at real speed from there, so a test can start the real bot at 08:59 on 29 August without
# waiting for it. Read here and nowhere else; production never sets it.
TEST_CLOCK_START = "NWFZ_TEST_CLOCK_START"


class OffsetClock(SystemClock):
    """The system clock shifted so that it read ``start`` when it was made."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


def process_clock() -> Clock:
    start = os.environ.get(TEST_CLOCK_START)
    if not start:
        return SystemClock()
    moment = datetime.fromisoformat(start)
    if moment.tzinfo is None:
        raise ValueError(f"{TEST_CLOCK_START} needs a UTC offset, e.g. 2026-08-29T08:59:57+05:00")
    log.warning("%s is set: the clock starts at %s (tests only)", TEST_CLOCK_START, start)
    return OffsetClock(moment)


def freeze_start_up_objects() -> None:
    """Leave what start-up loaded out of garbage collection from now on.

    The modules, the catalog and the services live as long as the process: about 240,000
    objects, and every full collection walked them all again (0.17 s on the 2-core test
    machine, a pause for every update in flight). Frozen after one collection (so no garbage
    is kept), they are never walked again; a full collection walks only what came after.
    """
    gc.collect()
    gc.freeze()


async def emit_startup(dispatcher: Dispatcher, bot: Bot) -> None:
    """What ``start_polling`` does before polling; the demo and tests start the bot this way."""
    await dispatcher.emit_startup(
        bot=bot, dispatcher=dispatcher, bots=[bot], **dispatcher.workflow_data
    )


async def emit_shutdown(dispatcher: Dispatcher, bot: Bot) -> None:
    await dispatcher.emit_shutdown(
        bot=bot, dispatcher=dispatcher, bots=[bot], **dispatcher.workflow_data
    )


def _stop_on_signals() -> asyncio.Event:
    """SIGTERM and SIGINT both mean "stop taking updates, finish what is in flight, exit 0".

    Installed before the slow start-up, so a signal then is not lost (or fatal, as SIGTERM's
    default action is) but stops the bot as soon as it runs.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _stop, sig, stop)
    return stop


def _stop(sig: signal.Signals, stop: asyncio.Event) -> None:
    log.info("received %s: stopping", sig.name)
    stop.set()


async def run_polling(settings: Settings, token: str) -> None:
    stop = _stop_on_signals()
    services: Services = await create_services(settings, process_clock())
    metrics_server: web.AppRunner | None = None
    try:
        if stop.is_set():
            return
        if settings.metrics_port is not None:
            metrics_server = await serve_metrics(
                services.metrics, settings.webhook_host, settings.metrics_port
            )
        bot = create_bot(
            token, settings.telegram_api_url, limiter=services.limiter, metrics=services.metrics
        )
        dispatcher = create_dispatcher(services)
        freeze_start_up_objects()
        # From here start_polling takes SIGTERM and SIGINT over (both stop polling alike). It
        # runs the startup hooks, polls, and when stopped runs the shutdown hooks (which wait
        # for the updates and job runs in flight) and closes the bot session.
        await dispatcher.start_polling(
            bot, allowed_updates=dispatcher.resolve_used_update_types(), handle_signals=True
        )
    finally:
        if metrics_server is not None:
            await metrics_server.cleanup()
        await services.close()  # after the shutdown hooks: nothing uses the database any more


async def run_webhook(settings: Settings, token: str) -> None:
    if not settings.webhook_url:
        raise ValueError("WEBHOOK_URL is required in webhook mode")
    stop = _stop_on_signals()
    services = await create_services(settings, process_clock())
    secret = await webhook_secret(settings.webhook_secret, services.shared)
    bot = create_bot(
        token, settings.telegram_api_url, limiter=services.limiter, metrics=services.metrics
    )
    dispatcher = create_dispatcher(services)
    app = create_web_app(services, bot, dispatcher, path=settings.webhook_path, secret=secret)
    freeze_start_up_objects()

    async def on_startup(_: web.Application) -> None:
        await register_webhook(bot, dispatcher, settings.webhook_url or "", secret)

    async def on_cleanup(_: web.Application) -> None:
        await services.close()  # cleanup runs after the shutdown hooks and the last request

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    # No handle_signals: aiohttp's handler raises SystemExit(1) out of the loop, and asyncio.run
    # then cancels the requests in flight instead of letting them finish.
    runner = web.AppRunner(app, shutdown_timeout=settings.shutdown_timeout)
    await runner.setup()  # runs the startup hooks
    try:
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        await site.start()
        log.info(
            "listening on %s:%s%s",
            settings.webhook_host,
            settings.webhook_port,
            settings.webhook_path,
        )
        await stop.wait()
    finally:
        # Stops listening, runs the shutdown hooks (they wait for the updates in flight), waits
        # for the last responses, then the cleanup hooks close the database.
        await runner.cleanup()
