"""Schema migrations, applied in order, the same list on both backends.

SQLite records the index of the last one in ``PRAGMA user_version``, PostgreSQL in the
``schema_migrations`` table. Never change what a shipped migration does: append a new one.

The scripts are SQLite's text; PostgreSQL runs them through :func:`postgres_ddl`, which
changes the types and nothing else. One text per migration keeps the two schemas from drifting
apart (an explicit PostgreSQL twin of each script could), and the rules are few because the
scripts use no other SQLite-only DDL (``tests/test_migrations.py`` runs both).
"""

from __future__ import annotations

import re

MIGRATIONS: list[str] = [
    # 1: chats and users, with the language and time zone they chose.
    """
    CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        title TEXT,
        language TEXT,
        timezone TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        language TEXT,
        telegram_language TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 2: quizzes. Rounds (one open round per chat), the polls or button questions sent, answers
    # (one per user per question, by primary key), leaderboards, and spaced-repetition progress.
    """
    ALTER TABLE chats ADD COLUMN quiz_private_answers INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE quiz_rounds (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'poll',
        status TEXT NOT NULL,
        starter_id INTEGER,
        lang TEXT NOT NULL,
        topic TEXT NOT NULL DEFAULT '',
        difficulty INTEGER NOT NULL DEFAULT 0,
        size INTEGER NOT NULL DEFAULT 10,
        open_period INTEGER NOT NULL DEFAULT 20,
        question_ids TEXT NOT NULL DEFAULT '[]',
        current INTEGER NOT NULL DEFAULT -1,
        silent_streak INTEGER NOT NULL DEFAULT 0,
        counts INTEGER NOT NULL DEFAULT 1,
        lobby_message_id INTEGER,
        deadline TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX quiz_rounds_one_open_per_chat ON quiz_rounds (chat_id)
        WHERE status IN ('lobby', 'running', 'paused');
    CREATE INDEX quiz_rounds_deadline ON quiz_rounds (deadline) WHERE status = 'running';
    CREATE TABLE quiz_players (
        round_id INTEGER NOT NULL REFERENCES quiz_rounds (id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (round_id, user_id)
    );
    CREATE TABLE quiz_asked (
        poll_id TEXT PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES quiz_rounds (id) ON DELETE CASCADE,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        correct TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        closes_at TEXT,
        UNIQUE (round_id, position)
    );
    CREATE TABLE quiz_answers (
        poll_id TEXT NOT NULL REFERENCES quiz_asked (poll_id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL,
        round_id INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        "right" INTEGER NOT NULL,
        elapsed_ms INTEGER NOT NULL,
        answered_at TEXT NOT NULL,
        PRIMARY KEY (poll_id, user_id)
    );
    CREATE INDEX quiz_answers_round ON quiz_answers (round_id);
    CREATE INDEX quiz_answers_user ON quiz_answers (user_id, answered_at);
    CREATE TABLE quiz_scores (
        chat_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        period TEXT NOT NULL,
        name TEXT NOT NULL,
        points INTEGER NOT NULL DEFAULT 0,
        answered INTEGER NOT NULL DEFAULT 0,
        time_ms INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (chat_id, user_id, period)
    );
    CREATE TABLE quiz_progress (
        user_id INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        box INTEGER NOT NULL,
        due_at TEXT NOT NULL,
        seen INTEGER NOT NULL,
        correct INTEGER NOT NULL,
        last_at TEXT NOT NULL,
        PRIMARY KEY (user_id, question_id)
    );
    """,
    # 3: anniversary reminders. A subscription per chat; deliveries keyed by (chat, calendar
    # day, occurrence, lead) so nothing is planned or sent twice; the planner's watermark so a
    # restart plans exactly the time it missed.
    """
    CREATE TABLE subscriptions (
        chat_id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL DEFAULT 'key',
        topics TEXT NOT NULL DEFAULT '[]',
        leads TEXT NOT NULL DEFAULT '[0]',
        send_hour INTEGER NOT NULL DEFAULT 9,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        chat_id INTEGER NOT NULL,
        day TEXT NOT NULL,
        occurrence TEXT NOT NULL,
        lead INTEGER NOT NULL,
        due_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, day, occurrence, lead)
    );
    CREATE INDEX deliveries_queue ON deliveries (status, next_attempt_at);
    CREATE TABLE planner_state (
        name TEXT PRIMARY KEY,
        planned_until TEXT NOT NULL
    );
    """,
    # 4: a delivery keeps the selection it was planned with ("key", "all", "topics:a,b"), so a
    # reminder that fell due before its chat changed the settings or unsubscribed is still sent
    # as it was due. NULL (older rows): the subscription's current selection.
    """
    ALTER TABLE deliveries ADD COLUMN selection TEXT;
    """,
    # 5: a chat's default quiz answering mode goes: nothing ever set it (the lobby's button
    # chooses the mode of one game), so it was always "polls".
    """
    ALTER TABLE chats DROP COLUMN quiz_private_answers;
    """,
    # 6: the order players joined a game in (the lobby lists them so). SQLite's rowid kept it
    # implicitly; PostgreSQL has no rowid. Rows from before share 0 and fall back to user id.
    """
    ALTER TABLE quiz_players ADD COLUMN joined INTEGER NOT NULL DEFAULT 0;
    """,
    # 7: values the replicas share, by name: the webhook secret generated when none is
    # configured (every replica must check the one Telegram was given).
    """
    CREATE TABLE bot_state (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 8: several replicas on one database. A delivery being sent names the replica that
    # claimed it and until when the claim holds: a replica that dies leaves claims that run
    # out and another takes them over, and a live replica's claims are never taken. The send
    # budget holds, per budget ("all", "chat:ID"), the GCRA theoretical arrival time in
    # microseconds since the epoch: Telegram's limits belong to the bot token, not a process.
    """
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    ALTER TABLE deliveries ADD COLUMN claimed_until TEXT;
    CREATE INDEX deliveries_claims ON deliveries (claimed_until) WHERE status = 'sending';
    CREATE TABLE send_budget (
        name TEXT PRIMARY KEY,
        tat INTEGER NOT NULL
    );
    """,
]

# PostgreSQL's spelling of SQLite's types. An ``INTEGER PRIMARY KEY`` is SQLite's rowid: it
# numbers rows itself when the insert leaves it out, which an identity column does too; every
# other INTEGER becomes BIGINT, since Telegram's ids (-100... for supergroups) need 64 bits.
POSTGRES_TYPES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\bINTEGER PRIMARY KEY\b"),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
]


def postgres_ddl(script: str) -> str:
    """A migration script as PostgreSQL runs it."""
    # The identity replacement holds "BIGINT", so the second rule never touches its output.
    for pattern, replacement in POSTGRES_TYPES:
        script = pattern.sub(replacement, script)
    return script


def newer_schema_message(version: int) -> str:
    return (
        f"database schema version {version} is newer than this bot knows ({len(MIGRATIONS)}):"
        " refusing to start; upgrade the bot or restore a matching backup"
    )
