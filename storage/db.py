"""One aiosqlite connection for the whole bot, migrated by ``PRAGMA user_version``.

aiosqlite runs every statement on one worker thread, so a single connection serialises writes
without extra locks; WAL lets readers proceed during a write. Each repository method is one
statement or one short transaction, never held across a Telegram call.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import TypeVar
from weakref import WeakKeyDictionary

import aiosqlite

from storage.migrations import MIGRATIONS


class StorageError(Exception):
    """A database that cannot be opened or that is newer than this code."""


async def open_database(path: Path | str) -> aiosqlite.Connection:
    """Open (creating if needed), configure and migrate the database at ``path``."""
    if str(path) != ":memory:":
        path = Path(path)
        if not path.parent.exists():
            raise StorageError(
                f"database directory {path.parent} does not exist: create it or set DATABASE_PATH"
            )
    try:
        connection = await aiosqlite.connect(str(path), isolation_level=None)
    except sqlite3.Error as error:
        raise StorageError(f"cannot open database {path}: {error}") from error
    try:
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA synchronous=NORMAL")
        await connection.execute("PRAGMA busy_timeout=5000")
        await migrate(connection)
    except sqlite3.Error as error:
        await connection.close()
        raise StorageError(f"cannot use database {path}: {error}") from error
    except StorageError:
        await connection.close()
        raise
    return connection


def backup_database(source: Path, target: Path) -> None:
    """Copy the database at ``source`` to ``target`` while the bot keeps writing to it.

    SQLite's online backup API copies every page in one step, inside one read transaction: the
    copy is the database as one moment saw it, never a write half-done (WAL lets the bot write
    meanwhile). It goes to ``target.partial`` first and is renamed when complete, so an
    interrupted backup never looks like a good one.
    """
    if not source.is_file():
        raise StorageError(f"no database at {source}: check DATABASE_PATH")
    if not target.parent.is_dir():
        raise StorageError(f"directory {target.parent} does not exist")
    partial = target.with_name(f"{target.name}.partial")
    try:
        with (
            closing(sqlite3.connect(source)) as database,
            closing(sqlite3.connect(partial)) as copy,
        ):
            database.execute("PRAGMA busy_timeout=5000")
            database.backup(copy)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise StorageError(f"cannot back up {source}: {error}") from error
    partial.replace(target)


async def schema_version(connection: aiosqlite.Connection) -> int:
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def migrate(connection: aiosqlite.Connection) -> None:
    current = await schema_version(connection)
    if current > len(MIGRATIONS):
        raise StorageError(
            f"database schema version {current} is newer than this bot knows ({len(MIGRATIONS)}):"
            " refusing to start; upgrade the bot or restore a matching backup"
        )
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        # executescript commits first; the version bump rides in the same script so a crash
        # between the two cannot leave a half-applied migration marked as done.
        await connection.executescript(
            f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
        )


_transaction_locks: WeakKeyDictionary[aiosqlite.Connection, asyncio.Lock] = WeakKeyDictionary()


@asynccontextmanager
async def transaction(connection: aiosqlite.Connection) -> AsyncIterator[None]:
    """One short write transaction at a time on the shared connection.

    The lock keeps two coroutines from nesting BEGINs. Single statements outside a transaction
    need no lock: aiosqlite runs them one at a time, each atomic on its own.
    """
    lock = _transaction_locks.setdefault(connection, asyncio.Lock())
    async with lock:
        await connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            await connection.execute("ROLLBACK")
            raise
        await connection.execute("COMMIT")


T = TypeVar("T")


async def in_one_step(
    connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> T:
    """Run ``work`` on aiosqlite's own thread with its sqlite3 connection, as one job.

    Each awaited statement costs a hop to that thread and back; a hot path with ten statements
    pays ten. ``work`` runs them all in one hop, inside one transaction it opens and closes
    itself. It uses aiosqlite's ``_execute`` (the same entry its public methods use), pinned by
    the ``aiosqlite~=0.22.0`` requirement and covered by the storage and quiz tests.
    """
    lock = _transaction_locks.setdefault(connection, asyncio.Lock())
    async with lock:
        result: T = await connection._execute(work, connection._conn)  # type: ignore[no-untyped-call]
        return result
