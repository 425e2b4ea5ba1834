"""A burst of commands from many people, through real HTTP, against Telegram's strict limits.

The bot as production wires it (``create_bot`` with aiogram's aiohttp session, the rate-limit
middleware, ``create_dispatcher``) talks to ``BotApiServer``, which adds random latency and
answers 429 the moment any sliding window is over Telegram's limit. Updates are fed to the
dispatcher as tasks, as polling with ``handle_as_tasks`` does. The test and the benchmark both
play it: the test on a ``VirtualClock`` (seconds of real time), the benchmark in real time.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.app.container import Services
from bot.app.dispatcher import create_bot, create_dispatcher
from bot.offline.server import BotApiServer
from bot.offline.telegram import FakeTelegram
from bot.offline.virtual_clock import VirtualClock

FIRST_USER_ID = 10_000
TOO_MANY = "Too Many Requests"


@dataclass(frozen=True)
class Burst:
    users: int = 200
    commands: int = 10  # per user
    every_s: float = 1.5  # between two commands of one user; users start evenly spread
    text: str = "/fact"
    latency_s: tuple[float, float] = (0.01, 0.11)  # each request's random way to Telegram

    def schedule(self) -> list[tuple[float, int]]:
        """(seconds from the start, user index) of every command, in time order."""
        return sorted(
            (round(number * self.every_s + user * self.every_s / self.users, 6), user)
            for user in range(self.users)
            for number in range(self.commands)
        )


@dataclass
class BurstOutcome:
    commands: int
    answered: int
    throttled: int  # 429 answers
    first_reply_s: list[float]  # per user: from the first command to its reply
    reply_s: list[float]  # every command: to its reply (a user's k-th reply answers its k-th)
    busy_s: float  # from the first reply to the last
    last_first_reply: datetime | None  # when the last user got a first reply
    first_third_reply: datetime | None  # when any user first got a third reply

    @property
    def replies_per_s(self) -> float:
        return self.answered / self.busy_s if self.busy_s else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "commands": self.commands,
            "answered": self.answered,
            "throttled": self.throttled,
            "replies_per_s": self.replies_per_s,
            "first_p50_s": statistics.median(self.first_reply_s),
            "first_p99_s": statistics.quantiles(self.first_reply_s, n=100)[98],
            "all_p50_s": statistics.median(self.reply_s),
            "all_p99_s": statistics.quantiles(self.reply_s, n=100)[98],
            "busy_s": self.busy_s,
        }


@dataclass
class _Traffic:
    """What the players are doing, for the virtual clock's idea of idle."""

    handling: int = 0  # updates whose handler has not finished
    pacing: bool = False  # the script sleeps until its next command
    sent_at: dict[int, list[datetime]] = field(default_factory=lambda: defaultdict(list))


async def play_burst(
    services: Services, telegram: FakeTelegram, burst: Burst, *, seed: int = 1
) -> BurstOutcome:
    """Play ``burst`` through a fresh HTTP server for ``telegram``; on a ``VirtualClock``
    (``services.clock``), time moves only while bot and server are idle."""
    for user in range(burst.users):
        telegram.add_chat({"id": FIRST_USER_ID + user, "type": "private", "first_name": "U"})
    traffic = _Traffic()
    server = BotApiServer(telegram, latency=burst.latency_s, rng=random.Random(seed))
    async with server:
        bot = create_bot(telegram.token, server.url, limiter=services.limiter)
        try:
            script = _script(services, bot, create_dispatcher(services), burst, traffic)
            clock = services.clock
            if isinstance(clock, VirtualClock):

                def idle() -> bool:
                    # Every handler is waiting for its turn or its request is on the way.
                    parked = services.limiter.waiting + server.in_transit
                    return traffic.pacing and traffic.handling == parked

                await clock.run(script, idle, real_timeout_s=300)
            else:
                await script
        finally:
            await bot.session.close()
    return _outcome(telegram, burst, traffic)


async def _script(
    services: Services, bot: Bot, dispatcher: Dispatcher, burst: Burst, traffic: _Traffic
) -> None:
    clock = services.clock
    start = clock.now()

    async def handle(update: Update) -> None:
        try:
            await dispatcher.feed_update(bot, update)
        finally:
            traffic.handling -= 1

    async with asyncio.TaskGroup() as group:
        for index, (at, user) in enumerate(burst.schedule()):
            wait = (start + timedelta(seconds=at) - clock.now()).total_seconds()
            traffic.pacing = True
            await clock.sleep(wait)
            traffic.pacing = False
            chat_id = FIRST_USER_ID + user
            traffic.sent_at[chat_id].append(clock.now())
            traffic.handling += 1
            group.create_task(handle(_command(bot, chat_id, burst.text, index, clock.now())))
        traffic.pacing = True  # nothing more to send: only the handlers remain


def _command(bot: Bot, chat_id: int, text: str, index: int, now: datetime) -> Update:
    user = {"id": chat_id, "is_bot": False, "first_name": "U", "language_code": "en"}
    command = len(text.split(maxsplit=1)[0])
    message = {
        "message_id": index + 1, "date": int(now.timestamp()), "from": user, "text": text,
        "chat": {"id": chat_id, "type": "private", "first_name": "U"},
        "entities": [{"type": "bot_command", "offset": 0, "length": command}],
    }  # fmt: skip
    return Update.model_validate(
        {"update_id": index + 1, "message": message}, context={"bot": bot}
    )


def _outcome(telegram: FakeTelegram, burst: Burst, traffic: _Traffic) -> BurstOutcome:
    replies: dict[int, list[datetime]] = defaultdict(list)
    throttled = 0
    for request in telegram.requests:
        if request.error is not None and request.error.startswith(TOO_MANY):
            throttled += 1
        elif request.method == "sendMessage" and request.error is None:
            replies[int(request.params["chat_id"])].append(request.at)
    first: list[float] = []
    every: list[float] = []
    for chat_id, commands in traffic.sent_at.items():
        answers = sorted(replies[chat_id])
        every += [(a - c).total_seconds() for c, a in zip(commands, answers, strict=False)]
        if answers:
            first.append((answers[0] - commands[0]).total_seconds())
    arrivals = sorted(at for answers in replies.values() for at in answers)
    thirds = [sorted(answers)[2] for answers in replies.values() if len(answers) >= 3]
    return BurstOutcome(
        commands=burst.users * burst.commands,
        answered=len(arrivals),
        throttled=throttled,
        first_reply_s=first,
        reply_s=every,
        busy_s=(arrivals[-1] - arrivals[0]).total_seconds() if arrivals else 0.0,
        last_first_reply=max((min(answers) for answers in replies.values()), default=None),
        first_third_reply=min(thirds, default=None),
    )
