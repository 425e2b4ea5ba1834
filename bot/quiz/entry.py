"""How a quiz opens, shared by /quiz and the quiz deep link (``/start quiz-<topic>``, also with
a shared card's level and size): a lobby in a group, a round in a private chat, or the topic
menu while neither a topic nor a level is chosen."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message

from bot.quiz import views
from bot.quiz.lobby import ROUND_SIZE
from bot.quiz.service import QuizService
from bot.telegram.i18n import Translator
from bot.telegram.replies import send
from content.loader import Catalog


def is_group(message: Message) -> bool:
    return message.chat.type in {"group", "supergroup"}


async def open_quiz(
    message: Message, bot: Bot, topic: str, t: Translator, quiz: QuizService, catalog: Catalog,
    difficulty: int = 0, size: int | None = None,
) -> None:  # fmt: skip
    size = size or ROUND_SIZE
    if is_group(message):
        starter = message.from_user if message.sender_chat is None else None
        await quiz.open_lobby(
            bot, message.chat.id, starter.id if starter else None,
            starter.full_name if starter else None, t.lang, topic=topic,
            difficulty=difficulty, size=size,
        )  # fmt: skip
        return
    if message.chat.type != "private" or message.from_user is None:
        return
    if not topic and not difficulty:
        await send(message, views.topic_menu(catalog, t))
        return
    await quiz.start_private(
        bot, message.chat.id, message.from_user.id, t.lang, topic=topic,
        difficulty=difficulty, size=size,
    )  # fmt: skip
