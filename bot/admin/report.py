"""The owners' weekly numbers: chats and users by language, subscriptions, deliveries, rounds.

It reads across the features (profiles, reminders, quiz), so it has its own service rather
than a handler reaching into three repositories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.reminders.types import DeliveryStatus
from storage.chats import ChatRepository
from storage.quiz import QuizRepository
from storage.reminders import ReminderRepository
from storage.users import UserRepository

PERIOD = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Report:
    chats: dict[str, int]  # by language ("-": not chosen)
    users: dict[str, int]  # by language, the chosen one or else Telegram's
    subscriptions: int
    deliveries: dict[DeliveryStatus, int]  # of the deliveries due in the period
    rounds: int  # quiz rounds finished in the period


class AdminReport:
    def __init__(
        self,
        chats: ChatRepository,
        users: UserRepository,
        reminders: ReminderRepository,
        quiz: QuizRepository,
        clock: Clock,
    ) -> None:
        self._chats = chats
        self._users = users
        self._reminders = reminders
        self._quiz = quiz
        self._clock = clock

    async def week(self) -> Report:
        since = self._clock.now() - PERIOD
        return Report(
            chats=await self._chats.count_by_language(),
            users=await self._users.count_by_language(),
            subscriptions=await self._reminders.count(),
            deliveries=await self._reminders.status_counts(since),
            rounds=await self._quiz.rounds_played(since),
        )
