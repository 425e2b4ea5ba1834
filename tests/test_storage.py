"""Storage: the Database interface on both backends, migrations, refusal of newer schemas,
clear start-up errors, and the pure parts of the PostgreSQL port (placeholders, DDL)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.offline.postgres import PostgresServer
from storage.database import Database, Steps, StorageError, execute, fetch_one
from storage.db import open_database
from storage.migrations import MIGRATIONS, postgres_ddl
from storage.postgres import (
    create_database,
    drop_database,
    numbered,
    open_postgres,
    rows_affected,
)


@pytest.fixture
def target(tmp_path: Path, fresh_postgres_url: str | None) -> str:
    """Where the test's database lives: a SQLite file or a PostgreSQL database of its own
    (these tests change the schema)."""
    return fresh_postgres_url or str(tmp_path / "bot.sqlite3")


@pytest.fixture
async def db(target: str) -> AsyncIterator[Database]:
    database = await open_database(target)
    await database.execute("CREATE TABLE t (k BIGINT PRIMARY KEY, v TEXT NOT NULL)")
    yield database
    await database.close()


async def test_migrates_a_new_database_to_the_latest_version(target: str) -> None:
    db = await open_database(target)
    assert await db.schema_version() == len(MIGRATIONS)
    if db.backend == "sqlite":
        assert await db.fetch_value("PRAGMA journal_mode") == "wal"
    else:
        versions = await db.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
        assert [row["version"] for row in versions] == list(range(1, len(MIGRATIONS) + 1))
    await db.close()
    again = await open_database(target)  # idempotent
    assert await again.schema_version() == len(MIGRATIONS)
    await again.close()


async def test_newer_schema_refuses_to_start(target: str) -> None:
    db = await open_database(target)
    newer = len(MIGRATIONS) + 1
    if db.backend == "sqlite":
        await db.execute(f"PRAGMA user_version = {newer}")
    else:
        await db.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')", newer
        )
    await db.close()
    with pytest.raises(StorageError, match="newer than this bot knows"):
        await open_database(target)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_replicas_starting_together_migrate_once(postgres_server: PostgresServer) -> None:
    """Three replicas open one empty database at once: the advisory lock lets one migrate,
    the others wait and find every migration applied (a second run would fail: ALTER TABLE
    ADD COLUMN twice is an error, and the versions table's key refuses a second row)."""
    await create_database(postgres_server.url(), "replicas")
    url = postgres_server.url("replicas")
    opened = await asyncio.gather(*(open_postgres(url) for _ in range(3)))
    versions = await opened[0].fetch_all("SELECT version FROM schema_migrations")
    assert sorted(row[0] for row in versions) == list(range(1, len(MIGRATIONS) + 1))
    for database in opened:
        await database.close()
    await drop_database(postgres_server.url(), "replicas")


async def test_statements_report_what_they_changed(db: Database) -> None:
    assert await db.execute("INSERT INTO t (k, v) VALUES (?, ?)", 1, "a") == 1
    rows = [(k, str(k)) for k in range(1, 5)]
    inserted = await db.execute_many(
        "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING", rows
    )
    assert inserted == 3  # k=1 was there
    assert await db.execute_many("INSERT INTO t (k, v) VALUES (?, ?)", []) == 0
    assert await db.execute("UPDATE t SET v = 'x' WHERE k >= ?", 3) == 2
    assert await db.execute("DELETE FROM t WHERE k = ?", 99) == 0
    assert await db.fetch_value("SELECT v FROM t WHERE k = ?", 99) is None
    row = await db.fetch_one("SELECT k, v FROM t WHERE k = ?", 4)
    assert row is not None and (row["k"], row["v"], row[0]) == (4, "x", 4)
    # The one aggregate SQLite lacks until 3.44: the SQLite backend supplies it.
    joined = await db.fetch_value("SELECT string_agg(CAST(k AS TEXT), ',') FROM t WHERE k < ?", 3)
    assert sorted(joined.split(",")) == ["1", "2"]


async def insert_then_fail(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t (k, v) VALUES (3, 'lost')")
        raise RuntimeError("midway")


async def test_a_transaction_commits_or_rolls_back_whole(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t (k, v) VALUES (1, 'kept')")
        await tx.execute("INSERT INTO t (k, v) VALUES (2, 'kept')")
    with pytest.raises(RuntimeError, match="midway"):
        await insert_then_fail(db)
    rows = await db.fetch_all("SELECT k FROM t ORDER BY k")
    assert [row[0] for row in rows] == [1, 2]


def move(source: int, target: int) -> Steps[str | None]:
    """A Steps transaction: its logic depends on what a statement returned."""
    row = yield fetch_one("SELECT v FROM t WHERE k = ?", source)
    if row is None:
        return None
    yield execute("INSERT INTO t (k, v) VALUES (?, ?)", target, row["v"])
    deleted = yield execute("DELETE FROM t WHERE k = ?", source)
    assert deleted == 1
    return str(row["v"])


async def test_steps_run_as_one_transaction(db: Database) -> None:
    await db.execute("INSERT INTO t (k, v) VALUES (1, 'one'), (2, 'two')")
    assert await db.run(move(1, 10)) == "one"
    assert await db.run(move(1, 11)) is None  # gone: nothing to move
    # A failing statement (10 is taken) undoes the whole generator's work.
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await db.run(move(2, 10))
    rows = await db.fetch_all("SELECT k, v FROM t ORDER BY k")
    assert [(row[0], row[1]) for row in rows] == [(2, "two"), (10, "one")]


async def test_claims_lock_on_postgresql_and_read_plainly_on_sqlite(db: Database) -> None:
    """``for_update_skip_locked`` inside a transaction: two claimers take different rows."""
    await db.execute_many("INSERT INTO t (k, v) VALUES (?, 'free')", [(k,) for k in range(4)])
    claim = (
        "UPDATE t SET v = 'taken' WHERE k IN ("
        f"SELECT k FROM t WHERE v = 'free' ORDER BY k LIMIT 2{db.for_update_skip_locked})"
        " RETURNING k"
    )
    first_claimed = asyncio.Event()
    release = asyncio.Event()

    async def first() -> list[int]:
        async with db.transaction() as tx:
            rows = await tx.fetch_all(claim)
            first_claimed.set()
            await release.wait()  # holds its rows' locks meanwhile (PostgreSQL)
            return sorted(row[0] for row in rows)

    async def second() -> list[int]:
        await first_claimed.wait()
        if db.backend == "sqlite":
            release.set()  # one writer at a time: it waits for the first to commit
        async with db.transaction() as tx:
            rows = await tx.fetch_all(claim)
        release.set()
        return sorted(row[0] for row in rows)

    # A deadline, not a pause: without SKIP LOCKED the second claimer would wait forever.
    taken = await asyncio.wait_for(asyncio.gather(first(), second()), timeout=30)
    assert taken == [[0, 1], [2, 3]]


async def test_ping_answers_and_says_false_once_closed(target: str) -> None:
    db = await open_database(target)
    assert await db.ping()
    await db.close()
    assert not await db.ping()


async def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        await open_database(tmp_path / "nope" / "bot.sqlite3")


async def test_read_only_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"this is not a database at all, just bytes" * 10)
    with pytest.raises(StorageError, match="cannot"):
        await open_database(f"sqlite:///{path}")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_an_unreachable_server_is_a_clear_error(postgres_server: PostgresServer) -> None:
    unreachable = f"postgresql://nwfz:secret@127.0.0.1:{postgres_server.port + 1}/nope"
    with pytest.raises(
        StorageError, match=r"cannot connect to postgresql://nwfz@127\.0\.0\.1"
    ) as e:
        await open_database(unreachable)
    assert "secret" not in str(e.value)


# ---- the pure parts -------------------------------------------------------------------------


def test_placeholders_are_numbered_in_order() -> None:
    assert numbered("SELECT ? FROM t WHERE a = ? AND b IN (?, ?)") == (
        "SELECT $1 FROM t WHERE a = $2 AND b IN ($3, $4)"
    )
    assert numbered("SELECT 'it''s' FROM t WHERE a = ?") == "SELECT 'it''s' FROM t WHERE a = $1"
    assert numbered("SELECT 1") == "SELECT 1"


def test_a_question_mark_inside_a_literal_is_refused() -> None:
    with pytest.raises(ValueError, match="string literal"):
        numbered("SELECT * FROM t WHERE v = 'why?' AND k = ?")


@given(
    st.lists(
        st.one_of(
            st.just("?"),
            st.text(alphabet="abc =(),", max_size=5),
            st.text(alphabet="xy ", max_size=4).map(lambda text: f"'{text}'"),
        ),
        max_size=12,
    )
)
def test_numbering_changes_only_the_placeholders(pieces: list[str]) -> None:
    sql = "".join(pieces)
    result = numbered(sql)
    count = sql.count("?")
    expected = sql
    for number in range(1, count + 1):
        expected = expected.replace("?", f"${number}", 1)
    assert result == expected


def test_command_tags_give_the_rows_affected() -> None:
    assert [rows_affected(tag) for tag in ("INSERT 0 3", "UPDATE 2", "DELETE 0", "BEGIN")] == [
        3,
        2,
        0,
        0,
    ]


def test_postgres_ddl_changes_the_types_and_nothing_else() -> None:
    script = """
    CREATE TABLE quiz_rounds (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        counts INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE pairs (a INTEGER, b TEXT, PRIMARY KEY (a, b));
    """
    assert postgres_ddl(script) == script.replace(
        "id INTEGER PRIMARY KEY", "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    ).replace("INTEGER", "BIGINT")
    assert "INTEGER" not in "".join(postgres_ddl(script) for script in MIGRATIONS)


async def test_sqlite_keeps_the_shipped_schema_text(tmp_path: Path) -> None:
    """The SQLite scripts run as written (the translation is PostgreSQL's alone)."""
    path = tmp_path / "bot.sqlite3"
    await (await open_database(path)).close()
    with sqlite3.connect(path) as raw:
        (rounds,) = raw.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'quiz_rounds'"
        ).fetchone()
    assert "id INTEGER PRIMARY KEY" in rounds
