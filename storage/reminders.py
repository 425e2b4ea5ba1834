"""Subscriptions, the delivery queue and the planner's watermark.

A delivery row is inserted once (its primary key is the chat, the calendar day, the
occurrence date and the lead), claimed (``sending``) right before the message goes out and
marked right after. Nothing is held in memory between those steps, so a restart continues from
the table. A row keeps the selection (key dates, all, topics) in force when it fell due, so a
reminder still queued when its chat changes its settings or unsubscribes says what was due.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from bot.reminders.types import Delivery, DeliveryStatus, Planned, Scope, Selection, Subscription
from storage.database import Database, Row


def selection_text(selection: Selection) -> str:
    """``key``, ``all`` or ``topics:a,b`` (topic ids never hold a comma)."""
    if selection.scope == Scope.TOPICS:
        return "topics:" + ",".join(sorted(selection.topics))
    return selection.scope


def parse_selection(text: str | None) -> Selection | None:
    if text is None:
        return None
    scope, _, topics = text.partition(":")
    return Selection(Scope(scope), frozenset(topics.split(",")) if topics else frozenset())


def _subscription(row: Row) -> Subscription:
    return Subscription(
        chat_id=row["chat_id"],
        scope=Scope(row["scope"]),
        topics=frozenset(json.loads(row["topics"])),
        leads=tuple(sorted(json.loads(row["leads"]))),
        send_hour=row["send_hour"],
        timezone=row["timezone"],
        active=bool(row["active"]),
    )


SUBSCRIPTION_SELECT = """
    SELECT s.*, c.timezone AS timezone, COALESCE(c.active, 1) AS active
    FROM subscriptions s LEFT JOIN chats c ON c.id = s.chat_id
