"""/admin: numbers for the owners (BOT_ADMIN_IDS); everyone else gets the unknown-command reply."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.clock import Clock
from bot.profiles.service import Profiles
from bot.quiz.service import QuizService
from bot.reminders.service import ReminderService
from bot.telegram import commands
from bot.telegram.i18n import Translator


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command(commands.ADMIN.name))
    async def cmd_admin(
        message: Message,
        t: Translator,
        admin_ids: frozenset[int],
        clock: Clock,
        profiles: Profiles,
        reminders: ReminderService,
        quiz: QuizService,
    ) -> None:
        user = message.from_user
        if user is None or message.sender_chat is not None or user.id not in admin_ids:
            await message.answer(t("errors.unknown_command", command="/admin"))
            return
        week_ago = clock.now() - timedelta(days=7)
        chats = await profiles.chats.count_by_language()
        users = await profiles.users.count_by_language()
        deliveries = await reminders.repo.status_counts(week_ago)
        await message.answer(
            t(
                "admin.report",
                chats=", ".join(f"{lang}: {count}" for lang, count in sorted(chats.items()))
                or "0",
                users=", ".join(f"{lang}: {count}" for lang, count in sorted(users.items()))
                or "0",
                subscriptions=await reminders.repo.count(),
                sent=deliveries.get("sent", 0),
                missed=deliveries.get("missed", 0),
                failed=deliveries.get("failed", 0) + deliveries.get("unknown", 0),
                rounds=await quiz.repo.rounds_played(week_ago),
            )
        )

    return router
