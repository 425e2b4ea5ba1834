"""Timeline pictures: rendered once per language and content, then reused.

Rendering takes a few hundred milliseconds (and importing matplotlib about a second), so it
runs in a worker thread on first use, never at start-up, and the result is cached by a hash of
what it shows. After the first upload, Telegram's file_id is reused instead of the bytes.
``PictureCache`` does that for the /timeline picture here and for picture questions
(bot/quiz/pictures.py).
"""

from __future__ import annotations

import asyncio
import hashlib

from aiogram.types import BufferedInputFile, Message

from bot.telegram.i18n import Html
from content.loader import Catalog
from content.models import CalendarEvent, Lang


class PictureCache:
    """Timeline PNGs by key, each rendered once, and the file_ids Telegram gave them."""

    def __init__(self) -> None:
        self._png: dict[str, bytes] = {}
        self._file_ids: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def png(
        self, key: str, events: list[CalendarEvent], lang: Lang, title: str,
        mystery: str | None = None,
    ) -> bytes:  # fmt: skip
        async with self._lock:  # one render at a time; the second caller gets the cached one
            if key not in self._png:
                self._png[key] = await asyncio.to_thread(_render, events, lang, title, mystery)
        return self._png[key]

    def file_id(self, key: str) -> str | None:
        return self._file_ids.get(key)

    def keep_file_id(self, key: str, file_id: str) -> None:
        self._file_ids[key] = file_id


def events_key(events: list[CalendarEvent], lang: Lang, title: str) -> str:
    """A hash of what a picture of ``events`` shows."""
    digest = hashlib.sha256(title.encode())
    for event in events:
        digest.update(
            f"{event.id}|{event.year}-{event.month}-{event.day}|{event.text.get(lang)}".encode()
        )
    return digest.hexdigest()[:16]


class TimelinePictures:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._cache = PictureCache()

    def events(self) -> list[CalendarEvent]:
        return [event for event in self.catalog.calendar if event.key]

    def key(self, lang: Lang, title: str) -> str:
        return f"{lang}:{events_key(self.events(), lang, title)}"

    async def png(self, lang: Lang, title: str) -> bytes:
        return await self._cache.png(self.key(lang, title), self.events(), lang, title)

    async def send(self, message: Message, lang: Lang, title: str, caption: Html) -> None:
        """Send the picture to ``message``'s chat: Telegram's file_id once it has the picture,
        else the PNG (rendered on first use), whose file_id is then kept."""
        key = self.key(lang, title)
        file_id = self._cache.file_id(key)
        photo = file_id or BufferedInputFile(
            await self.png(lang, title), filename=f"timeline-{lang}.png"
        )
        sent = await message.answer_photo(photo, caption=caption)
        if file_id is None and sent.photo:
            self._cache.keep_file_id(key, sent.photo[-1].file_id)


def _render(events: list[CalendarEvent], lang: Lang, title: str, mystery: str | None) -> bytes:
    # Imported here: matplotlib takes about a second to import, which start-up should not pay.
    from bot.library.timeline_chart import render_timeline  # noqa: PLC0415

    return render_timeline(events, lang, title, mystery)
