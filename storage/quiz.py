"""Quiz rounds, the questions sent, answers, leaderboards and spaced-repetition progress.

``poll_answer`` updates carry no chat: ``quiz_asked`` maps each poll id (or, in private
answering mode, a button question id) to its round, chat, message and right options when it is
sent. An answer is counted once: ``quiz_answers`` has one row per (poll, user), and the score
and progress updates ride in the same transaction as that insert.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from bot.quiz.types import (
    OPEN_STATUSES,
    Answer,
    AnswerMode,
    AnswerOutcome,
    Asked,
    Progress,
    Round,
    RoundChange,
    RoundKind,
    RoundStatus,
    Standing,
)
from storage.cache import Lru
from storage.database import Database, Steps, execute, execute_many, fetch_one
from storage.quiz_rows import _asked, _progress, _round

# The fields of RoundChange that are not columns of quiz_rounds.
NOT_COLUMNS = {"clear_deadline"}

ASKED_CACHE_SIZE = 5000
ROUND_CACHE_SIZE = 2000
# How long a claimed timer is this replica's (see claim_due_rounds): far more than handling a
# timeout takes (an edit and a poll, paced at most 3 s each in a group), and what a game whose
# replica died waits before another moves it on.
TIMER_LEASE = timedelta(minutes=1)


class QuizRepository:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now
        # A copy in memory is true only while this process is the one writer, as with SQLite.
        # Replicas sharing PostgreSQL read each time: another replica may have moved a round
        # on (a stale ``current`` would miss the last answer's advance), or rewritten a
        # question's chat when its group became a supergroup (the next question would go to
        # the old id).
        alone = db.backend == "sqlite"
        self._asked_cache: Lru[str, Asked] = Lru(ASKED_CACHE_SIZE if alone else 0)
        self._round_cache: Lru[int, Round] = Lru(ROUND_CACHE_SIZE if alone else 0)

    # ---- rounds -------------------------------------------------------------------------------

    async def create_round(
        self,
        *,
        chat_id: int,
        kind: RoundKind,
        status: RoundStatus,
        starter_id: int | None,
        lang: str,
        mode: AnswerMode = AnswerMode.POLL,
        topic: str = "",
        difficulty: int = 0,
        size: int = 10,
        open_period: int = 20,
        question_ids: list[str] | None = None,
        counts: bool = True,
    ) -> Round | None:
        """A new open round, or None when the chat already has one (one game per chat)."""
        stamp = self._now().isoformat()
        # The partial unique index on open rounds is the conflict: a second game gets no row.
        row = await self._db.fetch_one(
            """
            INSERT INTO quiz_rounds (chat_id, kind, mode, status, starter_id, lang, topic,
                difficulty, size, open_period, question_ids, counts, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING RETURNING *
            """,
            chat_id, kind, mode, status, starter_id, lang, topic, difficulty, size,
            open_period, json.dumps(question_ids or []), int(counts), stamp, stamp,
        )  # fmt: skip
        return _round(row) if row else None

    async def open_round(self, chat_id: int) -> Round | None:
        row = await self._db.fetch_one(
            "SELECT * FROM quiz_rounds WHERE chat_id = ? AND status IN (?, ?, ?)",
            chat_id, *OPEN_STATUSES,
        )  # fmt: skip
        return _round(row) if row else None

    async def get_round(self, round_id: int) -> Round | None:
        # Every answer reads its round; rounds change only through update_round (which drops
        # the cached copy), so they are kept in memory between changes.
        cached = self._round_cache.get(round_id)
        if cached is not None:
            return cached
        row = await self._db.fetch_one("SELECT * FROM quiz_rounds WHERE id = ?", round_id)
        if row is None:
            return None
        found = _round(row)
        self._round_cache.put(round_id, found)
        return found

    async def update_round(
        self,
        round_id: int,
        change: RoundChange,
        *,
        expect_status: RoundStatus | None = None,
        expect_current: int | None = None,
    ) -> bool:
        """Update a round; with ``expect_*``, only if it is still in that state (a
        compare-and-set, so two triggers racing for the same transition cannot both win)."""
        values: dict[str, Any] = {
            field.name: _column_value(getattr(change, field.name))
            for field in fields(change)
            if field.name not in NOT_COLUMNS and getattr(change, field.name) is not None
        }
        if change.clear_deadline:
            values["deadline"] = None
        assignments = "".join(f"{key} = ?, " for key in values)
        sql = f"UPDATE quiz_rounds SET {assignments}updated_at = ? WHERE id = ?"
        params = [*values.values(), self._now().isoformat(), round_id]
        if expect_status is not None:
            sql += " AND status = ?"
            params.append(expect_status)
        if expect_current is not None:
            sql += " AND current = ?"
            params.append(expect_current)
        self._round_cache.drop(round_id)
        updated = await self._db.execute(sql, *params)
        # Again after the write: a read that was queued before it may have cached the old row.
        self._round_cache.drop(round_id)
        return updated > 0

    async def claim_due_rounds(self, status: RoundStatus, now: datetime) -> list[Round]:
        """Take the rounds in ``status`` whose deadline has passed (a question's time, a
        lobby's countdown): their deadline moves to ``now + TIMER_LEASE`` in one statement, so
        another replica's tick finds them not yet due. Whatever handles the timeout sets the
        next deadline (or clears it); if this replica dies first, the lease runs out and any
        replica's tick takes the round. ``SKIP LOCKED`` on PostgreSQL: two ticks at once never
        take the same round, and a round claimed meanwhile is no longer due when re-checked."""
        rows = await self._db.fetch_all(
            f"""
            UPDATE quiz_rounds SET deadline = ?
            WHERE id IN (
                SELECT id FROM quiz_rounds WHERE status = ? AND deadline <= ?
                ORDER BY deadline{self._db.for_update_skip_locked}
            )
            RETURNING *
            """,
            (now + TIMER_LEASE).isoformat(), status, now.isoformat(),
        )  # fmt: skip
        for row in rows:
            self._round_cache.drop(row["id"])
        return sorted((_round(row) for row in rows), key=lambda round_: round_.id)

    async def stale_rounds(self, status: RoundStatus, older_than: datetime) -> list[Round]:
        """Rounds in ``status`` that nobody has touched since ``older_than``."""
        rows = await self._db.fetch_all(
            "SELECT * FROM quiz_rounds WHERE status = ? AND updated_at < ?",
            status, older_than.isoformat(),
        )  # fmt: skip
        return [_round(row) for row in rows]

    async def rounds_played(self, since: datetime) -> int:
        played = await self._db.fetch_value(
            "SELECT COUNT(*) FROM quiz_rounds WHERE status = ? AND updated_at >= ?",
            RoundStatus.FINISHED, since.isoformat(),
        )  # fmt: skip
        return int(played)

    # ---- players ------------------------------------------------------------------------------

    async def add_player(self, round_id: int, user_id: int, name: str) -> bool:
        added: int = await self._db.run(_add_player(round_id, user_id, name))
        return added > 0

    async def players(self, round_id: int) -> list[tuple[int, str]]:
        rows = await self._db.fetch_all(
            "SELECT user_id, name FROM quiz_players WHERE round_id = ? ORDER BY joined, user_id",
            round_id,
        )
        return [(row[0], row[1]) for row in rows]

    # ---- questions and answers ----------------------------------------------------------------

    async def record_asked(self, asked: Asked) -> None:
        await self._db.execute(
            """
            INSERT INTO quiz_asked (poll_id, round_id, chat_id, message_id, position,
                question_id, correct, sent_at, closes_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            asked.poll_id, asked.round_id, asked.chat_id, asked.message_id, asked.position,
            asked.question_id, json.dumps(asked.correct), asked.sent_at.isoformat(),
            asked.closes_at.isoformat() if asked.closes_at else None,
        )  # fmt: skip

    async def asked(self, poll_id: str) -> Asked | None:
        # A question, once sent, never changes: every answer to it reads it from memory.
        cached = self._asked_cache.get(poll_id)
        if cached is not None:
            return cached
        row = await self._db.fetch_one("SELECT * FROM quiz_asked WHERE poll_id = ?", poll_id)
        if row is None:
            return None
        found = _asked(row)
        self._asked_cache.put(poll_id, found)
        return found

    async def asked_at(self, round_id: int, position: int) -> Asked | None:
        row = await self._db.fetch_one(
            "SELECT * FROM quiz_asked WHERE round_id = ? AND position = ?", round_id, position
        )
        return _asked(row) if row else None

    async def record_answer(
        self,
        asked: Asked,
        *,
        user_id: int,
        name: str,
        right: bool,
        elapsed_ms: int,
        leaderboard_periods: tuple[str, ...],
        progress: Callable[[Progress | None], Progress],
        add_player: bool,
    ) -> AnswerOutcome | None:
        """Count one answer once (None if this user already answered this question).

        The answer, the scores, the progress and the player row are written in one
        transaction: this is the quiz's hot path, so it is a :data:`Steps` generator, which
        SQLite runs in one trip to its database thread.
        """
        return await self._db.run(
            _answer(
                asked, user_id, name, right, elapsed_ms, self._now().isoformat(),
                leaderboard_periods, progress, add_player,
            )
        )  # fmt: skip

    async def answer_count(self, poll_id: str) -> int:
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM quiz_answers WHERE poll_id = ?", poll_id
            )
        )

    async def round_answers(self, round_id: int) -> list[Answer]:
        rows = await self._db.fetch_all(
            'SELECT user_id, question_id, "right", elapsed_ms FROM quiz_answers'
            " WHERE round_id = ?",
            round_id,
        )
        return [Answer(row[0], row[1], bool(row[2]), row[3]) for row in rows]

    # ---- leaderboards and progress ------------------------------------------------------------

    async def leaderboard(self, chat_id: int, period: str, limit: int = 10) -> list[Standing]:
        rows = await self._db.fetch_all(
            """
            SELECT user_id, name, points, time_ms, answered FROM quiz_scores
            WHERE chat_id = ? AND period = ?
            ORDER BY points DESC, time_ms ASC, name ASC LIMIT ?
            """,
            chat_id, period, limit,
        )  # fmt: skip
        return [Standing(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    async def progress(self, user_id: int) -> dict[str, Progress]:
        rows = await self._db.fetch_all("SELECT * FROM quiz_progress WHERE user_id = ?", user_id)
        return {row["question_id"]: _progress(row) for row in rows}

    async def answer_days(self, user_id: int) -> list[datetime]:
        """Times (UTC) of the user's answers, newest first, one per distinct UTC day."""
        rows = await self._db.fetch_all(
            """
            SELECT MAX(answered_at) FROM quiz_answers WHERE user_id = ?
            GROUP BY substr(answered_at, 1, 10) ORDER BY 1 DESC LIMIT 400
            """,
            user_id,
        )
        return [datetime.fromisoformat(row[0]) for row in rows]


def _add_player(round_id: int, user_id: int, name: str) -> Steps[int]:
    """Join a round once; ``joined`` numbers the players in the order they came."""
    added: int = yield execute(
        """
        INSERT INTO quiz_players (round_id, user_id, name, joined)
        VALUES (?, ?, ?, (SELECT COUNT(*) FROM quiz_players WHERE round_id = ?))
        ON CONFLICT DO NOTHING
        """,
        round_id, user_id, name, round_id,
    )  # fmt: skip
    return added


def _answer(
    asked: Asked,
    user_id: int,
    name: str,
    right: bool,
    elapsed_ms: int,
    now: str,
    leaderboard_periods: tuple[str, ...],
    progress: Callable[[Progress | None], Progress],
    add_player: bool,
) -> Steps[AnswerOutcome | None]:
    inserted = yield execute(
        """
        INSERT INTO quiz_answers (poll_id, user_id, round_id, question_id, "right", elapsed_ms,
            answered_at)
        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
        """,
        asked.poll_id, user_id, asked.round_id, asked.question_id, int(right), elapsed_ms, now,
    )  # fmt: skip
    if not inserted:
        return None  # answered before: nothing was written
    # Atomic upserts: concurrent answers cannot lose points.
    yield execute_many(
        """
        INSERT INTO quiz_scores (chat_id, user_id, period, name, points, answered, time_ms)
        VALUES (?, ?, ?, ?, ?, 1, ?)
        ON CONFLICT (chat_id, user_id, period) DO UPDATE SET
            name = excluded.name, points = quiz_scores.points + excluded.points,
            answered = quiz_scores.answered + 1,
            time_ms = quiz_scores.time_ms + excluded.time_ms
        """,
        [(asked.chat_id, user_id, period, name, int(right), elapsed_ms)
         for period in leaderboard_periods],
    )  # fmt: skip
    row = yield fetch_one(
        "SELECT * FROM quiz_progress WHERE user_id = ? AND question_id = ?",
        user_id, asked.question_id,
    )  # fmt: skip
    updated = progress(_progress(row) if row else None)
    yield execute(
        """
        INSERT INTO quiz_progress (user_id, question_id, box, due_at, seen, correct, last_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (user_id, question_id) DO UPDATE SET
            box = excluded.box, due_at = excluded.due_at, seen = excluded.seen,
            correct = excluded.correct, last_at = excluded.last_at
        """,
        user_id, updated.question_id, updated.box, updated.due_at.isoformat(), updated.seen,
        updated.correct, updated.last_at.isoformat(),
    )  # fmt: skip
    if add_player:
        yield from _add_player(asked.round_id, user_id, name)
    counts = yield fetch_one(
        """
        SELECT (SELECT COUNT(*) FROM quiz_players WHERE round_id = ?),
               (SELECT COUNT(*) FROM quiz_answers WHERE poll_id = ?)
        """,
        asked.round_id, asked.poll_id,
    )  # fmt: skip
    return AnswerOutcome(players=counts[0], answers=counts[1])


def _column_value(value: object) -> object:
    if isinstance(value, list):  # the question ids
        return json.dumps(value)
    return value.isoformat() if isinstance(value, datetime) else value
