"""/admin: numbers for the owners (BOT_ADMIN_IDS); everyone else gets the unknown-command reply."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import commands
from bot.i18n import Translator

if TYPE_CHECKING:  # bot.app imports the handlers: a runtime import would be circular
    from bot.app import Services


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command(commands.ADMIN.name))
    async def cmd_admin(message: Message, t: Translator, services: Services) -> None:
        user = message.from_user
        if (
            user is None
            or message.sender_chat is not None
            or user.id not in services.settings.bot_admin_ids
        ):
            await message.answer(t("errors.unknown_command", command="/admin"))
            return
        week_ago = services.clock.now() - timedelta(days=7)
        chats = await services.profiles.chats.count_by_language()
        users = await services.profiles.users.count_by_language()
        deliveries = await services.reminders.repo.status_counts(week_ago)
        await message.answer(
            t(
                "admin.report",
                chats=", ".join(f"{lang}: {count}" for lang, count in sorted(chats.items()))
                or "0",
                users=", ".join(f"{lang}: {count}" for lang, count in sorted(users.items()))
                or "0",
                subscriptions=await services.reminders.repo.count(),
                sent=deliveries.get("sent", 0),
                missed=deliveries.get("missed", 0),
                failed=deliveries.get("failed", 0) + deliveries.get("unknown", 0),
                rounds=await services.quiz.repo.rounds_played(week_ago),
            )
        )

    return router
