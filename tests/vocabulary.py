"""What the tests say besides the world's own verbs (``world.last_text``, ``world.last_poll``,
``world.right_option``): the scheduler's turn on the fake clock, thousands of subscribers at
once and the size of a picture. The ``restartable`` fixture is in conftest.py."""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bot.app.container import Services
from bot.clock import FakeClock
from bot.offline.telegram import FakeTelegram
from bot.offline.world import Actor, World
from storage.database import Database

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# ``restartable()`` starts the bot on the test's database file; calling it again restarts it.
Chat = dict[str, Any]
Restartable = Callable[[], Awaitable[tuple[World, Services]]]


async def run_jobs(world: World, services: Services, until: datetime, step: float = 60) -> None:
    """What the scheduler does until ``until``: every ``step`` seconds plan the reminders,
    then send what is due."""
    clock = services.clock
    assert isinstance(clock, FakeClock)
    while clock.now() < until:
        # The scheduler's interval job fires on the step's boundaries.
        stamp = clock.now().timestamp()
        clock.set(datetime.fromtimestamp((stamp // step + 1) * step, UTC))
        await services.reminders.plan_due()
        await services.reminders.drain(world.bot)


async def subscribe_private_chats(
    db: Database, telegram: FakeTelegram, chat_ids: list[int], now: datetime
) -> None:
    """``chat_ids`` as private chats the bot has seen, subscribed with the defaults, as the
    repositories' inserts leave them; known to the offline Telegram too. Two statements for
    the lot: one by one, 10,000 chats on PostgreSQL take seconds of a test that is about the
    fan-out, not the sign-up (the one-by-one path has its own end-to-end tests)."""
    for chat_id in chat_ids:
        telegram.add_chat({"id": chat_id, "type": "private", "first_name": f"U{chat_id}"})
    stamp = now.isoformat()
    rows = [(chat_id, stamp, stamp) for chat_id in chat_ids]
    await db.execute_many(
        "INSERT INTO chats (id, type, created_at, updated_at) VALUES (?, 'private', ?, ?)", rows
    )
    await db.execute_many(
        "INSERT INTO subscriptions (chat_id, created_at, updated_at) VALUES (?, ?, ?)", rows
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its first chunk (which must be IHDR)."""
    assert data.startswith(PNG_SIGNATURE), "not a PNG"
    kind = data[12:16]
    assert kind == b"IHDR", f"the first chunk is {kind!r}, not IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def start_group_game(group: Chat, starter: Actor, *players: Actor) -> None:
    """A game in a Russian-speaking group (the default): ``starter`` opens the lobby with /quiz,
    ``players`` join, ``starter`` starts it."""
    await starter.send("/quiz", chat=group)
    for player in players:
        await player.tap("Я играю", chat=group)
    await starter.tap("Начать", chat=group)
