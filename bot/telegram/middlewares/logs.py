"""Logging: one line per update, one per reminder run that did something, text or JSON, and
never the bot token."""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject, Update

from bot.telegram.middlewares import NextHandler

log = logging.getLogger("bot.updates")

# Which handler took the update: set by the inner middleware, read by the outer one.
_handler_name: ContextVar[list[str] | None] = ContextVar("handler_name", default=None)


def current_handler() -> str | None:
    """The handler that took the update being handled (module.function), if any ran yet.
    Inside the log middleware only: the metrics middleware reads it to tell the fallback."""
    slot = _handler_name.get()
    return slot[-1] if slot else None


class UpdateLogMiddleware(BaseMiddleware):
    """Outer update middleware: ``update 42 message handlers.library.content.cmd_fact 1.8 ms``."""

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        slot: list[str] = []
        token = _handler_name.set(slot)
        outcome = "ok"
        try:
            return await handler(event, data)
        except BaseException:
            outcome = "error"
            raise
        finally:
            name = current_handler()
            _handler_name.reset(token)
            assert isinstance(event, Update)
            duration_ms = (time.perf_counter() - started) * 1000
            log.info(
                "update %s %s %s %.1f ms %s",
                event.update_id,
                event.event_type,
                name or "-",
                duration_ms,
                outcome,
                extra={
                    "update_id": event.update_id,
                    "kind": event.event_type,
                    "handler": name,
                    "duration_ms": round(duration_ms, 2),
                    "outcome": outcome,
                },
            )


class HandlerNameMiddleware(BaseMiddleware):
    """Inner middleware (on every event type): records the handler that runs."""

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        slot = _handler_name.get()
        found = data.get("handler")
        if slot is not None and isinstance(found, HandlerObject):
            callback = found.callback
            slot.append(f"{callback.__module__}.{getattr(callback, '__name__', '?')}")
        return await handler(event, data)


class RedactToken(logging.Filter):
    """Replaces the token (and its secret half alone) wherever it would appear."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.secrets = [s for s in (token, token.split(":", 1)[-1] if token else None) if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self.secrets:
            message = message.replace(secret, "<token>")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "<token>")
        record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    FIELDS = ("update_id", "kind", "handler", "duration_ms", "outcome")

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update({f: getattr(record, f) for f in self.FIELDS if hasattr(record, f)})
        if record.exc_info:
            payload["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: int, fmt: str, token: str | None) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactToken(token))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler logs every job run at INFO ("Running job ...", "... executed successfully"):
    # two lines a second. Its warnings (a run skipped or late) still show; the reminder jobs
    # log one line of their own when a run did something.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
