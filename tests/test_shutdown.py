"""Graceful shutdown: the real bot as a child process against the offline Telegram over HTTP,
stopped by SIGTERM or SIGINT while a handler is in the middle of a request; and the reminder
fan-out stopping after the batch it claimed."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import lifecycle
from bot.app.config import Settings
from bot.app.container import Services
from bot.app.dispatcher import create_bot
from bot.app.scheduler import create_scheduler
from bot.clock import FakeClock, SystemClock
from bot.offline.records import RateLimits
from bot.offline.server import BotApiServer
from bot.offline.telegram import FakeTelegram
from bot.reminders.service import BATCH
from storage.db import open_database

pytestmark = pytest.mark.slow  # each test runs the bot in a process of its own

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30  # overall, per test: a bug fails the test instead of hanging it
ALICE = {"id": 5001, "is_bot": False, "first_name": "Alice", "language_code": "en"}
ALICE_CHAT = {"id": 5001, "type": "private", "first_name": "Alice"}


class BotProcess:
    """``python -m bot ...`` with its stderr collected line by line as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._eof = False
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            async with self._changed:
                self.lines.append(raw.decode().rstrip("\n"))
                self._changed.notify_all()
        async with self._changed:
            self._eof = True
            self._changed.notify_all()

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    def logged(self, fragment: str) -> bool:
        return any(fragment in line for line in self.lines)

    async def wait_for_line(self, fragment: str) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.logged(fragment) or self._eof)
        assert self.logged(fragment), f"exited without logging {fragment!r}:\n{self.stderr}"

    async def exit_code(self) -> int:
        code = await self.process.wait()
        await self._reader
        return code


@asynccontextmanager
async def bot_process(
    tmp_path: Path, *args: str, database: str | None = None, **env: str
) -> AsyncIterator[BotProcess]:
    """The bot on ``database`` (a PostgreSQL URL) or else the SQLite file in ``tmp_path``."""
    # Only this test's settings: none inherited from the developer's shell; the working
    # directory has no .env either.
    environment = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    environment.update(env, PYTHONPATH=str(ROOT), DATABASE_PATH=str(tmp_path / "bot.sqlite3"))
    if database is not None:
        environment["DATABASE_URL"] = database
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=tmp_path, env=environment, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    child = BotProcess(process)
    try:
        yield child
    finally:
        if process.returncode is None:  # the test failed: do not leave the bot running
            process.kill()
            await child.exit_code()


