"""The database as the repositories see it, whichever engine runs underneath.

Repositories write their SQL once, with ``?`` placeholders, in the dialect that SQLite 3.40 and
PostgreSQL 15 share (``ON CONFLICT ... DO NOTHING/DO UPDATE``, ``RETURNING``, ``IS DISTINCT
FROM``, row values, ``string_agg``). Two implementations: ``storage.sqlite`` (one aiosqlite
connection, the embedded default) and ``storage.postgres`` (an asyncpg pool). Nothing above
``storage/`` knows which one runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeVar

Backend = Literal["sqlite", "postgresql"]

T = TypeVar("T")


class StorageError(Exception):
    """A database that cannot be opened or reached, or whose schema is newer than this code."""


class Row(Protocol):
    """A result row: by column name (``row["id"]``) or position (``row[0]``).

    ``sqlite3.Row`` and ``asyncpg.Record`` both are one, so rows pass through unconverted.
    """

    def __getitem__(self, key: str | int, /) -> Any: ...


class Queries(ABC):
    """Statements on the database, or on one transaction's connection."""

    @abstractmethod
    async def execute(self, sql: str, *params: Any) -> int:
        """Run one statement; the number of rows it inserted, updated or deleted."""

    @abstractmethod
    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run one statement once per parameter row; the rows affected in all."""

    @abstractmethod
    async def fetch_all(self, sql: str, *params: Any) -> list[Row]: ...

    @abstractmethod
    async def fetch_one(self, sql: str, *params: Any) -> Row | None: ...

    async def fetch_value(self, sql: str, *params: Any) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = await self.fetch_one(sql, *params)
        return None if row is None else row[0]


class StepKind(StrEnum):
    EXECUTE = "execute"
    EXECUTE_MANY = "execute_many"
    FETCH_ONE = "fetch_one"
    FETCH_ALL = "fetch_all"


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a :data:`Steps` transaction; the generator is sent back what the
    method of :class:`Queries` with the same name returns."""

    kind: StepKind
    sql: str
    params: tuple[Any, ...] | list[Sequence[Any]]


def execute(sql: str, *params: Any) -> Step:
    return Step(StepKind.EXECUTE, sql, params)


def execute_many(sql: str, rows: Iterable[Sequence[Any]]) -> Step:
    return Step(StepKind.EXECUTE_MANY, sql, list(rows))


def fetch_one(sql: str, *params: Any) -> Step:
    return Step(StepKind.FETCH_ONE, sql, params)


def fetch_all(sql: str, *params: Any) -> Step:
    return Step(StepKind.FETCH_ALL, sql, params)


# A transaction written as a plain generator: it yields statements and is sent their results,
# and its return value is the transaction's. The logic between the statements is written once;
# SQLite runs the whole generator in one hop to its database thread (a hot path such as a quiz
# answer would otherwise pay one hop per statement), PostgreSQL awaits each statement on one
# pooled connection.
Steps = Generator[Step, Any, T]


class Database(Queries):
    backend: Backend
    # Appended to a ``SELECT`` inside ``transaction()`` that claims rows: PostgreSQL locks them
    # and skips rows another replica holds; SQLite (one writer, ``BEGIN IMMEDIATE``) needs
    # nothing, so it is empty there.
    for_update_skip_locked: str

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Queries]:
        """One short transaction on one connection: committed when the block ends, rolled back
        when it raises. Never hold it across a Telegram call."""

    async def run(self, steps: Steps[T]) -> T:
        """Run a generator of statements (see :data:`Steps`) as one transaction."""
        async with self.transaction() as queries:
            step, result = drive(steps, None)
            while step is not None:
                step, result = drive(steps, await perform(queries, step))
        return result  # type: ignore[return-value]  # drive returned the generator's own value

    @abstractmethod
    async def ping(self) -> bool:
        """Whether the database answers (for ``/healthz``); never raises."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def prepare(self) -> None:
        """Configure the just-opened connection(s) and apply the migrations not yet applied
        (refusing a schema newer than this code)."""

    @abstractmethod
    async def close(self) -> None: ...


async def perform(queries: Queries, step: Step) -> Any:
    if step.kind == StepKind.EXECUTE_MANY:
        return await queries.execute_many(step.sql, step.params)
    method = {
        StepKind.EXECUTE: queries.execute,
        StepKind.FETCH_ONE: queries.fetch_one,
        StepKind.FETCH_ALL: queries.fetch_all,
    }[step.kind]
    return await method(step.sql, *step.params)


DatabaseT = TypeVar("DatabaseT", bound="Database")


async def prepared(database: DatabaseT, driver_error: type[Exception], where: str) -> DatabaseT:
    """``database`` prepared; on failure closed, and the driver's error a StorageError."""
    try:
        await database.prepare()
    except driver_error as error:
        await database.close()
        raise StorageError(f"cannot use database {where}: {error}") from error
    except StorageError:
        await database.close()
        raise
    return database


def drive(steps: Steps[T], answer: Any) -> tuple[Step | None, T | None]:
    """Send ``answer`` to ``steps``: its next statement, or (None, its result) once it returns.
    Both backends' ``run`` loop over this, so they walk the generator the same way."""
    try:
        return steps.send(answer), None
    except StopIteration as finished:
        return None, finished.value
