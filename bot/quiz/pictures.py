"""The pictures of picture questions: the timeline of the key dates with one event marked "?".

Each is rendered once per question and language (the key dates are labelled in the players'
language) and kept in memory; once Telegram has it, the file_id of the poll's media is reused
instead of the bytes (a sent poll's ``media.photo`` carries one, as a photo message's does).
"""

from __future__ import annotations

from aiogram.types import BufferedInputFile, InputMediaPhoto, Message

from bot.library.pictures import PictureCache, events_key
from content.loader import Catalog
from content.models import CalendarEvent, Lang, Question


class QuizPictures:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._cache = PictureCache()

    def events(self, question: Question) -> list[CalendarEvent]:
        """What the picture shows: the key dates and the marked event."""
        return [
            event for event in self.catalog.calendar if event.key or event.id == question.picture
        ]

    def _key(self, question: Question, lang: Lang) -> str:
        title = question.text.get(lang)
        return f"{question.id}:{lang}:{events_key(self.events(question), lang, title)}"

    async def png(self, question: Question, lang: Lang) -> bytes:
        assert question.picture is not None, "not a picture question"
        return await self._cache.png(
            self._key(question, lang), self.events(question), lang, question.text.get(lang),
            question.picture,
        )  # fmt: skip

    async def upload(self, question: Question, lang: Lang) -> BufferedInputFile | str:
        """The picture to send: Telegram's file_id once it has it, else the PNG."""
        key = self._key(question, lang)
        return self._cache.file_id(key) or BufferedInputFile(
            await self.png(question, lang), filename=f"{question.id}.png"
        )

    async def media(self, question: Question, lang: Lang) -> InputMediaPhoto:
        return InputMediaPhoto(media=await self.upload(question, lang))

    def remember(self, question: Question, lang: Lang, sent: Message) -> None:
        """Keep the file_id Telegram gave the picture of a sent poll or photo."""
        photo = sent.photo
        if sent.poll is not None and sent.poll.media is not None:
            photo = sent.poll.media.photo
        if photo:
            self._cache.keep_file_id(self._key(question, lang), photo[-1].file_id)
