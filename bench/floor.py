"""The floor any aiogram bot pays, measured apart from the bot: a bare aiogram echo bot on the
same offline Telegram, and ``import aiogram`` in a fresh interpreter.

This module imports aiogram and the offline Telegram only (not the bot), so the echo bot's
memory is aiogram's and the fake's, and nothing of ours: ``python -m bench.floor``.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Message

from bot.clock import SystemClock
from bot.offline.records import RateLimits
from bot.offline.session import FakeSession
from bot.offline.telegram import FakeTelegram
from bot.offline.world import World

UNLIMITED = RateLimits(overall_per_second=10**9, group_per_minute=10**9)

# A fresh interpreter importing one module: how long it takes and its peak memory. VmHWM and
# not ru_maxrss: a child inherits its parent's ru_maxrss across fork and exec.
IMPORT_PROBE = """
import json, time
started = time.perf_counter()
import %s
seconds = time.perf_counter() - started
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "rss_mb": hwm / 1024}))
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def import_probe(module: str) -> dict[str, float]:
    probe = await asyncio.create_subprocess_exec(
        sys.executable, "-c", IMPORT_PROBE % module, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await probe.communicate()
    result: dict[str, float] = json.loads(output)
    return result


def echo_world(clock: Any) -> World:
    """The floor any aiogram bot pays: a dispatcher with one handler that echoes text."""
    telegram = FakeTelegram(clock, limits=UNLIMITED)
    bot = Bot(telegram.token, session=FakeSession(telegram))
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return World(telegram, bot, dispatcher)


async def scenario_echo_memory() -> dict[str, Any]:
    """Peak RSS of the echo bot answering 2,000 users (as the memory scenario's /fact users)."""
    world = echo_world(SystemClock())
    for user in range(2000):
        chat = {"id": 10_000 + user, "type": "private", "first_name": "U"}
        world.telegram.add_chat(chat)
        await world.feed(
            {
                "message": {
                    "message_id": user + 1, "date": 1_790_000_000, "chat": chat,
                    "from": {"id": chat["id"], "is_bot": False, "first_name": "U"},
                    "text": f"hello {user}",
                }
            }
        )  # fmt: skip
    rss = peak_rss_mb()
    aiogram_alone = await import_probe("aiogram")
    return {
        "peak_rss_mb": rss,
        "import_aiogram_rss_mb": aiogram_alone["rss_mb"],
        "import_aiogram_s": aiogram_alone["seconds"],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scenario_echo_memory())))
