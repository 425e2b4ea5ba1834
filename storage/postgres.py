"""The scale-out backend: an asyncpg pool on PostgreSQL, several replicas sharing it.

The repositories' SQL is written once with ``?`` placeholders; asyncpg speaks ``$1, $2, ...``,
so each statement text is renumbered once and the result cached. Migrations are the SQLite
scripts translated (``storage.migrations.postgres_ddl``), recorded in ``schema_migrations``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from storage.database import Database, Queries, Row, StorageError, prepared
from storage.migrations import MIGRATIONS, newer_schema_message, postgres_ddl

# pg_advisory_xact_lock's key for migrations: replicas starting together migrate one at a
# time, and the ones after the first find nothing left to do.
MIGRATION_LOCK = 0x6E77_667A  # "nwfz"

PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """``?`` placeholders as ``$1, $2, ...``.

    A ``?`` inside a string literal would be renumbered too, so it is refused: the
    repositories pass such text as a parameter instead.
    """
    parts = sql.split("'")
    # Splitting on quotes puts literals at the odd indexes ('' inside one splits it into two
    # odd parts around an empty even one, which holds no "?").
    if any("?" in literal for literal in parts[1::2]):
        raise ValueError(f"'?' inside a string literal: pass it as a parameter: {sql}")
    counter = iter(range(1, sql.count("?") + 1))
    return "'".join(
        part if index % 2 else PLACEHOLDER.sub(lambda _: f"${next(counter)}", part)
        for index, part in enumerate(parts)
    )


def rows_affected(status: str) -> int:
    """The count in a command tag: ``INSERT 0 3``, ``UPDATE 2``, ``DELETE 0``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    host = f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{parts.path}"


class PostgresQueries(Queries):
    """Statements on the pool (each on whichever connection is free) or on one connection."""

    def __init__(self, executor: asyncpg.Pool | asyncpg.Connection) -> None:
        self._executor = executor

    async def execute(self, sql: str, *params: Any) -> int:
        return rows_affected(await self._executor.execute(numbered(sql), *params))

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        rows = list(rows)
        if not rows:
            return 0
        # asyncpg's executemany reports no counts; fetchmany returns the rows each execution
        # returned, so one returned row per affected row counts them (the statement is an
        # INSERT, UPDATE or DELETE without a RETURNING of its own).
        returned = await self._executor.fetchmany(numbered(sql) + " RETURNING 1", rows)
        return len(returned)

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]:
        rows: list[Row] = await self._executor.fetch(numbered(sql), *params)
        return rows

    async def fetch_one(self, sql: str, *params: Any) -> Row | None:
        row: Row | None = await self._executor.fetchrow(numbered(sql), *params)
        return row

    async def fetch_value(self, sql: str, *params: Any) -> Any:
        return await self._executor.fetchval(numbered(sql), *params)


class PostgresDatabase(PostgresQueries, Database):
    backend = "postgresql"
    for_update_skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        super().__init__(pool)
        self._pool = pool
        self.url = url

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        async with self._pool.acquire() as connection, connection.transaction():
            yield PostgresQueries(connection)

    async def ping(self) -> bool:
        try:
            return bool(await self._pool.fetchval("SELECT 1", timeout=5) == 1)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False

    async def schema_version(self) -> int:
        exists = await self._pool.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not exists:
            return 0
        return int(
            await self._pool.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        )

    async def close(self) -> None:
        await self._pool.close()

    async def prepare(self) -> None:
        """Apply the migrations not yet applied, each with its version row in one transaction,
        under an advisory lock: replicas that start together migrate once."""
        async with self._pool.acquire() as connection:
            while True:
                async with connection.transaction():
                    await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                    await connection.execute(
                        "CREATE TABLE IF NOT EXISTS schema_migrations"
                        " (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)"
                    )
                    current = await connection.fetchval(
                        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
                    )
                    if current > len(MIGRATIONS):
                        raise StorageError(newer_schema_message(current))
                    if current == len(MIGRATIONS):
                        return
                    # No parameters: the simple protocol runs a script of several statements.
                    await connection.execute(postgres_ddl(MIGRATIONS[current]))
                    await connection.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                        current + 1,
                        datetime.now(UTC).isoformat(),
                    )


async def open_postgres(url: str, *, max_connections: int = 10) -> PostgresDatabase:
    """Connect a pool to the PostgreSQL database at ``url`` and migrate it."""
    try:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=max_connections)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise StorageError(f"cannot connect to {redacted(url)}: {error}") from error
    return await prepared(PostgresDatabase(pool, url), asyncpg.PostgresError, redacted(url))


DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _checked(name: str) -> str:
    # CREATE/DROP DATABASE take no parameters: the name goes into the text, so it is checked.
    if not DATABASE_NAME.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


async def create_database(server_url: str, name: str, *, template: str | None = None) -> None:
    """Create database ``name`` on the server that ``server_url`` reaches (as a superuser),
    as a copy of ``template`` if given (the tests copy one migrated database per test)."""
    connection = await asyncpg.connect(server_url)
    try:
        # FILE_COPY copies the template's files: for a small database, a few times faster
        # than the default WAL_LOG, which writes every page to the WAL.
        like = f" TEMPLATE {_checked(template)} STRATEGY FILE_COPY" if template else ""
        await connection.execute(f"CREATE DATABASE {_checked(name)}{like}")
    finally:
        await connection.close()


async def drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {_checked(name)} WITH (FORCE)")
    finally:
        await connection.close()
