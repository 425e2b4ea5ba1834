"""``python -m bot webhook``: the same dispatcher behind an aiohttp web server.

Telegram POSTs updates to WEBHOOK_PATH with the secret in ``X-Telegram-Bot-Api-Secret-Token``
(WEBHOOK_SECRET, or else one generated once and shared by the replicas through the database);
a wrong or missing secret gets 401 and nothing is processed (aiogram's SimpleRequestHandler
compares it in constant time). ``/healthz`` says which database backend runs and whether it
answers and, when the scheduler is enabled, whether it runs. Updates are handled inside the
request; on SIGTERM or SIGINT the server stops listening, the shutdown hooks wait for the
updates in flight (bounded by SHUTDOWN_TIMEOUT), then the bot session and the database close.
"""

from __future__ import annotations

import logging
import secrets

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from pydantic import SecretStr

from bot.app.container import Services
from bot.app.metrics import add_metrics_route
from storage.state import SharedValues

log = logging.getLogger(__name__)

SERVICES_KEY = web.AppKey("services", Services)
WEBHOOK_SECRET_NAME = "webhook_secret"


def create_web_app(
    services: Services, bot: Bot, dispatcher: Dispatcher, *, path: str, secret: str
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
    database = await services.db.ping()
    checks: dict[str, object] = {"database": {"backend": services.db.backend, "ok": database}}
    healthy = database
    if services.run_scheduler:
        checks["scheduler"] = services.scheduler is not None and services.scheduler.running
        healthy = healthy and bool(checks["scheduler"])
    return web.json_response({"ok": healthy, **checks}, status=200 if healthy else 503)


async def webhook_secret(configured: SecretStr | None, shared: SharedValues) -> str:
    """The configured WEBHOOK_SECRET, or else one generated at the first start and kept in
    the database, so the webhook is never open and every replica checks the secret that
    Telegram was given (``token_urlsafe`` uses only the characters Telegram allows)."""
    if configured is not None:
        return configured.get_secret_value()
    return await shared.get_or_set(WEBHOOK_SECRET_NAME, secrets.token_urlsafe(32))


async def register_webhook(bot: Bot, dispatcher: Dispatcher, url: str, secret: str) -> None:
    await bot.set_webhook(
        url, secret_token=secret, allowed_updates=dispatcher.resolve_used_update_types()
    )
    log.info("webhook set to %s", url.split("?", maxsplit=1)[0])
