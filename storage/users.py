"""Users: the language they chose, and the one their Telegram app reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import aiosqlite

from bot.profiles.types import User
from content.models import LANGS, Lang


def _user(row: aiosqlite.Row) -> User:
    language = row["language"]
    return User(
        id=row["id"],
        language=language if language in LANGS else None,
        telegram_language=row["telegram_language"],
    )


class UserRepository:
    def __init__(self, db: aiosqlite.Connection, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    async def seen(self, user_id: int, telegram_language: str | None) -> User:
        stamp = self._now().isoformat()
        async with self._db.execute(
            """
            INSERT INTO users (id, telegram_language, created_at, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                telegram_language = excluded.telegram_language, updated_at = excluded.updated_at
            WHERE users.telegram_language IS NOT excluded.telegram_language
            RETURNING *
            """,
            (user_id, telegram_language, stamp, stamp),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            found = await self.get(user_id)
            assert found is not None
            return found
        return _user(row)

    async def get(self, user_id: int) -> User | None:
        async with self._db.execute("SELECT * FROM users WHERE id = ?", (user_id,)) as cursor:
            row = await cursor.fetchone()
        return _user(row) if row is not None else None

    async def set_language(self, user_id: int, language: Lang) -> None:
        await self._db.execute(
            "UPDATE users SET language = ?, updated_at = ? WHERE id = ?",
            (language, self._now().isoformat(), user_id),
        )

    async def count_by_language(self) -> dict[str, int]:
        async with self._db.execute(
            "SELECT COALESCE(language, telegram_language, '-') AS lang, COUNT(*) FROM users"
            " GROUP BY lang"
        ) as cursor:
            return {row[0]: row[1] async for row in cursor}
