"""Users: the language they chose, and the one their Telegram app reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.profiles.types import User
from content.models import LANGS, Lang
from storage.database import Database, Row


def _user(row: Row) -> User:
    language = row["language"]
    return User(
        id=row["id"],
        language=language if language in LANGS else None,
        telegram_language=row["telegram_language"],
    )


class UserRepository:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    async def seen(self, user_id: int, telegram_language: str | None) -> User:
        stamp = self._now().isoformat()
        row = await self._db.fetch_one(
            """
            INSERT INTO users (id, telegram_language, created_at, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                telegram_language = excluded.telegram_language, updated_at = excluded.updated_at
            WHERE users.telegram_language IS DISTINCT FROM excluded.telegram_language
            RETURNING *
            """,
            user_id, telegram_language, stamp, stamp,
        )  # fmt: skip
        if row is None:
            found = await self.get(user_id)
            assert found is not None
            return found
        return _user(row)

    async def get(self, user_id: int) -> User | None:
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", user_id)
        return _user(row) if row is not None else None

    async def set_language(self, user_id: int, language: Lang) -> None:
        await self._db.execute(
            "UPDATE users SET language = ?, updated_at = ? WHERE id = ?",
            language, self._now().isoformat(), user_id,
        )  # fmt: skip

    async def count_by_language(self) -> dict[str, int]:
        rows = await self._db.fetch_all(
            "SELECT COALESCE(language, telegram_language, '-') AS lang, COUNT(*) FROM users"
            " GROUP BY lang"
        )
        return {row[0]: row[1] for row in rows}
