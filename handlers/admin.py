"""/admin: numbers for the owners (BOT_ADMIN_IDS); everyone else gets the unknown-command reply."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.admin.report import AdminReport
from bot.admin.views import report_text
from bot.telegram import commands
from bot.telegram.i18n import Translator


async def cmd_admin(
    message: Message, bot: Bot, t: Translator, admin_ids: frozenset[int],
    admin_report: AdminReport,
) -> None:  # fmt: skip
    user = message.from_user
    if user is None or message.sender_chat is not None or user.id not in admin_ids:
        await message.answer(t("errors.unknown_command", command="/admin"))
        return
    await message.answer(report_text(t, await admin_report.week(bot)))


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_admin, Command(commands.ADMIN.name))
    return router
