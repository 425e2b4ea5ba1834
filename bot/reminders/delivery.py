"""Sending one claimed reminder and recording its outcome: the delivery policy.

- A delivery is claimed (``sending``) in a batch, becomes ``departed`` the moment its request
  leaves (``bot/telegram/departure.py``: after the rate limiter granted its turn, right before
  the session posts) and is marked with its outcome right after Telegram answers.
- After downtime, deliveries due within ``CATCH_UP`` (6 h) are still sent; older ones are
  recorded as ``missed`` and never sent days late (``service.py``).
- 429: the request middleware waits ``retry_after`` and retries; while it waits, the delivery
  is ``sending`` again (its request was not carried out), so a process that dies then leaves
  it to be sent, not recorded ``unknown``. 403 (blocked, kicked) and
  400 "chat not found": the chat is marked inactive, the delivery ``failed``, later ones are
  skipped. 400 with ``migrate_to_chat_id``: the chat id is rewritten everywhere and the message
  is resent to the new id. 5xx and connection errors: retried with backoff, ``MAX_ATTEMPTS``
  in all, then ``failed``.
- Never doubled: a request that may have reached Telegram is never sent again; a missing
  reminder is the lesser failure. A request timeout (the request left, Telegram most likely
  delivered it) is recorded ``unknown``. When a claim's process dies (kill -9, a lost machine),
  its rows still ``sending`` never left and go back to the queue (when the lease runs out with
  replicas; at the next start with SQLite), while its ``departed`` rows, the few requests in
  flight at that moment, are recorded ``unknown`` (``storage/reminders.py``). That costs one
  write per delivery, made while the request waits for nothing else. A replica that stalled
  past its lease finds its claim gone at departure (another took the row over) and does not
  send.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.clock import Clock
from bot.profiles.service import Profiles
from bot.reminders.types import Delivery, DeliveryStatus
from bot.telegram.departure import on_departure
from bot.telegram.ui import Screen
from storage.reminders import ReminderRepository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))


class ClaimLost(Exception):
    """The delivery's claim ran out and another replica holds the row: do not send it."""


class ReminderSender:
    def __init__(self, repo: ReminderRepository, profiles: Profiles, clock: Clock) -> None:
        self.repo = repo
        self.profiles = profiles
        self.clock = clock

    async def send(self, bot: Bot, delivery: Delivery, screen: Screen) -> DeliveryStatus:
        """Send a claimed delivery; returns the status it was marked with (``sending`` when
        its claim was lost and the row left to the replica that holds it)."""
        return await self._send(bot, delivery, delivery.chat_id, screen)

    async def mark(
        self, delivery: Delivery, status: DeliveryStatus, error: str | None = None
    ) -> DeliveryStatus:
        await self.repo.mark(delivery, status, error=error)
        return status

    async def _send(
        self, bot: Bot, delivery: Delivery, chat_id: int, screen: Screen
    ) -> DeliveryStatus:
        async def departing() -> None:
            if not await self.repo.depart(delivery):
                raise ClaimLost(delivery.key)

        async def held_back() -> None:
            await self.repo.hold_back(delivery)

        try:
            with on_departure(departing, held_back=held_back):
                await bot.send_message(chat_id, screen.text, reply_markup=screen.markup)
        except ClaimLost:
            log.warning("reminder %s: its claim ran out, another replica holds it", delivery.key)
            return DeliveryStatus.SENDING
        except TelegramMigrateToChat as error:
            await self.profiles.migrate(chat_id, error.migrate_to_chat_id)
            moved = Delivery(
                error.migrate_to_chat_id, delivery.day, delivery.occurrence, delivery.lead,
                delivery.due_at, delivery.attempts, delivery.selection,
            )  # fmt: skip
            return await self._send(bot, moved, error.migrate_to_chat_id, screen)
        except (
            TelegramForbiddenError, TelegramNotFound, TelegramBadRequest, TelegramNetworkError,
            TelegramServerError, TelegramRetryAfter,
        ) as error:  # fmt: skip
            return await self._failed(delivery, chat_id, error)
        return await self.mark(delivery, DeliveryStatus.SENT)

    async def _failed(
        self, delivery: Delivery, chat_id: int, error: TelegramAPIError
    ) -> DeliveryStatus:
        """What a refused or failed request means for its delivery."""
        if isinstance(error, TelegramNetworkError | TelegramServerError | TelegramRetryAfter):
            if isinstance(error, TelegramNetworkError) and "timeout" in error.message.lower():
                # The request left; Telegram has most likely delivered it. Not resent.
                return await self.mark(delivery, DeliveryStatus.UNKNOWN, error.message)
            return await self._retry_later(delivery, error.message)
        if isinstance(error, TelegramBadRequest) and "chat not found" not in error.message:
            log.error("reminder to %s rejected: %s", chat_id, error.message)
            return await self.mark(delivery, DeliveryStatus.FAILED, error.message)
        return await self._unreachable(delivery, chat_id, error.message)

    async def _unreachable(self, delivery: Delivery, chat_id: int, reason: str) -> DeliveryStatus:
        log.info("chat %s unreachable (%s): deactivated", chat_id, reason)
        await self.profiles.set_active(chat_id, False)
        return await self.mark(delivery, DeliveryStatus.FAILED, reason)

    async def _retry_later(self, delivery: Delivery, reason: str) -> DeliveryStatus:
        if delivery.attempts >= MAX_ATTEMPTS:
            return await self.mark(delivery, DeliveryStatus.FAILED, reason)
        wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
        retry_at = self.clock.now() + wait
        await self.repo.mark(delivery, DeliveryStatus.PENDING, error=reason, retry_at=retry_at)
        return DeliveryStatus.PENDING
