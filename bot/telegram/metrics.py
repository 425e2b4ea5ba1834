"""Prometheus metrics of one bot instance, and the two middlewares that count into them.

Each bot instance has its own registry, not prometheus-client's global default: the tests run
many dispatchers in one process, and a second registration of a name in one registry raises.

- ``nwfz_updates_total{kind, outcome}``: every update, by its type and what became of it:
  ``handled``; ``unhandled`` (no handler, or the fallback router's clear reply or silence);
  ``error`` (an exception other than a user-facing one, logged and answered politely).
- ``nwfz_update_duration_seconds{kind}``: how long handling took (histogram).
- ``nwfz_telegram_requests_total{method, outcome}``: every Bot API request that left, each
  retry again: ``ok``, ``retry_after`` (429), ``client_error`` (other 4xx), ``server_error``,
  ``network``.
- ``nwfz_telegram_retry_after_total{method}``: the 429s Telegram answered.
- ``nwfz_send_queue_requests``: messages waiting for their turn in the rate limiter now.
- ``nwfz_reminder_deliveries{status}``: the delivery table by status, read at scrape time.
  Read from the database rather than counted on each transition: it stays right across
  restarts and is the same on every replica (aggregate with ``max``, not ``sum``).
- ``nwfz_paid_broadcast_messages_total``: messages sent with ``allow_paid_broadcast``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bot.telegram.errors import UserFacingError
from bot.telegram.middlewares import NextHandler
from bot.telegram.middlewares.logs import current_handler

if TYPE_CHECKING:
    from aiogram import Bot

__all__ = ["CONTENT_TYPE", "Metrics", "RequestMetricsMiddleware", "UpdateMetricsMiddleware"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
# The fallback router's handlers: what they do is the answer to an update nobody handles.
FALLBACK_MODULE = "handlers.fallback."
# From a cached reply (a fraction of a millisecond) to a handler stuck behind the rate limiter.
DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

Metric = TypeVar("Metric", Counter, Histogram)

# The delivery table's rows by status (a str enum): read at scrape time.
DeliveryCounts = Callable[[], Awaitable[Mapping[Any, int]]]


class Children(Generic[Metric]):
    """A labelled metric's children, each looked up once: ``labels()`` validates the values
    and takes a lock on every call, a few microseconds on every update and request."""

    def __init__(self, metric: Metric) -> None:
        self._metric: Metric = metric
        self._children: dict[tuple[str, ...], Metric] = {}

    def __call__(self, *values: str) -> Metric:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "nwfz_updates",
            "Updates received, by kind and outcome (handled, unhandled, error).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.update_duration = Histogram(
            "nwfz_update_duration_seconds",
            "Time spent handling one update, by kind.",
            ["kind"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.telegram_requests = Counter(
            "nwfz_telegram_requests",
            "Bot API requests sent, by method and outcome; a retry counts again.",
            ["method", "outcome"],
            registry=self.registry,
        )
        self.retry_after = Counter(
            "nwfz_telegram_retry_after",
            "429 Too Many Requests answers from Telegram, by method.",
            ["method"],
            registry=self.registry,
        )
        self.paid_messages = Counter(
            "nwfz_paid_broadcast_messages",
            "Messages Telegram accepted with allow_paid_broadcast (0.1 Star each at most).",
            registry=self.registry,
        )
        self.send_queue = Gauge(
            "nwfz_send_queue_requests",
            "Messages waiting in the rate limiter for their turn.",
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "nwfz_reminder_deliveries",
            "Reminder deliveries in the database by status (all replicas, since the start).",
            ["status"],
            registry=self.registry,
        )
        self._delivery_counts: DeliveryCounts | None = None
        # The children the middlewares count into (label values in the metric's order).
        self.updates_by = Children(self.updates)
        self.duration_by = Children(self.update_duration)
        self.requests_by = Children(self.telegram_requests)
        self.retry_after_by = Children(self.retry_after)

    def watch(self, *, queue_depth: Callable[[], int], delivery_counts: DeliveryCounts) -> None:
        """What is read at scrape time: the limiter's queue and the delivery table."""
        self.send_queue.set_function(queue_depth)
        self._delivery_counts = delivery_counts

    async def exposition(self) -> bytes:
        """The text a scrape gets, with the database figures read now."""
        if self._delivery_counts is not None:
            counts = await self._delivery_counts()
            self.deliveries.clear()  # a status no row has any more reads 0, not its old value
            for status, count in counts.items():
                self.deliveries.labels(status=str(status)).set(count)
        return generate_latest(self.registry)


class UpdateMetricsMiddleware(BaseMiddleware):
    """Outer update middleware: counts each update by kind and outcome and times it. Inside
    the log middleware, whose record of the handler that ran it reads."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self, handler: NextHandler, event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        assert isinstance(event, Update)
        kind = event.event_type
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
        except UserFacingError:
            # A reply that explains (a stale button, a setting that cannot apply), not a bug.
            outcome = "handled"
            raise
        else:
            outcome = "unhandled" if result is UNHANDLED else "handled"
            return result
        finally:
            taken = current_handler()
            if outcome == "handled" and taken is not None and taken.startswith(FALLBACK_MODULE):
                outcome = "unhandled"
            self.metrics.updates_by(kind, outcome).inc()
            self.metrics.duration_by(kind).observe(time.perf_counter() - started)


class RequestMetricsMiddleware(BaseRequestMiddleware):
    """Session middleware, inside the rate limiter's: sees every attempt that really leaves."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        outcome: str | None = None  # stays None for a request cut off before any answer
        try:
            response = await make_request(bot, method)
        except TelegramRetryAfter:
            outcome = "retry_after"
            self.metrics.retry_after_by(name).inc()
            raise
        except TelegramServerError:
            outcome = "server_error"
            raise
        except TelegramNetworkError:
            outcome = "network"
            raise
        except TelegramAPIError:
            outcome = "client_error"
            raise
        else:
            outcome = "ok"
            if getattr(method, "allow_paid_broadcast", None):
                self.metrics.paid_messages.inc()
            return response
        finally:
            if outcome is not None:
                self.metrics.requests_by(name, outcome).inc()
