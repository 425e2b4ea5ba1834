"""Small named values that every replica must agree on (the generated webhook secret)."""

from __future__ import annotations

from storage.database import Database


class SharedValues:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_or_set(self, name: str, candidate: str) -> str:
        """The value stored under ``name``, or ``candidate`` when there is none yet.

        Insert-if-absent, then read back: replicas starting together each offer their own
        candidate, the first insert wins, and all of them read that one.
        """
        await self._db.execute(
            "INSERT INTO bot_state (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
            name,
            candidate,
        )
        return str(await self._db.fetch_value("SELECT value FROM bot_state WHERE name = ?", name))
