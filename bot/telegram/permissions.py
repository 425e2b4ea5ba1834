"""Who may change a group's settings: its administrators, including anonymous ones."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, Message

from bot.telegram.errors import NotAnAdmin

ADMIN_STATUSES = {"creator", "administrator"}


async def is_chat_admin(bot: Bot, event: Message | CallbackQuery) -> bool:
    message = event if isinstance(event, Message) else event.message
    if message is None:
        return False
    chat = message.chat
    if chat.type == "private":
        return True
    # A message an anonymous admin sends "as the group" carries the group as sender_chat.
    if isinstance(event, Message) and event.sender_chat is not None:
        return event.sender_chat.id == chat.id
    user = event.from_user
    if user is None:
        return False
    member = await bot.get_chat_member(chat.id, user.id)
    return member.status in ADMIN_STATUSES


async def require_chat_admin(bot: Bot, event: Message | CallbackQuery) -> None:
    """Refuse anyone but an administrator: the errors router answers ``NotAnAdmin`` (an alert
    on a button, a reply to a message), so every refusal reads the same."""
    if not await is_chat_admin(bot, event):
        raise NotAnAdmin
