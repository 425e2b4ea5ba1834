"""Outgoing traffic within Telegram's limits, for every request the bot makes.

A session middleware waits for a slot before each message-producing call (about 25 msg/s
overall, 20/min per group: sends and edits both count), and on a 429 waits ``retry_after``
and tries again. Waiting uses the injected clock, so tests never sleep in real time.
Features that can skip a message (a lobby's player list) ask ``has_room`` first and leave
the budget to the messages that matter.
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.clock import Clock

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

COUNTED_METHODS = {
    "sendMessage", "sendPoll", "sendDocument", "sendPhoto", "editMessageText",
    "editMessageReplyMarkup", "editMessageCaption", "stopPoll",
}  # fmt: skip
MAX_RETRY_AFTER_ATTEMPTS = 5
SWEEP_EVERY = 1000


@dataclass(frozen=True)
class Limits:
    overall_per_second: int = 25
    group_per_minute: int = 20
    private_per_second: int = 1


class RateLimiter:
    def __init__(self, clock: Clock, limits: Limits | None = None) -> None:
        self.clock = clock
        self.limits = limits or Limits()
        self._overall: deque[datetime] = deque()
        self._per_chat: dict[int, deque[datetime]] = defaultdict(deque)
        self._acquired = 0

    def _window(self, chat_id: int) -> tuple[timedelta, int]:
        if chat_id < 0:  # groups, supergroups and channels have negative ids
            return timedelta(minutes=1), self.limits.group_per_minute
        return timedelta(seconds=1), self.limits.private_per_second

    def _prune(self, now: datetime, chat_id: int) -> None:
        while self._overall and now - self._overall[0] >= timedelta(seconds=1):
            self._overall.popleft()
        window, _ = self._window(chat_id)
        sent = self._per_chat[chat_id]
        while sent and now - sent[0] >= window:
            sent.popleft()
        if not sent:
            del self._per_chat[chat_id]

    def wait_time(self, chat_id: int) -> timedelta:
        """How long until one more message to ``chat_id`` fits every limit."""
        now = self.clock.now()
        self._prune(now, chat_id)
        wait = timedelta(0)
        if len(self._overall) >= self.limits.overall_per_second:
            wait = self._overall[0] + timedelta(seconds=1) - now
        window, limit = self._window(chat_id)
        sent = self._per_chat.get(chat_id)
        if sent and len(sent) >= limit:
            wait = max(wait, sent[-limit] + window - now)
        return wait

    def has_room(self, chat_id: int, keep: int = 0) -> bool:
        """True when ``keep`` more messages would still fit this chat's window after one more."""
        now = self.clock.now()
        self._prune(now, chat_id)
        _, limit = self._window(chat_id)
        return len(self._per_chat.get(chat_id, ())) + 1 + keep <= limit

    async def acquire(self, chat_id: int) -> None:
        while (wait := self.wait_time(chat_id)) > timedelta(0):
            await self.clock.sleep(wait.total_seconds())
        now = self.clock.now()
        self._overall.append(now)
        self._per_chat[chat_id].append(now)
        self._acquired += 1
        if self._acquired % SWEEP_EVERY == 0:
            self._sweep(now)

    def _sweep(self, now: datetime) -> None:
        """Forget chats with nothing in their window: a 100,000-chat fan-out touches each chat
        once, and their windows would otherwise stay in memory until the chat is written again."""
        for chat_id in [
            c for c, sent in self._per_chat.items() if now - sent[-1] >= self._window(c)[0]
        ]:
            del self._per_chat[chat_id]


class RateLimitMiddleware(BaseRequestMiddleware):
    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = _chat_id(method)
        counted = method.__api_method__ in COUNTED_METHODS and chat_id is not None
        for attempt in range(1, MAX_RETRY_AFTER_ATTEMPTS + 1):
            if counted:
                assert chat_id is not None
                await self.limiter.acquire(chat_id)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == MAX_RETRY_AFTER_ATTEMPTS:
                    raise
                # 429 means the request was not carried out: waiting and retrying is safe.
                log.warning(
                    "429 on %s to %s: waiting %s s",
                    method.__api_method__,
                    chat_id,
                    error.retry_after,
                )
                await self.limiter.clock.sleep(error.retry_after)
        raise AssertionError("unreachable")


def _chat_id(method: TelegramMethod[Any]) -> int | None:
    chat_id = getattr(method, "chat_id", None)
    return chat_id if isinstance(chat_id, int) else None
