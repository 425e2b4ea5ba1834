"""A burst of commands from many people, through real HTTP, against Telegram's strict limits.

The bot as production wires it (``create_bot`` with aiogram's aiohttp session, the rate-limit
middleware, ``create_dispatcher``) talks to ``BotApiServer``, which adds random latency and
answers 429 the moment any sliding window is over Telegram's limit. Updates are fed to the
dispatcher as tasks, as polling with ``handle_as_tasks`` does. The test plays it with the server
in its own event loop on a ``VirtualClock`` (seconds of real time); the benchmark in real time
with the server in its own process (``play_burst_remote``), as Telegram is: in one process the
bot's busy moments (the first commands of 200 people) delayed the server's simulated latency
too, and requests paced 40 ms apart arrived together.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import aiohttp
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

    def chats(self) -> list[dict[str, Any]]:
        return [
            {"id": FIRST_USER_ID + user, "type": "private", "first_name": "U"}
            for user in range(self.users)
        ]

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


class Counted(NamedTuple):
    """A request as Telegram counted it."""

    method: str
    chat_id: int | None
    at: datetime
    error: str | None


async def play_burst(
    services: Services, telegram: FakeTelegram, burst: Burst, *, seed: int = 1
) -> BurstOutcome:
    """Play ``burst`` through a fresh HTTP server for ``telegram`` in this process; on a
    ``VirtualClock`` (``services.clock``), time moves only while bot and server are idle."""
    for chat in burst.chats():
        telegram.add_chat(chat)
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
    counted = [
        Counted(request.method, _int(request.params.get("chat_id")), request.at, request.error)
        for request in telegram.requests
    ]
    return _outcome(counted, burst, traffic)


async def play_burst_remote(services: Services, burst: Burst) -> BurstOutcome:
    """Play ``burst`` in real time against ``python -m bot.offline.server`` in its own process
    (strict limits, ``burst.latency_s``), as a bot talks to the remote Telegram."""
    low, high = (round(bound * 1000) for bound in burst.latency_s)
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.offline.server", "--latency-ms", f"{low}-{high}",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        url = (await asyncio.wait_for(server.stdout.readline(), 60)).decode().strip()
        async with aiohttp.ClientSession(url) as control:
            async with control.get("/offline/token") as answer:
                token = (await answer.json())["token"]
            async with control.post("/offline/chats", json=burst.chats()) as answer:
                answer.raise_for_status()
            traffic = _Traffic()
            bot = create_bot(token, url, limiter=services.limiter)
            try:
                await _script(services, bot, create_dispatcher(services), burst, traffic)
            finally:
                await bot.session.close()
            async with control.get("/offline/requests") as answer:
                counted = [
                    Counted(
                        seen["method"],
                        _int(seen["chat_id"]),
                        datetime.fromisoformat(seen["at"]),
                        seen["error"],
                    )
                    for seen in await answer.json()
                ]
    finally:
        server.terminate()
        await server.wait()
    return _outcome(counted, burst, traffic)


def _int(chat_id: object) -> int | None:
    return None if chat_id is None else int(str(chat_id))


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


def _outcome(counted: list[Counted], burst: Burst, traffic: _Traffic) -> BurstOutcome:
    replies: dict[int, list[datetime]] = defaultdict(list)
    throttled = 0
    for request in counted:
        if request.error is not None and request.error.startswith(TOO_MANY):
            throttled += 1
        elif request.method == "sendMessage" and request.error is None:
            assert request.chat_id is not None, "sendMessage names its chat"
            replies[request.chat_id].append(request.at)
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
