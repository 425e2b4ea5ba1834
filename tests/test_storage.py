"""Storage: migrations, refusal of newer schemas, clear start-up errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import StorageError, open_database, schema_version
from storage.migrations import MIGRATIONS


async def test_migrates_a_new_file_to_the_latest_version(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "bot.sqlite3")
    assert await schema_version(db) == len(MIGRATIONS)
    async with db.execute("PRAGMA journal_mode") as cursor:
        row = await cursor.fetchone()
    assert row is not None and row[0] == "wal"
    await db.close()
    again = await open_database(tmp_path / "bot.sqlite3")  # idempotent
    assert await schema_version(again) == len(MIGRATIONS)
    await again.close()


async def test_newer_schema_refuses_to_start(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "bot.sqlite3")
    await db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    await db.close()
    with pytest.raises(StorageError, match="newer than this bot knows"):
        await open_database(tmp_path / "bot.sqlite3")


async def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        await open_database(tmp_path / "nope" / "bot.sqlite3")


async def test_read_only_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"this is not a database at all, just bytes" * 10)
    with pytest.raises(StorageError, match="cannot"):
        await open_database(path)
