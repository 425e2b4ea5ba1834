"""``python -m bot copy-database``: an existing SQLite database's rows into PostgreSQL.

Both ends are migrated first (the same migrations), so the tables and columns match. The
target must be empty: a copy over data would mix two histories. Everything is copied in one
target transaction (all or nothing), parents before children, and the identity sequences are
moved past the copied ids so the next quiz round gets a new one.
"""

from __future__ import annotations

from storage.database import Database, Queries, StorageError
from storage.sqlite import SqliteDatabase

# Parents before the rows that reference them (quiz_players, quiz_asked -> quiz_rounds;
# quiz_answers -> quiz_asked). A table missing here stops the copy: a new migration must say
# where its table goes rather than be left behind.
COPY_ORDER = (
    "chats",
    "users",
    "quiz_rounds",
    "quiz_players",
    "quiz_asked",
    "quiz_answers",
    "quiz_scores",
    "quiz_progress",
    "subscriptions",
    "deliveries",
    "planner_state",
    "bot_state",
    "send_budget",
)
BATCH = 5000  # rows read and written at a time, so a million answers never sit in memory


async def source_tables(source: SqliteDatabase) -> set[str]:
    rows = await source.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {row[0] for row in rows}


async def columns(target: Database, table: str) -> list[str]:
    rows = await target.fetch_all(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        table,
    )
    return [row[0] for row in rows]


async def row_counts(database: Database, tables: tuple[str, ...]) -> dict[str, int]:
    return {
        table: int(await database.fetch_value(f"SELECT COUNT(*) FROM {table}")) for table in tables
    }


async def copy_table(source: SqliteDatabase, target: Queries, table: str, names: list[str]) -> int:
    column_list = ", ".join(f'"{name}"' for name in names)
    insert = f"INSERT INTO {table} ({column_list}) VALUES ({', '.join('?' for _ in names)})"
    copied, after = 0, -(2**63)
    while True:
        # Keyset paging on SQLite's rowid: every batch is an index seek, not a longer OFFSET.
        rows = await source.fetch_all(
            f"SELECT rowid, {column_list} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            after,
            BATCH,
        )
        if not rows:
            return copied
        copied += await target.execute_many(
            insert, [tuple(row[i + 1] for i in range(len(names))) for row in rows]
        )
        after = rows[-1][0]


async def advance_identities(target: Queries) -> None:
    """Each identity column's sequence continues after the largest copied id."""
    for table, column in [
        (row[0], row[1])
        for row in await target.fetch_all(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        )
    ]:
        await target.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?), GREATEST(MAX({column}), 0) + 1, false)"
            f" FROM {table}",
            table,
            column,
        )


async def copy_database(source: SqliteDatabase, target: Database) -> dict[str, int]:
    """Copy every table; the number of rows copied per table."""
    unknown = await source_tables(source) - set(COPY_ORDER)
    if unknown:
        raise StorageError(f"copy-database does not know the tables {sorted(unknown)}")
    already = {table: n for table, n in (await row_counts(target, COPY_ORDER)).items() if n}
    if already:
        held = ", ".join(f"{table}: {n}" for table, n in already.items())
        raise StorageError(
            f"the target database is not empty ({held}): copy-database fills an empty one only"
        )
    copied: dict[str, int] = {}
    async with target.transaction() as transaction:
        for table in COPY_ORDER:
            copied[table] = await copy_table(
                source, transaction, table, await columns(target, table)
            )
        await advance_identities(transaction)
    return copied
