"""Chats the bot is in: type, language, time zone, and whether it may still write to them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import aiosqlite

from bot.profiles.types import Chat
from content.models import LANGS, Lang
from storage.db import transaction

# Every row that holds a chat id. A group that becomes a supergroup gets a new id
# (migrate_to_chat_id); `ChatRepository.migrate` runs these in one transaction. Scores are
# merged (the supergroup may already have some); other rows just move.
MIGRATE_CHAT_STATEMENTS: list[str] = [
    """
    INSERT INTO quiz_scores (chat_id, user_id, period, name, points, answered, time_ms)
    SELECT :new, user_id, period, name, points, answered, time_ms FROM quiz_scores
    WHERE chat_id = :old
    ON CONFLICT (chat_id, user_id, period) DO UPDATE SET
        points = points + excluded.points, answered = answered + excluded.answered,
        time_ms = time_ms + excluded.time_ms
    """,
    "DELETE FROM quiz_scores WHERE chat_id = :old",
    "UPDATE OR IGNORE quiz_rounds SET chat_id = :new WHERE chat_id = :old",
    "UPDATE quiz_asked SET chat_id = :new WHERE chat_id = :old",
    "UPDATE OR IGNORE subscriptions SET chat_id = :new WHERE chat_id = :old",
    "DELETE FROM subscriptions WHERE chat_id = :old",
    "UPDATE OR IGNORE deliveries SET chat_id = :new WHERE chat_id = :old",
    "DELETE FROM deliveries WHERE chat_id = :old",
]


def _chat(row: aiosqlite.Row) -> Chat:
    language = row["language"]
    return Chat(
        id=row["id"],
        type=row["type"],
        title=row["title"],
        language=language if language in LANGS else None,
        timezone=row["timezone"],
        active=bool(row["active"]),
    )


class ChatRepository:
    def __init__(self, db: aiosqlite.Connection, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    async def seen(self, chat_id: int, chat_type: str, title: str | None) -> Chat:
        """Record that the chat exists (and is reachable: it just sent us an update)."""
        stamp = self._now().isoformat()
        async with self._db.execute(
            """
            INSERT INTO chats (id, type, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                type = excluded.type, title = excluded.title, active = 1,
                updated_at = excluded.updated_at
            WHERE chats.type IS NOT excluded.type OR chats.title IS NOT excluded.title
                OR chats.active = 0
            RETURNING *
            """,
            (chat_id, chat_type, title, stamp, stamp),
        ) as cursor:
            row = await cursor.fetchone()
        if row is not None:
            return _chat(row)
        found = await self.get(chat_id)
        assert found is not None
        return found

    async def get(self, chat_id: int) -> Chat | None:
        async with self._db.execute("SELECT * FROM chats WHERE id = ?", (chat_id,)) as cursor:
            row = await cursor.fetchone()
        return _chat(row) if row is not None else None

    async def set_language(self, chat_id: int, language: Lang) -> None:
        await self._update(chat_id, "language", language)

    async def set_timezone(self, chat_id: int, timezone: str) -> None:
        await self._update(chat_id, "timezone", timezone)

    async def set_active(self, chat_id: int, active: bool) -> None:
        await self._update(chat_id, "active", int(active))

    async def _update(self, chat_id: int, column: str, value: object) -> None:
        await self._db.execute(
            f"UPDATE chats SET {column} = ?, updated_at = ? WHERE id = ?",
            (value, self._now().isoformat(), chat_id),
        )

    async def migrate(self, old_id: int, new_id: int) -> None:
        """Move a group's rows to its new supergroup id, in one transaction."""
        async with transaction(self._db):
            await self._db.execute(
                """
                INSERT INTO chats (id, type, title, language, timezone, active, created_at,
                                   updated_at)
                SELECT ?, 'supergroup', title, language, timezone, active, created_at, updated_at
                FROM chats WHERE id = ?
                ON CONFLICT (id) DO UPDATE SET
                    language = COALESCE(chats.language, excluded.language),
                    timezone = COALESCE(chats.timezone, excluded.timezone)
                """,
                (new_id, old_id),
            )
            for statement in MIGRATE_CHAT_STATEMENTS:
                await self._db.execute(statement, {"old": old_id, "new": new_id})
            await self._db.execute("DELETE FROM chats WHERE id = ?", (old_id,))

    async def count_by_language(self) -> dict[str, int]:
        async with self._db.execute(
            "SELECT COALESCE(language, '-') AS lang, COUNT(*) FROM chats GROUP BY lang"
        ) as cursor:
            return {row[0]: row[1] async for row in cursor}
