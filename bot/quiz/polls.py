"""A question as a native quiz poll, with what newer Bot APIs add and a fallback without it.

| field | Bot API | sent | on a server without it |
|---|---|---|---|
| ``allows_revoting=False`` | 9.6 | every quiz poll | dropped (quizzes never allowed it before) |
| ``hide_results_until_closes`` | 9.6 | group games | dropped: votes show as they come |
| ``shuffle_options`` | 9.6 | group games | dropped: everyone sees the bot's order |
| ``description`` | 9.6 | every quiz poll | dropped: the explanation still cites |
| ``media`` (a photo) | 10.0 | picture questions | the picture goes as a photo message first |

Telegram documents ``allows_revoting`` as false by default for quizzes; the bot says so anyway,
so a changed default cannot let a player change a vote after the explanation showed the answer.
Results are hidden and options shuffled per player in group games only: a private practice poll
has one voter and no open period (it would hide its results forever).

A server that does not know a field answers 400 naming it (``field "x" is not supported``); the
field is then left out for the life of the process and the poll sent again, so each field costs
at most one refused request (the offline Telegram's ``api_version`` switch plays such a server).
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InputPollOption, Message

from bot.quiz.engine import PollSpec
from bot.quiz.pictures import QuizPictures
from bot.telegram.i18n import quote
from content.loader import Catalog
from content.models import Lang, Question

log = logging.getLogger(__name__)

NEWER_FIELDS = (
    "allows_revoting",
    "hide_results_until_closes",
    "shuffle_options",
    "description",
    "media",
)


class QuizPolls:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.pictures = QuizPictures(catalog)
        self.missing: set[str] = set()  # fields this server refused: never sent again

    async def send(
        self, bot: Bot, chat_id: int, question: Question, spec: PollSpec, lang: Lang,
        prefix: str, open_period: int | None,
    ) -> Message:  # fmt: skip
        """Send ``spec`` (``question`` in ``lang``, options in send order) as a quiz poll; a
        group game's poll has an ``open_period``."""
        newer: dict[str, Any] = {
            "allows_revoting": False,
            "description": quote(self.catalog.poll_description(question, lang)),
        }
        if open_period is not None:
            newer |= {"hide_results_until_closes": True, "shuffle_options": True}
        picture_sent = False
        for _ in range(len(NEWER_FIELDS) + 1):  # each round learns one missing field at most
            if question.picture is not None and "media" not in self.missing:
                newer["media"] = await self.pictures.media(question, lang)
            elif question.picture is not None and not picture_sent:
                await self._send_picture(bot, chat_id, question, lang)
                picture_sent = True
            fields = {name: value for name, value in newer.items() if name not in self.missing}
            try:
                message = await bot.send_poll(
                    chat_id,
                    question=quote(prefix + spec.question),
                    options=[InputPollOption(text=quote(option)) for option in spec.options],
                    type="quiz",
                    is_anonymous=False,
                    correct_option_ids=list(spec.correct),
                    explanation=quote(spec.explanation),
                    open_period=open_period,
                    **fields,
                )
            except TelegramBadRequest as error:
                refused = next((name for name in fields if f'"{name}"' in error.message), None)
                if refused is None:
                    raise
                self.missing.add(refused)
                log.warning("the Bot API server lacks poll %s: sending without it", refused)
                continue
            if "media" in fields:
                self.pictures.remember(question, lang, message)
            return message
        raise AssertionError("unreachable: every field can be refused only once")

    async def _send_picture(self, bot: Bot, chat_id: int, question: Question, lang: Lang) -> None:
        sent = await bot.send_photo(chat_id, await self.pictures.upload(question, lang))
        self.pictures.remember(question, lang, sent)
