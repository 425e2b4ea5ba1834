"""Paid broadcast (Bot API 7.11): the reminder fan-out may pay for speed, off by default.

Sent with ``allow_paid_broadcast``, a bot's messages may go at up to 1,000 a second instead of
about 30, for 0.1 Star each, taken from the bot's Star balance (the Bot API's own page adds:
only messages over the free 30 a second are charged, only those delivered, and the feature
needs a balance of at least 10,000 Stars). ``PAID_BROADCAST=true`` turns it on; then the
rate limiter sends the ``bulk_sends()`` lane that way (see ``ratelimit.py``).

What a fan-out cost is read from the real balance (``getMyStarBalance``, Bot API 9.1) before
its first paid message and after it, not counted as sends x 0.1: the count is an upper bound
(Telegram charges nothing for the first 30 a second nor for a message it did not deliver),
and the balance is what the owner pays. The count is kept beside it.

When Telegram refuses a paid message (its balance ran out, or any other reason of the
payment's), that message is sent again unpaid, and so is the rest of the fan-out: at the free
pace, nothing lost. Paid broadcast stays off until the balance rises above what it was when the
fan-out that stopped it ended (a top-up): a fan-out that begins while it is off reads the
balance (at most once a minute) and pays again if it has. No restart needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from aiogram.exceptions import TelegramAPIError
from aiogram.types import StarAmount

from bot.clock import Clock

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

STARS_PER_MESSAGE = Decimal("0.1")
# While paid broadcast is off, how often a fan-out may ask Telegram for the balance.
TOP_UP_CHECK_EVERY = timedelta(minutes=1)
NANOSTARS = Decimal(1_000_000_000)


@dataclass(frozen=True, slots=True)
class Stopped:
    at: datetime
    reason: str  # Telegram's words for refusing a paid message


@dataclass(frozen=True, slots=True)
class FanOutSpend:
    """One fan-out sent with paid broadcast on."""

    started: datetime
    finished: datetime
    paid_messages: int  # accepted with allow_paid_broadcast
    stars: Decimal | None  # the balance before minus after; None if it could not be read


class PaidBroadcast:
    def __init__(self, clock: Clock, *, enabled: bool = False) -> None:
        self.clock = clock
        self.enabled = enabled
        self.stopped: Stopped | None = None
        self.paid_messages = 0  # since start-up
        self.last: FanOutSpend | None = None
        self._ledger: _Ledger | None = None
        # Paid messages refused whose unpaid retry has not answered yet: until it does, no
        # more go paid (at 800 a second, hundreds more would be refused meanwhile).
        self._in_doubt = 0
        # The balance when the fan-out that stopped paying ended; above it: a top-up.
        self._balance_when_stopped: Decimal | None = None
        self._top_up_checked: datetime | None = None

    @property
    def active(self) -> bool:
        """Bulk sends pay now."""
        return self.enabled and self.stopped is None and not self._in_doubt

    def sent(self) -> None:
        self.paid_messages += 1

    def doubt(self) -> None:
        """Telegram refused a paid message; it is being sent again unpaid."""
        self._in_doubt += 1

    def resolve(self, reason: str, *, unpaid_went: bool) -> None:
        """The unpaid retry answered. It went: paying was the problem, and the rest goes
        unpaid too. It failed as well: the refusal was the chat's, and paying goes on."""
        self._in_doubt -= 1
        if not unpaid_went or self.stopped is not None:
            return
        self.stopped = Stopped(self.clock.now(), reason)
        log.warning(
            "paid broadcast stopped: Telegram refused a paid message (%s); the rest goes at "
            "the free pace, and paid broadcast stays off until the Star balance is topped up",
            reason,
        )

    @asynccontextmanager
    async def fan_out(self, bot: Bot) -> AsyncIterator[None]:
        """Around one fan-out. The balance is read before its first paid message (a sending
        run with nothing paid to send asks Telegram nothing) and after its last."""
        if self.enabled and self.stopped is not None:
            await self._resume_after_a_top_up(bot)
        ledger = self._ledger = _Ledger(self.clock.now(), self.paid_messages)
        try:
            yield
        finally:
            self._ledger = None
            if ledger.before is not None:
                before = await ledger.before
                after = await star_balance(bot)
                spent = before - after if before is not None and after is not None else None
                paid = self.paid_messages - ledger.counted
                self.last = FanOutSpend(ledger.started, self.clock.now(), paid, spent)
                if self.stopped is not None and self._balance_when_stopped is None:
                    self._balance_when_stopped = after
                log.info(
                    "paid broadcast: %s paid message(s), %s Stars spent",
                    paid,
                    "an unknown number of" if spent is None else spent,
                )

    async def _resume_after_a_top_up(self, bot: Bot) -> None:
        now = self.clock.now()
        checked, self._top_up_checked = self._top_up_checked, now
        if checked is not None and now - checked < TOP_UP_CHECK_EVERY:
            return
        when_stopped = self._balance_when_stopped
        balance = await star_balance(bot)
        if balance is None or when_stopped is None or balance <= when_stopped:
            return  # not read, then or now (a restart still turns it on), or no top-up yet
        log.info("paid broadcast on again: the balance rose from %s to %s", when_stopped, balance)
        self.stopped, self._balance_when_stopped, self._top_up_checked = None, None, None

    async def before_paid_send(self, bot: Bot) -> None:
        """The first paid message of a fan-out waits for the balance before it to be read."""
        ledger = self._ledger
        if ledger is None:
            return
        if ledger.before is None:
            ledger.before = asyncio.ensure_future(star_balance(bot))
        # Shielded: a message given up must not cancel the read the others wait for.
        await asyncio.shield(ledger.before)


class _Ledger:
    """One fan-out's account: when it began, the paid count then, the balance before it."""

    def __init__(self, started: datetime, counted: int) -> None:
        self.started = started
        self.counted = counted
        self.before: asyncio.Future[Decimal | None] | None = None


async def star_balance(bot: Bot) -> Decimal | None:
    """The bot's Star balance, or None when Telegram does not say (logged)."""
    try:
        return stars(await bot.get_my_star_balance())
    except TelegramAPIError as error:  # network errors included
        log.warning("could not read the Star balance: %s", error)
        return None


def stars(amount: StarAmount) -> Decimal:
    return Decimal(amount.amount) + Decimal(amount.nanostar_amount or 0) / NANOSTARS


def estimated_cost(messages: int) -> Decimal:
    """The most a fan-out of ``messages`` can cost: every one charged."""
    return messages * STARS_PER_MESSAGE
