"""The owners' weekly numbers: chats and users by language, subscriptions, deliveries, rounds,
and with paid broadcast on, the Star balance now, what the next fan-out will cost and what the
last one spent.

It reads across the features (profiles, reminders, quiz), so it has its own service rather
than a handler reaching into three repositories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.reminders.planner import next_fan_out
from bot.reminders.service import ReminderService
from bot.reminders.types import DeliveryStatus
from bot.telegram.broadcast import (
    FanOutSpend,
    PaidBroadcast,
    Stopped,
    estimated_cost,
    star_balance,
)
from storage.chats import ChatRepository
from storage.quiz import QuizRepository
from storage.reminders import ReminderRepository
from storage.users import UserRepository

if TYPE_CHECKING:
    from aiogram import Bot

PERIOD = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Report:
    chats: dict[str, int]  # by language ("-": not chosen)
    users: dict[str, int]  # by language, the chosen one or else Telegram's
    subscriptions: int
    deliveries: dict[DeliveryStatus, int]  # of the deliveries due in the period
    rounds: int  # quiz rounds finished in the period
    paid: PaidReport | None = None  # None: paid broadcast is off


@dataclass(frozen=True, slots=True)
class PaidReport:
    next_at: datetime | None  # when the next fan-out begins (None: none within a year)
    next_messages: int
    next_cost: Decimal  # at most: every message charged
    last: FanOutSpend | None
    stopped: Stopped | None
    balance: Decimal | None  # the Star balance now (getMyStarBalance); None: not read


class AdminReport:
    def __init__(
        self,
        chats: ChatRepository,
        users: UserRepository,
        reminders: ReminderRepository,
        quiz: QuizRepository,
        clock: Clock,
        *,
        reminder_service: ReminderService,
        paid: PaidBroadcast,
    ) -> None:
        self._chats = chats
        self._users = users
        self._reminders = reminders
        self._quiz = quiz
        self._clock = clock
        self._reminder_service = reminder_service
        self._paid = paid

    async def week(self, bot: Bot) -> Report:
        since = self._clock.now() - PERIOD
        return Report(
            chats=await self._chats.count_by_language(),
            users=await self._users.count_by_language(),
            subscriptions=await self._reminders.count(),
            deliveries=await self._reminders.status_counts(since),
            rounds=await self._quiz.rounds_played(since),
            paid=await self._paid_report(bot) if self._paid.enabled else None,
        )

    async def _paid_report(self, bot: Bot) -> PaidReport:
        service = self._reminder_service
        upcoming = next_fan_out(
            service.catalog.calendar, await service.rule_groups(), self._clock.now()
        )
        at, messages = upcoming or (None, 0)
        cost = estimated_cost(messages)
        return PaidReport(
            at, messages, cost, self._paid.last, self._paid.stopped, await star_balance(bot)
        )
