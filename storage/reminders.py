"""Subscriptions, the delivery queue and the planner's watermark.

A delivery row is inserted once (its primary key is the chat, the calendar day, the
occurrence date and the lead), claimed (``sending``) in a batch, ``departed`` the moment its
request leaves, and marked with its outcome right after. Nothing is held in memory between
those steps, so a restart continues from the table. Several replicas may share the table
(PostgreSQL): a claim takes rows with ``FOR UPDATE SKIP LOCKED`` and stamps them with the
replica and a lease, so two replicas never take the same row. When a claim's process dies (its
lease runs out; with SQLite, at the next start), a row still ``sending`` goes back to the queue
(its request never left) and a ``departed`` one is recorded ``unknown`` (it may have). A row
keeps the selection (key dates, all, topics) in force when it fell due, so a
reminder still queued when its chat changes its settings or unsubscribes says what was due.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

from bot.reminders.types import (
    Delivery,
    DeliveryKey,
    DeliveryStatus,
    Planned,
    Scope,
    Selection,
    Subscription,
)
from storage.database import Database, Row
from storage.group_commit import GroupCommit


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


# How long a claim holds: far longer than a sending run takes for a batch (200 deliveries at a
# replica's share of 30 msg/s, 10 msg/s with three: 20 s), so a live replica never loses its
# claims; and what a dead replica's reminders wait at most before another sends them.
LEASE = timedelta(minutes=3)
# At most this many departures in one statement (4 parameters each: well under either
# database's limit on parameters).
DEPARTURES_AT_ONCE = 100
# pg_advisory_xact_lock's key for planning runs and subscription changes (see planning_turn).
PLANNING_LOCK = 0x6E77_7072  # "nwpr"

SUBSCRIPTION_SELECT = """
    SELECT s.*, c.timezone AS timezone, COALESCE(c.active, 1) AS active
    FROM subscriptions s LEFT JOIN chats c ON c.id = s.chat_id
