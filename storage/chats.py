"""Chats the bot is in: type, language, time zone, and whether it may still write to them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.profiles.types import Chat
from content.models import LANGS, Lang
from storage.database import Database, Row

# Every row that holds a chat id. A group that becomes a supergroup gets a new id
# (migrate_to_chat_id); `ChatRepository.migrate` runs these in one transaction, each with the
# parameters (new id, old id, and the new id again where it looks for a row in the way).
# Scores are merged (the supergroup may already have some); other rows move unless the
# supergroup already has one with the same key (its own open game, subscription or delivery),
# and what stays behind is deleted.
MIGRATE_CHAT_STATEMENTS: list[str] = [
    """
    INSERT INTO quiz_scores (chat_id, user_id, period, name, points, answered, time_ms)
    SELECT CAST(? AS BIGINT), user_id, period, name, points, answered, time_ms FROM quiz_scores
    WHERE chat_id = ?
    ON CONFLICT (chat_id, user_id, period) DO UPDATE SET
        points = quiz_scores.points + excluded.points,
        answered = quiz_scores.answered + excluded.answered,
        time_ms = quiz_scores.time_ms + excluded.time_ms
    """,
    """
    UPDATE quiz_rounds SET chat_id = ? WHERE chat_id = ? AND NOT (
        status IN ('lobby', 'running', 'paused') AND EXISTS (
            SELECT 1 FROM quiz_rounds other
            WHERE other.chat_id = ? AND other.status IN ('lobby', 'running', 'paused')))
    """,
    "UPDATE quiz_asked SET chat_id = ? WHERE chat_id = ?",
    """
    UPDATE subscriptions SET chat_id = ? WHERE chat_id = ?
        AND NOT EXISTS (SELECT 1 FROM subscriptions other WHERE other.chat_id = ?)
    """,
    """
    UPDATE deliveries SET chat_id = ? WHERE chat_id = ? AND NOT EXISTS (
        SELECT 1 FROM deliveries other WHERE other.chat_id = ? AND other.day = deliveries.day
            AND other.occurrence = deliveries.occurrence AND other.lead = deliveries.lead)
    """,
]
# Every table whose rows may stay behind under the old id.
MIGRATE_CHAT_LEFTOVERS = ("quiz_scores", "subscriptions", "deliveries")


def _chat(row: Row) -> Chat:
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
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    async def seen(self, chat_id: int, chat_type: str, title: str | None) -> Chat:
        """Record that the chat exists (and is reachable: it just sent us an update)."""
        stamp = self._now().isoformat()
        row = await self._db.fetch_one(
            """
            INSERT INTO chats (id, type, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                type = excluded.type, title = excluded.title, active = 1,
                updated_at = excluded.updated_at
            WHERE chats.type IS DISTINCT FROM excluded.type
                OR chats.title IS DISTINCT FROM excluded.title OR chats.active = 0
            RETURNING *
            """,
            chat_id, chat_type, title, stamp, stamp,
        )  # fmt: skip
        if row is not None:
            return _chat(row)
        found = await self.get(chat_id)
        assert found is not None
        return found

    async def get(self, chat_id: int) -> Chat | None:
        row = await self._db.fetch_one("SELECT * FROM chats WHERE id = ?", chat_id)
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
            value, self._now().isoformat(), chat_id,
        )  # fmt: skip

    async def migrate(self, old_id: int, new_id: int) -> None:
        """Move a group's rows to its new supergroup id, in one transaction."""
        async with self._db.transaction() as db:
            await db.execute(
                """
                INSERT INTO chats (id, type, title, language, timezone, active, created_at,
                                   updated_at)
                SELECT CAST(? AS BIGINT), 'supergroup', title, language, timezone, active,
                       created_at, updated_at
                FROM chats WHERE id = ?
                ON CONFLICT (id) DO UPDATE SET
                    language = COALESCE(chats.language, excluded.language),
                    timezone = COALESCE(chats.timezone, excluded.timezone)
                """,
                new_id, old_id,
            )  # fmt: skip
            for statement in MIGRATE_CHAT_STATEMENTS:
                await db.execute(statement, *(new_id, old_id, new_id)[: statement.count("?")])
            for table in MIGRATE_CHAT_LEFTOVERS:
                await db.execute(f"DELETE FROM {table} WHERE chat_id = ?", old_id)
            await db.execute("DELETE FROM chats WHERE id = ?", old_id)

    async def count_by_language(self) -> dict[str, int]:
        rows = await self._db.fetch_all(
            "SELECT COALESCE(language, '-') AS lang, COUNT(*) FROM chats GROUP BY lang"
        )
        return {row[0]: row[1] for row in rows}
