"""The send budget the replicas share (``bot/telegram/shared_budget.py`` has the arithmetic).

One statement per request, one round trip: the overall budget's row is upserted first (its
``tat`` moves one spacing past ``max(tat, now)``; the departure is the first moment from
``now`` it conforms, ``tat - tolerance``), then the chat's row, only if the chat
conforms at that departure (its ``tat`` less its tolerance not after it). Both rows are locked
by the statement that changes them, always the overall one first (no deadlock), so requests
from every replica queue on the rows, and each sees the ``tat`` the one before it committed (an
upsert re-reads the latest row version). Two first requests to a new chat conflict on its
insert, and the second sees the first's ``tat``.

``now`` is a parameter, never the server's clock: the replicas' clocks (and the tests' fake
clock) decide, and a slow statement does not move the moment it computes for.
"""

from __future__ import annotations

from storage.database import Database

# The departure is recovered from the overall row's new tat: max(now, old tat - tolerance) =
# max(now, new tat - spacing - tolerance), as the new tat is max(old tat, now) + spacing. The
# chat's row is written
# only when it conforms at that departure (the WHERE of its DO UPDATE; a new row always does);
# ``excluded.tat`` is the departure plus the chat's spacing.
TAKE = """
WITH overall AS (
    INSERT INTO send_budget AS budget (name, tat) VALUES (?, ?)
    ON CONFLICT (name) DO UPDATE SET tat = GREATEST(budget.tat + ?, excluded.tat)
    RETURNING GREATEST(?, budget.tat - ?) AS departure
), chat AS (
    INSERT INTO send_budget AS budget (name, tat)
    SELECT ?, departure + ? FROM overall
    ON CONFLICT (name) DO UPDATE SET tat = GREATEST(budget.tat + ?, excluded.tat)
    WHERE budget.tat - ? <= excluded.tat - ?
    RETURNING budget.tat
)
SELECT (SELECT departure FROM overall), (SELECT COUNT(*) FROM chat),
    (SELECT tat FROM send_budget WHERE name = ?)
"""


class PostgresSendBudget:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(
        self, overall: str, overall_pace: tuple[int, int], chat: str,
        chat_pace: tuple[int, int], now: int,
    ) -> tuple[bool, int]:  # fmt: skip
        """(True, departure), or (False, when the chat conforms) with the overall slot spent.
        A pace is a GCRA's (spacing, tolerance), in microseconds."""
        overall_spacing, overall_tolerance = overall_pace
        spacing, tolerance = chat_pace
        row = await self._db.fetch_one(
            TAKE,
            overall, now + overall_spacing, overall_spacing,
            now, overall_spacing + overall_tolerance,
            chat, spacing, spacing, tolerance, spacing, chat,
        )  # fmt: skip
        assert row is not None  # the SELECT always returns one row
        departure, granted, chat_tat = row[0], row[1], row[2]
        if granted:
            return True, departure
        # The statement's snapshot may predate the request that holds the chat: its tat is
        # then unseen, and asking again one spacing on is the safe guess.
        conforms_at = (chat_tat or 0) - tolerance
        return False, conforms_at if conforms_at > departure else departure + spacing


def shared_send_budget(db: Database) -> PostgresSendBudget | None:
    """The budget replicas share; None with SQLite, where one process owns the database and
    its pacer alone is the whole bot's."""
    return PostgresSendBudget(db) if db.backend == "postgresql" else None