"""


class ReminderRepository:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now
        # Who holds this process's claims: new at every start, never a dead process's name.
        self.replica = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.lease = LEASE
        # One waiter per process for the database's lock: each waiter holds a pooled
        # connection, and a pool filled with waiters would starve the holder. With SQLite (one
        # process owns the file) it is the whole of the exclusion.
        self._local_turn = asyncio.Lock()
        self._departures = GroupCommit(self._depart_all, most=DEPARTURES_AT_ONCE)

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

    async def set_watermark(self, until: datetime) -> bool:
        """Advance the watermark to ``until``; False (and unchanged) if it is there already.

        It only ever moves forward, in one statement: two replicas planning the same minute
        both insert (keyed, so each delivery once) and the later end wins, whichever writes
        last. Times are UTC ISO strings, which sort as the times do.
        """
        advanced = await self._db.execute(
            """
            INSERT INTO planner_state (name, planned_until) VALUES ('reminders', ?)
            ON CONFLICT (name) DO UPDATE SET planned_until = excluded.planned_until
            WHERE planner_state.planned_until < excluded.planned_until
            """,
            until.isoformat(),
        )
        return advanced > 0

    @asynccontextmanager
    async def planning_turn(self) -> AsyncIterator[None]:
        """One planning run or subscription change at a time, across every replica.

        The one place that needs a leader: a run that read a chat's old settings must not
        insert them after a change dropped that chat's queued deliveries and re-planned it.
        Keyed inserts and the forward-only watermark make everything else safe to race. On
        PostgreSQL it is a transaction-scoped advisory lock (released by the commit, or by the
        server when a replica dies holding it); the statements inside run on other pooled
        connections and need no lock of their own.
        """
        async with self._local_turn:
            if self._db.backend != "postgresql":
                yield
                return
            async with self._db.transaction() as held:
                await held.execute("SELECT pg_advisory_xact_lock(?)", PLANNING_LOCK)
                yield

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
        """Take up to ``limit`` due deliveries for this replica, for ``lease``: they become
        ``sending`` in one statement. On PostgreSQL rows another replica is claiming
        are skipped, not waited for (``SKIP LOCKED``), and a row claimed meanwhile no longer
        matches ``pending`` when it is re-checked under its lock: never taken twice."""
        rows = await self._db.fetch_all(
            f"""
            UPDATE deliveries SET status = ?, attempts = attempts + 1, claimed_by = ?,
                claimed_until = ?, updated_at = ?
            WHERE (chat_id, day, occurrence, lead) IN (
                SELECT chat_id, day, occurrence, lead FROM deliveries
                WHERE status = ? AND next_attempt_at <= ?
                ORDER BY next_attempt_at LIMIT ?{self._db.for_update_skip_locked}
            )
            RETURNING chat_id, day, occurrence, lead, due_at, attempts, selection
            """,
            DeliveryStatus.SENDING, self.replica, (now + self.lease).isoformat(), now.isoformat(),
            DeliveryStatus.PENDING, now.isoformat(), limit,
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

    async def depart(self, delivery: Delivery) -> bool:
        """Record that the delivery's request is leaving, if this replica still holds its
        claim; False if not (its lease ran out and another replica took it over: the request
        must not leave). Again for a retry is harmless. Departures asked for at once are
        written together (``group_commit.py``)."""
        return await self._departures(delivery.key)

    async def _depart_all(self, keys: Sequence[DeliveryKey]) -> set[DeliveryKey]:
        one = "(chat_id = ? AND day = ? AND occurrence = ? AND lead = ?)"
        matches = " OR ".join([one] * len(keys))
        rows = await self._db.fetch_all(
            f"""
            UPDATE deliveries SET status = ?, updated_at = ?
            WHERE claimed_by = ? AND status IN (?, ?) AND ({matches})
            RETURNING chat_id, day, occurrence, lead
            """,
            DeliveryStatus.DEPARTED, self._now().isoformat(), self.replica,
            DeliveryStatus.SENDING, DeliveryStatus.DEPARTED, *itertools.chain.from_iterable(keys),
        )  # fmt: skip
        return {(row[0], row[1], row[2], row[3]) for row in rows}

    async def hold_back(self, delivery: Delivery) -> None:
        """Telegram did not carry the request out (a 429): while it waits to go again, the
        delivery is ``sending``, safe to send again if this process dies. Only under this
        replica's claim: a row another replica took over is left alone."""
        await self._db.execute(
            """
            UPDATE deliveries SET status = ?, updated_at = ?
            WHERE claimed_by = ? AND status = ?
                AND chat_id = ? AND day = ? AND occurrence = ? AND lead = ?
            """,
            DeliveryStatus.SENDING, self._now().isoformat(), self.replica,
            DeliveryStatus.DEPARTED, *delivery.key,
        )  # fmt: skip

    async def requeue_expired(self, now: datetime) -> Counter[DeliveryStatus]:
        """Claims whose lease has run out (their replica died or stalled) are released (see
        ``_release``); live claims, whoever holds them, stay. A row claimed before claims had
        leases (NULL) counts as expired."""
        return await self._release(
            now, "AND (claimed_until IS NULL OR claimed_until <= ?)", now.isoformat()
        )

    async def recover_in_flight(self, now: datetime) -> Counter[DeliveryStatus]:
        """At start-up: claims left by a process that stopped are released. One process owns
        a SQLite file, so there every claim is a dead process's; replicas sharing PostgreSQL
        may hold live ones, so there only expired leases."""
        if self._db.backend == "postgresql":
            return await self.requeue_expired(now)
        return await self._release(now, "")

    async def _release(
        self, now: datetime, which: str, *params: object
    ) -> Counter[DeliveryStatus]:
        """Dead claims: a delivery whose request never left goes back to the queue
        (``pending``); one whose request may have left is ``unknown``, never sent again.
        Returns how many became which."""
        rows = await self._db.fetch_all(
            f"""
            UPDATE deliveries SET
                status = CASE WHEN status = ? THEN ? ELSE ? END,
                last_error = CASE WHEN status = ? THEN ? ELSE last_error END,
                updated_at = ?
            WHERE status IN (?, ?) {which}
            RETURNING status
            """,
            DeliveryStatus.SENDING, DeliveryStatus.PENDING, DeliveryStatus.UNKNOWN,
            DeliveryStatus.DEPARTED, "its process stopped while the request was leaving",
            now.isoformat(), DeliveryStatus.SENDING, DeliveryStatus.DEPARTED, *params,
        )  # fmt: skip
        return Counter(DeliveryStatus(row[0]) for row in rows)

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
