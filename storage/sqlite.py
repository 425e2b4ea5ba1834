"""The embedded backend: one aiosqlite connection, migrated by ``PRAGMA user_version``.

aiosqlite runs every statement on one worker thread, so a single connection serialises writes
without extra locks; WAL lets readers proceed during a write. Every method below is one hop to
that thread (statement and fetch together), and ``run`` puts a whole transaction in one hop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage.database import (
    Database,
    Queries,
    Row,
    Step,
    StepKind,
    Steps,
    StorageError,
    drive,
    prepared,
)
from storage.migrations import MIGRATIONS, newer_schema_message

T = TypeVar("T")


class StringAgg:
    """``string_agg(value, separator)`` as PostgreSQL has it (SQLite gains it only in 3.44),
    so the repositories write one aggregate for both."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._separator = ","

    def step(self, value: object, separator: str) -> None:
        if value is not None:
            self._parts.append(str(value))
            self._separator = separator

    def finalize(self) -> str | None:
        return self._separator.join(self._parts) if self._parts else None


def run_step(connection: sqlite3.Connection, step: Step) -> Any:
    """One statement on sqlite3's own connection; the result :class:`Queries` promises."""
    if step.kind == StepKind.EXECUTE_MANY:
        return connection.executemany(step.sql, step.params).rowcount
    cursor = connection.execute(step.sql, step.params)
    try:
        if step.kind == StepKind.EXECUTE:
            return cursor.rowcount
        if step.kind == StepKind.FETCH_ONE:
            return cursor.fetchone()
        return cursor.fetchall()
    finally:
        # A RETURNING statement left open would keep the transaction from committing.
        cursor.close()


def run_steps(connection: sqlite3.Connection, steps: Steps[T]) -> T:
    connection.execute("BEGIN IMMEDIATE")
    try:
        step, result = drive(steps, None)
        while step is not None:
            step, result = drive(steps, run_step(connection, step))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return result  # type: ignore[return-value]  # drive returned the generator's own value


class SqliteDatabase(Database):
    backend = "sqlite"
    for_update_skip_locked = ""

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        self._connection = connection
        self.path = path
        # Keeps two coroutines from nesting BEGINs on the one connection. Single statements
        # outside a transaction need no lock: the worker thread runs them one at a time.
        self._transaction_lock = asyncio.Lock()

    async def _hop(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(sqlite3 connection, *args)`` on aiosqlite's thread, in one job.

        aiosqlite's own methods take a hop per call (execute, then fetch, then close); this
        uses the entry they use, ``_execute``, pinned by the ``aiosqlite~=0.22.0`` requirement
        and covered by every storage test."""
        connection = self._connection
        result: T = await connection._execute(work, connection._conn, *args)  # type: ignore[no-untyped-call]
        return result

    async def execute(self, sql: str, *params: Any) -> int:
        result: int = await self._hop(run_step, Step(StepKind.EXECUTE, sql, params))
        return result

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        result: int = await self._hop(run_step, Step(StepKind.EXECUTE_MANY, sql, list(rows)))
        return result

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]:
        result: list[Row] = await self._hop(run_step, Step(StepKind.FETCH_ALL, sql, params))
        return result

    async def fetch_one(self, sql: str, *params: Any) -> Row | None:
        result: Row | None = await self._hop(run_step, Step(StepKind.FETCH_ONE, sql, params))
        return result

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        async with self._transaction_lock:
            await self.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                await self.execute("ROLLBACK")
                raise
            await self.execute("COMMIT")

    async def run(self, steps: Steps[T]) -> T:
        async with self._transaction_lock:
            return await self._hop(run_steps, steps)

    async def ping(self) -> bool:
        try:
            return bool(await self.fetch_value("SELECT 1") == 1)
        except (sqlite3.Error, ValueError):  # ValueError: the connection is closed
            return False

    async def schema_version(self) -> int:
        return int(await self.fetch_value("PRAGMA user_version"))

    async def close(self) -> None:
        await self._connection.close()

    async def prepare(self) -> None:
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=5000",
        ):
            await self.execute(pragma)
        await self._hop(lambda raw: raw.create_aggregate("string_agg", 2, StringAgg))
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise StorageError(newer_schema_message(current))
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            # executescript commits first; the version bump rides in the same script so a
            # crash between the two cannot leave a half-applied migration marked as done.
            await self._connection.executescript(
                f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
            )


async def open_sqlite(path: Path | str) -> SqliteDatabase:
    """Open (creating if needed), configure and migrate the SQLite database at ``path``."""
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
    connection.row_factory = aiosqlite.Row
    return await prepared(SqliteDatabase(connection, str(path)), sqlite3.Error, str(path))
