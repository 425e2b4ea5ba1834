"""The bot as production wires it (``create_bot`` + ``create_dispatcher``), connected to the
offline Telegram instead of the network: what the demo, the tests and the benchmarks drive.

Kept apart from ``world.py``, which imports nothing of the bot (the benchmark's bare echo bot
uses the World without the bot's modules).
"""

from __future__ import annotations

from bot.app.container import Services
from bot.app.dispatcher import create_bot, create_dispatcher
from bot.offline.session import FakeSession
from bot.offline.telegram import FakeTelegram
from bot.offline.world import World

OFFLINE_API = "http://offline"  # never contacted: FakeSession answers every request


def offline_world(telegram: FakeTelegram, services: Services) -> World:
    bot = create_bot(
        telegram.token,
        OFFLINE_API,
        session=FakeSession(telegram),
        limiter=services.limiter,
        metrics=services.metrics,
    )
    return World(telegram, bot, create_dispatcher(services))
