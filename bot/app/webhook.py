"""``python -m bot webhook``: the same dispatcher behind an aiohttp web server.

Telegram POSTs updates to WEBHOOK_PATH with the secret in ``X-Telegram-Bot-Api-Secret-Token``;
a wrong or missing secret gets 401 and nothing is processed (aiogram's SimpleRequestHandler
compares it in constant time). ``/healthz`` says whether the database answers and, when the
scheduler is enabled, whether it runs. Updates are handled inside the request; on SIGTERM or
SIGINT the server stops listening, the shutdown hooks wait for the updates in flight (bounded
by SHUTDOWN_TIMEOUT), then the bot session and the database close.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.app.container import Services
from bot.app.metrics import add_metrics_route

log = logging.getLogger(__name__)

SERVICES_KEY = web.AppKey("services", Services)


def create_web_app(
    services: Services, bot: Bot, dispatcher: Dispatcher, *, path: str, secret: str | None
) -> web.Application:
    app = web.Application()
    app[SERVICES_KEY] = services
    # Before the request handler: both add a shutdown hook, and the handler's closes the bot
    # session, which must come after the dispatcher's hooks waited for the updates in flight.
    setup_application(app, dispatcher, bot=bot)
    # Handled inside the request (not in a background task): a graceful shutdown then waits
    # for every update already accepted.
    SimpleRequestHandler(
        dispatcher, bot, secret_token=secret, handle_in_background=False
    ).register(app, path=path)
    app.router.add_get("/healthz", healthz)
    add_metrics_route(app, services.metrics)
    return app


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    checks: dict[str, bool] = {}
    checks["database"] = await services.db.ping()
    if services.run_scheduler:
        checks["scheduler"] = services.scheduler is not None and services.scheduler.running
    healthy = all(checks.values())
    return web.json_response({"ok": healthy, **checks}, status=200 if healthy else 503)


async def register_webhook(bot: Bot, dispatcher: Dispatcher, url: str, secret: str | None) -> None:
    await bot.set_webhook(
        url, secret_token=secret, allowed_updates=dispatcher.resolve_used_update_types()
    )
    log.info("webhook set to %s", url.split("?", maxsplit=1)[0])