"""


class ReminderRepository:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    # ---- subscriptions ------------------------------------------------------------------------

    async def subscribe(self, chat_id: int) -> bool:
        """Subscribe with the defaults; False if the chat was already subscribed."""
        stamp = self._now().isoformat()
        inserted = await self._db.execute(
            "INSERT INTO subscriptions (chat_id, created_at, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            chat_id, stamp, stamp,
        )  # fmt: skip
        return inserted > 0

    async def get(self, chat_id: int) -> Subscription | None:
        row = await self._db.fetch_one(f"{SUBSCRIPTION_SELECT} WHERE s.chat_id = ?", chat_id)
        return _subscription(row) if row else None

    async def update(
        self,
        chat_id: int,
        *,
        scope: Scope | None = None,
        topics: Iterable[str] | None = None,
        leads: Iterable[int] | None = None,
        send_hour: int | None = None,
    ) -> None:
        changes: dict[str, Any] = {}
        if scope is not None:
            changes["scope"] = scope
        if topics is not None:
            changes["topics"] = json.dumps(sorted(topics))
        if leads is not None:
            changes["leads"] = json.dumps(sorted(leads))
        if send_hour is not None:
            changes["send_hour"] = send_hour
        assignments = "".join(f"{column} = ?, " for column in changes)
        await self._db.execute(
            f"UPDATE subscriptions SET {assignments}updated_at = ? WHERE chat_id = ?",
            *changes.values(), self._now().isoformat(), chat_id,
        )  # fmt: skip

    async def unsubscribe(self, chat_id: int, now: datetime) -> bool:
        """Remove the subscription and the deliveries not yet due; those already due (queued
        behind a fan-out) fell due while the chat was subscribed and are still sent."""
        deleted = await self._db.execute("DELETE FROM subscriptions WHERE chat_id = ?", chat_id)
        await self.drop_pending(chat_id, now)
        return deleted > 0

    async def active_groups(self) -> list[tuple[Subscription, list[int]]]:
        """Active subscriptions grouped by identical choices (a row per group, chat ids in a
        list): 100,000 chats with the defaults come back as one row, not 100,000."""
        rows = await self._db.fetch_all(
            """
            SELECT s.scope, s.topics, s.leads, s.send_hour, c.timezone,
                   string_agg(CAST(s.chat_id AS TEXT), ',') AS chat_ids
            FROM subscriptions s LEFT JOIN chats c ON c.id = s.chat_id
            WHERE COALESCE(c.active, 1) = 1
            GROUP BY s.scope, s.topics, s.leads, s.send_hour, c.timezone
            """
        )
        return [
            (
                Subscription(
                    chat_id=0, scope=Scope(row[0]), topics=frozenset(json.loads(row[1])),
                    leads=tuple(sorted(json.loads(row[2]))), send_hour=row[3],
                    timezone=row[4], active=True,
                ),
                [int(chat_id) for chat_id in row[5].split(",")],
            )
            for row in rows
        ]  # fmt: skip

    async def count(self) -> int:
        return int(await self._db.fetch_value("SELECT COUNT(*) FROM subscriptions"))

    # ---- planning -----------------------------------------------------------------------------

    async def watermark(self) -> datetime | None:
        """Everything due before it has been planned; None until the first planning run."""
        until = await self._db.fetch_value(
            "SELECT planned_until FROM planner_state WHERE name = 'reminders'"
        )
        return datetime.fromisoformat(until) if until else None

    async def set_watermark(self, until: datetime) -> None:
        await self._db.execute(
            """
            INSERT INTO planner_state (name, planned_until) VALUES ('reminders', ?)
            ON CONFLICT (name) DO UPDATE SET planned_until = excluded.planned_until
            """,
            until.isoformat(),
        )

    async def insert_planned(
        self, planned: Iterable[tuple[Planned, Selection, DeliveryStatus]]
    ) -> Counter[DeliveryStatus]:
        """Insert deliveries (each with its selection and initial status); existing keys are
        left alone. Returns how many rows were inserted, by status."""
        stamp = self._now().isoformat()
        by_status: dict[DeliveryStatus, list[tuple[object, ...]]] = {}
        for p, selection, status in planned:
            by_status.setdefault(status, []).append(
                (p.chat_id, p.day, p.occurrence.isoformat(), p.lead, p.due_at.isoformat(),
                 status, p.due_at.isoformat(), selection_text(selection), stamp)
            )  # fmt: skip
        inserted: Counter[DeliveryStatus] = Counter()
        # One transaction: in autocommit mode each of 100,000 rows would be its own commit.
        async with self._db.transaction() as db:
            for status, rows in by_status.items():
                inserted[status] = await db.execute_many(
                    """
                    INSERT INTO deliveries (chat_id, day, occurrence, lead, due_at, status,
                        next_attempt_at, selection, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """,
                    rows,
                )
        return inserted

    async def drop_pending(self, chat_id: int, from_time: datetime) -> None:
        """Forget a chat's not-yet-due deliveries (its settings changed; they are re-planned)."""
        await self._db.execute(
            "DELETE FROM deliveries WHERE chat_id = ? AND status = ? AND due_at >= ?",
            chat_id, DeliveryStatus.PENDING, from_time.isoformat(),
        )  # fmt: skip

    # ---- the queue ----------------------------------------------------------------------------

    async def claim_due(self, now: datetime, limit: int) -> list[Delivery]:
        """Take up to ``limit`` due deliveries: they become ``sending`` in one statement."""
        rows = await self._db.fetch_all(
            """
            UPDATE deliveries SET status = ?, attempts = attempts + 1, updated_at = ?
            WHERE (chat_id, day, occurrence, lead) IN (
                SELECT chat_id, day, occurrence, lead FROM deliveries
                WHERE status = ? AND next_attempt_at <= ?
                ORDER BY next_attempt_at LIMIT ?
            )
            RETURNING chat_id, day, occurrence, lead, due_at, attempts, selection
            """,
            DeliveryStatus.SENDING, now.isoformat(), DeliveryStatus.PENDING, now.isoformat(),
            limit,
        )  # fmt: skip
        return [
            Delivery(
                chat_id=row[0],
                day=row[1],
                occurrence=date.fromisoformat(row[2]),
                lead=row[3],
                due_at=datetime.fromisoformat(row[4]),
                attempts=row[5],
                selection=parse_selection(row[6]),
            )
            for row in rows
        ]

    async def mark(
        self,
        delivery: Delivery,
        status: DeliveryStatus,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """Record the outcome; ``retry_at`` puts it back in the queue."""
        await self._db.execute(
            """
            UPDATE deliveries
            SET status = ?, last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at),
                updated_at = ?
            WHERE chat_id = ? AND day = ? AND occurrence = ? AND lead = ?
            """,
            status, error, retry_at.isoformat() if retry_at else None,
            self._now().isoformat(), *delivery.key,
        )  # fmt: skip

    async def recover_in_flight(self) -> int:
        """After a restart: deliveries claimed but never marked go back to the queue."""
        return await self._db.execute(
            "UPDATE deliveries SET status = ? WHERE status = ?",
            DeliveryStatus.PENDING, DeliveryStatus.SENDING,
        )  # fmt: skip

    async def status_counts(self, since: datetime) -> dict[DeliveryStatus, int]:
        rows = await self._db.fetch_all(
            "SELECT status, COUNT(*) FROM deliveries WHERE due_at >= ? GROUP BY status",
            since.isoformat(),
        )
        return {DeliveryStatus(row[0]): row[1] for row in rows}

    async def statuses(self) -> dict[tuple[int, str, str, int], DeliveryStatus]:
        """Every delivery's status by key (tests and the benchmark count with it)."""
        rows = await self._db.fetch_all(
            "SELECT chat_id, day, occurrence, lead, status FROM deliveries"
        )
        return {(r[0], r[1], r[2], r[3]): DeliveryStatus(r[4]) for r in rows}
