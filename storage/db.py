"""Which database a ``DATABASE_URL`` names, opened and migrated; and SQLite's backup.

``storage.database`` is the interface the repositories use; ``storage.sqlite`` and
``storage.postgres`` implement it. Each repository method is one statement or one short
transaction, never held across a Telegram call.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from storage.database import Database, StorageError
from storage.postgres import open_postgres
from storage.sqlite import open_sqlite

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_PREFIX = "sqlite:///"
DATABASE_SCHEMES = (SQLITE_PREFIX, *POSTGRES_SCHEMES)

__all__ = ["Database", "StorageError", "backup_database", "open_database"]


def is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def sqlite_path(target: str) -> str:
    """The file of ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` (a plain path
    or ``:memory:`` is taken as it is)."""
    return target.removeprefix(SQLITE_PREFIX)


async def open_database(target: Path | str) -> Database:
    """Open and migrate the database at ``target``: a ``DATABASE_URL`` (``sqlite:///...`` or
    ``postgresql://...``) or a SQLite file path."""
    target = str(target)
    if is_postgres(target):
        return await open_postgres(target)
    return await open_sqlite(sqlite_path(target))


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
