"""``python -m bot backup PATH`` in the middle of a fan-out, then a restore.

The policy the README states, tested exactly: a restore rewinds the deliveries to the moment of
the backup. Those that were ``sent`` in it are never sent again; every other one (``sending``
or ``pending`` then, sent by the bot after the backup) is sent once more when the restored bot
starts within the catch-up window, and recorded ``missed`` after it. No reminder is lost.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sqlite3
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.app.dispatcher import create_bot
from bot.app.runner import emit_startup
from bot.clock import FakeClock
from bot.offline.records import RateLimits
from bot.offline.server import BotApiServer
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.reminders.service import BATCH
from content.loader import Catalog
from storage.db import StorageError, backup_database

ROOT = Path(__file__).resolve().parent.parent
EARLY = [800_000 + n for n in range(10)]  # 09:00 Almaty: sent before the backup
LATE = [900_000 + n for n in range(BATCH + 50)]  # 10:00: the fan-out the backup interrupts


def statuses(path: Path) -> Counter[str]:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        found = Counter(dict(db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY 1")))
    db.close()
    return found


async def run_backup(database: Path, target: Path) -> None:
    """The real command, in its own process, as an operator runs it next to the bot."""
    environment = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    environment.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(database))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "backup", str(target),
        cwd=database.parent, env=environment, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


async def open_bot(path: Path, settings: Settings, clock: FakeClock, catalog: Catalog) -> Services:
    services = await create_services(
        settings, clock, catalog=catalog, database=path, rng=random.Random(1)
    )
    services.run_scheduler = False
    return services


@pytest.mark.slow
@pytest.mark.parametrize(
    ("restored_at", "late_outcome"),
    [
        (datetime(2026, 8, 29, 5, 20, tzinfo=UTC), "sent"),  # within the 6-hour window
        (datetime(2026, 8, 29, 11, 30, tzinfo=UTC), "missed"),  # after it
    ],
)
async def test_backup_during_a_fan_out_then_restore(
    tmp_path: Path,
    settings: Settings,
    clock: FakeClock,
    catalog: Catalog,
    restored_at: datetime,
    late_outcome: str,
) -> None:
    database, copy = tmp_path / "bot.sqlite3", tmp_path / "backup.sqlite3"
    telegram = FakeTelegram(clock, limits=RateLimits(overall_per_second=1000))
    clock.set(datetime(2026, 8, 28, 20, 0, tzinfo=UTC))
    services = await open_bot(database, settings, clock, catalog)
    for chat_id in EARLY + LATE:
        telegram.add_chat({"id": chat_id, "type": "private", "first_name": f"U{chat_id}"})
        await services.reminders.subscribe(chat_id)
    for chat_id in LATE:
        await services.reminders.change(chat_id, "hour", "10")
    async with BotApiServer(telegram) as server:
        bot = create_bot(telegram.token, server.url, limiter=services.limiter)
        clock.set(datetime(2026, 8, 29, 4, 0, 30, tzinfo=UTC))  # 09:00 Almaty
        await services.reminders.plan_due()
        await services.reminders.drain(bot)
        clock.set(datetime(2026, 8, 29, 5, 0, 30, tzinfo=UTC))  # 10:00
        await services.reminders.plan_due()
        held = server.hold("sendMessage")
        fan_out = asyncio.create_task(services.reminders.drain(bot))
        await held.arrived.wait()  # a batch is claimed ("sending"), the rest pending
        await run_backup(database, copy)
        held.release()
        await fan_out
        await bot.session.close()
    await services.close()
    in_flight = statuses(copy)["departed"]  # held at Telegram when the backup was taken
    assert in_flight >= 1
    assert statuses(copy) == {
        "sent": len(EARLY), "sending": BATCH - in_flight, "departed": in_flight, "pending": 50
    }  # fmt: skip
    assert statuses(database) == {"sent": len(EARLY) + len(LATE)}
    before = Counter(telegram.sent_per_chat)
    assert set(before.values()) == {1}

    # The README's restore: the bot stopped, the copy put over DATABASE_PATH (with no WAL of
    # the old file left beside it), the bot started.
    for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(copy, database)
    clock.set(restored_at)
    restored = await open_bot(database, settings, clock, catalog)
    world = offline_world(telegram, restored)
    await emit_startup(world.dispatcher, world.bot)
    await restored.reminders.drain(world.bot)
    await restored.close()

    # A request in flight at the backup may have reached its chat: recorded unknown, not resent.
    assert statuses(database) == Counter({"sent": len(EARLY), "unknown": in_flight}) + Counter(
        {late_outcome: len(LATE) - in_flight}
    )
    again = Counter(telegram.sent_per_chat) - before
    assert not [chat for chat in EARLY if again[chat]], "sent in the backup: never again"
    expected_again = 1 if late_outcome == "sent" else 0
    once_more = sorted(again[chat] for chat in LATE)
    assert once_more == [0] * in_flight + [expected_again] * (len(LATE) - in_flight), (
        "the rest: once more, or missed"
    )


def test_backup_refuses_a_missing_database_or_folder(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no database"):
        backup_database(tmp_path / "absent.sqlite3", tmp_path / "copy.sqlite3")
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    with pytest.raises(StorageError, match="does not exist"):
        backup_database(tmp_path / "bot.sqlite3", tmp_path / "nowhere" / "copy.sqlite3")
    assert not list(tmp_path.glob("*.partial"))


def test_a_backup_holds_what_was_committed_and_nothing_half_done(tmp_path: Path) -> None:
    source, target = tmp_path / "bot.sqlite3", tmp_path / "copy.sqlite3"
    db = sqlite3.connect(source, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
    db.execute("BEGIN")  # a write in progress while the backup runs
    db.execute("INSERT INTO t VALUES (-1)")
    backup_database(source, target)
    db.execute("COMMIT")
    db.close()
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT COUNT(*), SUM(x) FROM t").fetchone() == (1000, 499_500)
    copy.close()
