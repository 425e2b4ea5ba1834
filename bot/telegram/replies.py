"""Sending screens: a new message, or an edit of the message whose button was pressed."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from bot.telegram.ui import Screen


async def send(message: Message, screen: Screen) -> Message:
    return await message.answer(screen.text, reply_markup=screen.markup)


async def show(query: CallbackQuery, screen: Screen) -> None:
    """Replace the pressed message with ``screen`` (navigation), then answer the query."""
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_text(screen.text, reply_markup=screen.markup)
        except TelegramBadRequest as error:
            # Pressing the page you are on is not an error worth a reply.
            if "message is not modified" not in error.message:
                raise
    elif message is not None and query.bot is not None:
        # The message is too old to edit (Telegram sends it as inaccessible): send a new one.
        await query.bot.send_message(message.chat.id, screen.text, reply_markup=screen.markup)
    await query.answer()
