"""A question as a native quiz poll, with what newer Bot APIs add.

| field | Bot API | sent |
|---|---|---|
| ``allows_revoting=False`` | 9.6 | every quiz poll |
| ``hide_results_until_closes`` | 9.6 | group games |
| ``shuffle_options`` | 9.6 | group games |
| ``description`` | 9.6 | every quiz poll |
| ``media`` (a photo) | 10.0 | picture questions |

Telegram documents ``allows_revoting`` as false by default for quizzes; the bot says so anyway,
so a changed default cannot let a player change a vote after the explanation showed the answer.
Results are hidden and options shuffled per player in group games only: a private practice poll
has one voter and no open period (it would hide its results forever).

A server without these fields gets the poll without them from the request middleware
(bot/telegram/compat.py), one refused request per field at most. Only the picture needs the
quiz: without poll media it goes first, as a photo message of its own.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import InputPollOption, Message

from bot.quiz.engine import PollSpec
from bot.quiz.pictures import QuizPictures
from bot.telegram.compat import PollMediaUnsupported
from bot.telegram.i18n import quote
from content.loader import Catalog
from content.models import Lang, Question


class QuizPolls:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.pictures = QuizPictures(catalog)

    async def send(
        self, bot: Bot, chat_id: int, question: Question, spec: PollSpec, lang: Lang,
        prefix: str, open_period: int | None,
    ) -> Message:  # fmt: skip
        """Send ``spec`` (``question`` in ``lang``, options in send order) as a quiz poll; a
        group game's poll has an ``open_period``."""
        fields: dict[str, Any] = {
            "open_period": open_period,
            "allows_revoting": False,
            "description": quote(self.catalog.poll_description(question, lang)),
        }
        if open_period is not None:
            fields |= {"hide_results_until_closes": True, "shuffle_options": True}
        if question.picture is not None:
            media = await self.pictures.media(question, lang)
            try:
                message = await self._send_poll(bot, chat_id, spec, prefix, media=media, **fields)
            except PollMediaUnsupported:
                await self._send_picture(bot, chat_id, question, lang)
            else:
                self.pictures.remember(question, lang, message)
                return message
        return await self._send_poll(bot, chat_id, spec, prefix, **fields)

    @staticmethod
    async def _send_poll(
        bot: Bot, chat_id: int, spec: PollSpec, prefix: str, **fields: Any
    ) -> Message:
        return await bot.send_poll(
            chat_id,
            question=quote(prefix + spec.question),
            options=[InputPollOption(text=quote(option)) for option in spec.options],
            type="quiz",
            is_anonymous=False,
            correct_option_ids=list(spec.correct),
            explanation=quote(spec.explanation),
            **fields,
        )

    async def _send_picture(self, bot: Bot, chat_id: int, question: Question, lang: Lang) -> None:
        sent = await bot.send_photo(chat_id, await self.pictures.upload(question, lang))
        self.pictures.remember(question, lang, sent)