def start_update(server: BotApiServer) -> dict[str, Any]:
    server.telegram.add_chat(ALICE_CHAT)
    message = {
        "message_id": 1, "date": int(time.time()), "chat": ALICE_CHAT, "from": ALICE,
        "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }  # fmt: skip
    return {"update_id": server.telegram.next_update_id(), "message": message}


def assert_sqlite_closed_intact(path: Path) -> None:
    # SQLite removes the WAL file when the last connection closes: it is left behind only by
    # a process that never closed the database.
    assert not Path(f"{path}-wal").exists(), "the database was closed"
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()


async def assert_clean_database(tmp_path: Path, postgres_url: str | None) -> None:
    """Alice's rows were written, and (SQLite) the database was closed, not abandoned."""
    if postgres_url is None:
        assert_sqlite_closed_intact(tmp_path / "bot.sqlite3")
    db = await open_database(postgres_url or tmp_path / "bot.sqlite3")
    try:
        assert await db.fetch_one("SELECT id FROM users WHERE id = ?", ALICE["id"])
        assert await db.fetch_one("SELECT id FROM chats WHERE id = ?", ALICE_CHAT["id"])
    finally:
        await db.close()


def assert_no_errors(child: BotProcess) -> None:
    assert "Traceback" not in child.stderr, child.stderr
    assert not [line for line in child.lines if " ERROR " in line], child.stderr


def handled(child: BotProcess, update_id: int, outcome: str) -> bool:
    pattern = re.compile(rf"update {update_id} message handlers\.\S+ [\d.]+ ms {outcome}$")
    return any(pattern.search(line) for line in child.lines)


def sent_to_alice(telegram: FakeTelegram) -> list[str | None]:
    return [m.text for m in telegram.messages.values() if m.chat_id == ALICE_CHAT["id"]]


async def test_sigterm_while_polling_lets_the_handler_finish(
    tmp_path: Path, postgres_url: str | None
) -> None:
    telegram = FakeTelegram(SystemClock())
    async with BotApiServer(telegram) as server, asyncio.timeout(TIMEOUT):
        held = server.hold("sendMessage")
        async with bot_process(
            tmp_path, database=postgres_url, BOT_TOKEN=telegram.token, TELEGRAM_API_URL=server.url
        ) as child:
            await server.arrived("getUpdates").wait()
            update = server.push_update(start_update(server))
            await held.arrived.wait()  # the /start handler is waiting for Telegram's answer
            child.process.send_signal(signal.SIGTERM)
            await child.wait_for_line("shutting down")
            polls = server.calls.count("getUpdates")
            assert child.process.returncode is None and not child.logged("shutdown complete")
            held.release()
            assert await child.exit_code() == 0, child.stderr
    assert handled(child, update["update_id"], "ok"), child.stderr
    assert any("Alice" in (text or "") for text in sent_to_alice(telegram)), "the reply was sent"
    assert server.calls.count("getUpdates") == polls, "no polling after the signal"
    assert child.logged("shutdown complete")
    assert_no_errors(child)
    await assert_clean_database(tmp_path, postgres_url)


async def test_sigint_shutdown_is_bounded_by_the_timeout(
    tmp_path: Path, postgres_url: str | None
) -> None:
    """Ctrl+C (SIGINT) stops the bot like SIGTERM; a handler that never gets its answer is
    cut off after SHUTDOWN_TIMEOUT, before the database closes."""
    telegram = FakeTelegram(SystemClock())
    async with BotApiServer(telegram) as server, asyncio.timeout(TIMEOUT):
        held = server.hold("sendMessage")  # never released
        async with bot_process(
            tmp_path, database=postgres_url, BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=server.url, SHUTDOWN_TIMEOUT="1",
        ) as child:  # fmt: skip
            await server.arrived("getUpdates").wait()
            update = server.push_update(start_update(server))
            await held.arrived.wait()
            signalled = time.monotonic()
            child.process.send_signal(signal.SIGINT)
            assert await child.exit_code() == 0, child.stderr
            took = time.monotonic() - signalled
    assert 1 <= took < 1 + 10, f"waited SHUTDOWN_TIMEOUT, then exited; took {took:.1f} s"
    assert child.logged("1 task(s) still running after SHUTDOWN_TIMEOUT (1.0 s): cut off")
    assert handled(child, update["update_id"], "error"), "cancelled, not failing later"
    assert sent_to_alice(telegram) == [], "the held request was never answered"
    assert_no_errors(child)
    await assert_clean_database(tmp_path, postgres_url)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def post(
    http: aiohttp.ClientSession, url: str, update: dict[str, Any], secret: str | None = "s3cr3t"
) -> int:
    """POST an update as Telegram does, with ``secret`` in its header (None: no header)."""
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with http.post(url, json=update, headers=headers) as response:
        return response.status


async def test_sigterm_in_webhook_mode_answers_the_request_in_flight(
    tmp_path: Path, postgres_url: str | None
) -> None:
    telegram = FakeTelegram(SystemClock())
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/telegram"
    async with (
        BotApiServer(telegram) as server,
        asyncio.timeout(TIMEOUT),
        aiohttp.ClientSession() as http,
    ):
        held = server.hold("sendMessage")
        async with bot_process(
            tmp_path, "webhook", database=postgres_url,
            BOT_TOKEN=telegram.token, TELEGRAM_API_URL=server.url, WEBHOOK_URL=webhook,
            WEBHOOK_SECRET="s3cr3t", WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port),
        ) as child:  # fmt: skip
            await child.wait_for_line("listening on")
            assert telegram.webhook_url == webhook
            update = start_update(server)
            request = asyncio.create_task(post(http, webhook, update))
            await held.arrived.wait()
            child.process.send_signal(signal.SIGTERM)
            await child.wait_for_line("shutting down")
            with pytest.raises(aiohttp.ClientConnectionError):  # no new updates taken
                await post(http, webhook, start_update(server))
            held.release()
            assert await request == 200
            assert await child.exit_code() == 0, child.stderr
    assert handled(child, update["update_id"], "ok"), child.stderr
    assert any("Alice" in (text or "") for text in sent_to_alice(telegram)), "the reply was sent"
    assert child.logged("shutdown complete")
    assert_no_errors(child)
    await assert_clean_database(tmp_path, postgres_url)


async def test_reminders_finish_the_claimed_batch_and_claim_no_more(
    services: Services, telegram: FakeTelegram, clock: FakeClock
) -> None:
    # The hold lets its requests go all at once: a burst the bot's rate limiter did not cause,
    # which the fake would answer with 429s. Pacing is tested elsewhere.
    telegram.limits = RateLimits(overall_per_second=1000)
    clock.set(datetime(2026, 8, 28, 20, 0, tzinfo=UTC))  # the eve of the 29 August reminders
    chats = [700_000 + n for n in range(BATCH + 50)]
    for chat_id in chats:
        telegram.add_chat({"id": chat_id, "type": "private", "first_name": f"U{chat_id}"})
        await services.reminders.subscribe(chat_id)
    await services.reminders.plan_due()
    clock.set(datetime(2026, 8, 29, 4, 0, 30, tzinfo=UTC))  # 09:00 in Almaty has just passed
    await services.reminders.plan_due()
    async with BotApiServer(telegram) as server, asyncio.timeout(TIMEOUT):
        bot = create_bot(telegram.token, server.url, limiter=services.limiter)
        # The scheduler's own job wrapper, run once by hand instead of by the real-time timer.
        scheduler = create_scheduler(
            {"reminders-send": (lambda: services.reminders.drain(bot), 2.0)}, services.inflight
        )
        job = scheduler.get_job("reminders-send")
        held = server.hold("sendMessage")
        run = asyncio.create_task(job.func())
        await held.arrived.wait()  # the first batch is claimed and being sent
        # Released only once on_shutdown has told reminders to stop and is waiting.
        asyncio.get_running_loop().call_soon(held.release)
        await lifecycle.on_shutdown(bot, services)
        assert run.done(), "on_shutdown waited for the job run"
        await bot.session.close()
    statuses = Counter((await services.reminders.repo.statuses()).values())
    assert statuses == {"sent": BATCH, "pending": 50}, "nothing left 'sending', none claimed"
    sent = Counter(m.chat_id for m in telegram.messages.values())
    assert len(sent) == BATCH and set(sent.values()) == {1}
