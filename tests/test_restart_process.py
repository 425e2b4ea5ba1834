"""Issue 10 end to end: the real ``python -m bot`` stopped and started around 09:00.

Three chats subscribe (a private chat, a group, and a group that then becomes a supergroup)
on the evening of 28 August; the process stops less than a minute later and a new one starts
at 08:59:57 on 29 August in Almaty. The 09:00 reminders arrive once in each chat. The processes
talk to the offline Telegram over HTTP and run on the real clock shifted by
``NWFZ_TEST_CLOCK_START`` (read by bot/runner.py only), so nobody waits for 09:00.
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from test_shutdown import BotProcess, assert_no_errors, bot_process

from bot.app.runner import TEST_CLOCK_START
from bot.clock import SystemClock
from bot.offline.server import BotApiServer
from bot.offline.telegram import FakeTelegram
from storage.db import open_database

TIMEOUT = 60
ADMIN = {"id": 6001, "is_bot": False, "first_name": "Aigerim", "language_code": "en"}
PRIVATE = {"id": 6001, "type": "private", "first_name": "Aigerim"}
GROUP = {"id": -1_000_000_006_002, "type": "supergroup", "title": "Delegates"}
BASIC = {"id": -6003, "type": "group", "title": "Class"}
UPGRADED = {"id": -1_000_000_006_003, "type": "supergroup", "title": "Class"}
NINE = datetime(2026, 8, 29, 4, 0, tzinfo=UTC)  # 09:00 in Almaty


def command(server: BotApiServer, chat: dict[str, Any], **content: Any) -> dict[str, Any]:
    message = {"message_id": len(server.telegram.updates) + 1, "date": int(time.time()),
               "chat": chat, "from": ADMIN, **content}  # fmt: skip
    return server.push_update({"message": message})


def subscribe(server: BotApiServer, chat: dict[str, Any]) -> dict[str, Any]:
    entities = [{"type": "bot_command", "offset": 0, "length": 10}]
    return command(server, chat, text="/subscribe", entities=entities)


async def handled(child: BotProcess, update: dict[str, Any]) -> None:
    await child.wait_for_line(f"update {update['update_id']} message ")
    assert child.logged(f"update {update['update_id']} message handlers.")


async def stop(child: BotProcess) -> None:
    child.process.send_signal(signal.SIGTERM)
    assert await child.exit_code() == 0, child.stderr
    assert_no_errors(child)


async def test_a_restart_at_0859_sends_the_0900_reminders_once(
    tmp_path: Path, postgres_url: str | None
) -> None:
    telegram = FakeTelegram(SystemClock())
    for chat in (PRIVATE, GROUP, BASIC, UPGRADED):
        telegram.add_chat(chat)
    for chat in (GROUP, BASIC, UPGRADED):
        telegram.set_member(chat["id"], telegram.bot_user, "member")
        telegram.set_member(chat["id"], ADMIN, "creator")
    async with BotApiServer(telegram) as server, asyncio.timeout(TIMEOUT):
        env = {"BOT_TOKEN": telegram.token, "TELEGRAM_API_URL": server.url}
        evening = "2026-08-28T20:00:00+05:00"
        async with bot_process(
            tmp_path, database=postgres_url, **env, **{TEST_CLOCK_START: evening}
        ) as first:
            started = time.monotonic()
            await server.arrived("getUpdates").wait()
            for chat in (PRIVATE, GROUP, BASIC):
                await handled(first, subscribe(server, chat))
            telegram.migrated[BASIC["id"]] = UPGRADED["id"]
            await handled(first, command(server, BASIC, migrate_to_chat_id=UPGRADED["id"]))
            await stop(first)
            assert time.monotonic() - started < 60, "stopped less than a minute after starting"

        before_nine = "2026-08-29T08:59:57+05:00"
        sent_before = len(telegram.requests)
        async with bot_process(
            tmp_path, database=postgres_url, **env, **{TEST_CLOCK_START: before_nine}
        ) as second:
            await second.wait_for_line("started as @")

            # Its own log line: the three are due at the same moment, so one run sends them.
            await second.wait_for_line("reminders handled: 3 (sent 3)")
            await stop(second)
    reminders = [
        int(request.params["chat_id"])
        for request in telegram.requests[sent_before:]
        if request.method == "sendMessage" and request.error is None
    ]
    assert sorted(reminders) == sorted([PRIVATE["id"], GROUP["id"], UPGRADED["id"]])
    db = await open_database(postgres_url or tmp_path / "bot.sqlite3")
    rows = await db.fetch_all("SELECT chat_id, due_at, status, updated_at FROM deliveries")
    await db.close()
    assert sorted(row[0] for row in rows) == sorted(reminders), "one delivery per chat"
    for _, due, status, marked in rows:
        assert status == "sent" and datetime.fromisoformat(due) == NINE
        late = datetime.fromisoformat(marked) - NINE
        assert timedelta(0) <= late < timedelta(seconds=5), f"sent {late} after 09:00"
