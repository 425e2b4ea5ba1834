"""Benchmark scenarios. Each runs in its own process (``python -m bench.scenarios NAME``) so its
peak RSS is its own, and prints one JSON object.

Every scenario drives the real ``create_dispatcher()``, storage and content through the offline
Telegram; the baseline is a bare aiogram echo bot on the same fake, measured in the same run.

Content, quiz and reminders take a backend (``python -m bench.scenarios quiz postgresql``): on
PostgreSQL the scenario starts a real server of its own in a temp directory and stops it after
(``bot.offline.postgres``: local socket, durability off as for the tests). Reminders also take
a number of replicas: that many ``Services`` and dispatchers on the one database, sharing the
one offline Telegram, as separate processes would (``tests/test_replicas.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram.types import Update

from bench.floor import UNLIMITED, echo_world, import_probe, peak_rss_mb
from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.app.runner import emit_startup, freeze_start_up_objects
from bot.clock import FakeClock, SystemClock
from bot.offline.burst import Burst, play_burst_remote
from bot.offline.postgres import start_postgres
from bot.offline.records import RateLimits
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.offline.world import World
from bot.telegram.ratelimit import Limits
from content.loader import load_catalog

BACKENDS = ("sqlite", "postgresql")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def settings() -> Settings:
    return Settings(_env_file=None, bot_token=None)


# The bot's own limiter paces real traffic; for throughput runs it gets out of the way.
LIFTED = Limits(overall_per_second=10**9, group_per_minute=10**9, private_per_second=10**9)


@contextlib.asynccontextmanager
async def bench_database(backend: str) -> AsyncIterator[str]:
    """What the scenario's bot opens: a SQLite file in a temp directory, as in production, or
    a PostgreSQL server started for this scenario alone and stopped when it ends."""
    if backend == "postgresql":
        server = await asyncio.to_thread(start_postgres)
        try:
            yield server.url()
        finally:
            server.stop()
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield str(Path(folder) / "bench.sqlite3")


async def bench_services(clock: Any, db: str, seed: int = 1) -> Services:
    services = await create_services(settings(), clock, database=db, rng=random.Random(seed))
    services.run_scheduler = False
    services.limiter.limits = LIFTED
    return services


async def nwfz_world(
    clock: Any, limits: RateLimits = UNLIMITED, db: str = ":memory:", keep_history: bool = True
) -> tuple[World, Services]:
    telegram = FakeTelegram(clock, limits=limits, keep_history=keep_history)
    services = await bench_services(clock, db)
    world = offline_world(telegram, services)
    freeze_start_up_objects()  # as the runners do before serving
    return world, services


async def throughput(
    world: World, make_update: Callable[[int], dict[str, Any]], count: int
) -> dict[str, float]:
    """Feed ``count`` updates one after another; updates/s and per-update latency."""
    updates = [
        Update.model_validate({"update_id": i + 1, **make_update(i)}, context={"bot": world.bot})
        for i in range(count)
    ]
    latencies: list[float] = []
    started = time.perf_counter()
    for update in updates:
        begin = time.perf_counter()
        await world.dispatcher.feed_update(world.bot, update)
        latencies.append((time.perf_counter() - begin) * 1000)
    elapsed = time.perf_counter() - started
    return {
        "updates_per_s": count / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
    }


async def offered_load(
    world: World, make_update: Callable[[int], dict[str, Any]], rate: float, seconds: float
) -> dict[str, float]:
    """Offer ``rate`` updates/s for ``seconds`` as polling with handle_as_tasks would; latency
    is from the moment the update was due to the end of its handling."""
    count = int(rate * seconds)
    updates = [
        Update.model_validate({"update_id": i + 1, **make_update(i)}, context={"bot": world.bot})
        for i in range(count)
    ]
    latencies: list[float] = []
    start = time.perf_counter()

    async def handle(index: int, update: Update) -> None:
        due = start + index / rate
        await world.dispatcher.feed_update(world.bot, update)
        latencies.append((time.perf_counter() - due) * 1000)

    async with asyncio.TaskGroup() as group:
        for index, update in enumerate(updates):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            group.create_task(handle(index, update))
    return {
        "offered_per_s": rate,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
    }


def message_update(chat_id: int, text: str, index: int) -> dict[str, Any]:
    command = text.startswith("/")
    message: dict[str, Any] = {
        "message_id": index + 1, "date": 1_790_000_000,
        "chat": {"id": chat_id, "type": "private", "first_name": "U"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "U", "language_code": "ru"},
        "text": text,
    }  # fmt: skip
    if command:
        message["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}
        ]
    return {"message": message}


SEARCHES = [
    "полигон закрыт",
    "банк НОУ",
    "1540",
    "ДВЗЯИ станции",
    "NPT pillars",
    "Семипалатинский договор",
]


async def scenario_content(db: str) -> dict[str, Any]:
    clock = SystemClock()
    results: dict[str, Any] = {}
    echo = echo_world(clock)
    users = 500
    for world in [echo]:
        for user in range(users):
            world.telegram.add_chat({"id": 10_000 + user, "type": "private", "first_name": "U"})
    results["echo"] = await throughput(
        echo, lambda i: message_update(10_000 + i % users, f"hello {i}", i), 5000
    )
    world, services = await nwfz_world(clock, db=db)
    for user in range(users):
        world.telegram.add_chat({"id": 10_000 + user, "type": "private", "first_name": "U"})
    await throughput(
        world, lambda i: message_update(10_000 + i % users, "/start", i), users
    )  # warm-up
    results["fact"] = await throughput(
        world, lambda i: message_update(10_000 + i % users, "/fact", i), 5000
    )
    results["search"] = await throughput(
        world,
        lambda i: message_update(10_000 + i % users, f"/search {SEARCHES[i % len(SEARCHES)]}", i),
        5000,
    )
    # Topic navigation: each user presses section buttons on a topic card it was sent.
    menus = []
    for user in range(users):
        chat: dict[str, Any] = {"id": 10_000 + user, "type": "private", "first_name": "U"}
        await world.feed(message_update(chat["id"], "/start canwfz", 0))
        menus.append(world.last(chat))
    topic = services.catalog.topics["canwfz"]

    def press(i: int) -> dict[str, Any]:
        menu = menus[i % users]
        query_id = str(i)
        world.telegram.open_callbacks[query_id] = False
        return {
            "callback_query": {
                "id": query_id,
                "from": {"id": menu.chat_id, "is_bot": False, "first_name": "U", "language_code": "ru"},
                "chat_instance": "x", "message": world.telegram.message_payload(menu),
                "data": f"tp:canwfz:{i % len(topic.sections)}",
            }
        }  # fmt: skip

    results["navigate"] = await throughput(world, press, 5000)
    results["offered_1000"] = await offered_load(
        world, lambda i: message_update(10_000 + i % users, "/fact", i), 1000, 3
    )
    results["echo_offered_1000"] = await offered_load(
        echo, lambda i: message_update(10_000 + i % users, f"hi {i}", i), 1000, 3
    )
    results["violations"] = len(world.telegram.violations)
    await services.close()
    return results


async def scenario_quiz(db: str) -> dict[str, Any]:
    """10,000 poll answers for 50 group games at once, through the dispatcher and storage."""
    clock = SystemClock()
    world, services = await nwfz_world(clock, db=db)
    games = 50
    players_per_game = 20
    players = [world.user(f"P{i}", "en") for i in range(games * players_per_game)]
    groups = []
    for game in range(games):
        members = players[game * players_per_game : (game + 1) * players_per_game]
        group = world.group(f"G{game}", dict.fromkeys(members, "member"))
        groups.append((group, members))
        await members[0].send("/quiz", chat=group)
        for member in members[1:]:
            await member.tap("Я играю", chat=group)
        await members[0].tap("Начать", chat=group)
    expected: Counter[tuple[int, int]] = Counter()
    latencies: list[float] = []
    update_id = 10**6
    answers = 0
    question_rounds = 10  # 50 games x 20 players x 10 questions = 10,000 answers
    started = time.perf_counter()
    for _ in range(question_rounds):
        batch: list[dict[str, Any]] = []
        for group, members in groups:
            poll_message = [m for m in world.messages(group) if m.poll_id][-1]
            poll = world.telegram.polls[poll_message.poll_id or ""]
            assert poll.correct_option_ids is not None
            right = poll.correct_option_ids[0]
            for member in members:
                option = right if random.random() < 0.6 else (right + 1) % len(poll.options)
                if option == right:
                    expected[(group["id"], member.id)] += 1
                poll.answers[member.id] = [option]
                batch.append(
                    {
                        "poll_answer": {
                            "poll_id": poll.id,
                            "user": member.user,
                            "option_ids": [option],
                            "option_persistent_ids": [str(option)],
                        }
                    }
                )
        # Answers from the 50 games arrive interleaved; a few arrive twice (Telegram may
        # redeliver after a restart) and must change nothing.
        random.shuffle(batch)
        for payload in batch + batch[:20]:
            update_id += 1
            update = Update.model_validate(
                {"update_id": update_id, **payload}, context={"bot": world.bot}
            )
            begin = time.perf_counter()
            await world.dispatcher.feed_update(world.bot, update)
            latencies.append((time.perf_counter() - begin) * 1000)
        answers += len(batch)
    elapsed = time.perf_counter() - started
    stored: Counter[tuple[int, int]] = Counter()
    for group, _ in groups:
        for standing in await services.quiz.repo.leaderboard(group["id"], "all", limit=1000):
            stored[(group["id"], standing.user_id)] = standing.points
    lost = sum(max(0, expected[key] - stored[key]) for key in expected)
    doubled = sum(max(0, stored[key] - expected[key]) for key in stored)
    result = {
        "answers": answers,
        "answers_per_s": answers / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "lost_points": lost,
        "doubled_points": doubled,
        "violations": len(world.telegram.violations),
    }
    await services.close()
    return result


async def scenario_reminders(
    db: str, replicas: int = 1, chats: int = 100_000, paced_seconds: float = 20.0
) -> dict[str, Any]:
    """Plan 29 August for ``chats`` chats; deliver at the configured rate for a while, then the
    rest with the limits lifted; count duplicates. ``replicas`` bots send at once, each its own
    ``Services`` on the one database (PostgreSQL: a SQLite file belongs to one process)."""
    clock = FakeClock(datetime(2026, 8, 28, 20, 0, tzinfo=UTC))
    telegram = FakeTelegram(clock, limits=UNLIMITED, keep_history=False)
    fleet = [await bench_services(clock, db, seed) for seed in range(replicas)]
    bots = [offline_world(telegram, services).bot for services in fleet]
    freeze_start_up_objects()  # as the runners do before serving
    planner = fleet[0]
    await planner.db.execute_many(
        "INSERT INTO chats (id, type, created_at, updated_at) VALUES (?, 'private', 'x', 'x')",
        [(1_000_000 + i,) for i in range(chats)],
    )
    await planner.db.execute_many(
        "INSERT INTO subscriptions (chat_id, created_at, updated_at) VALUES (?, 'x', 'x')",
        [(1_000_000 + i,) for i in range(chats)],
    )
    for i in range(chats):
        telegram.add_chat({"id": 1_000_000 + i, "type": "private", "first_name": "U"})
    await planner.reminders.plan_due()  # sets the watermark
    clock.set(datetime(2026, 8, 29, 3, 55, tzinfo=UTC))
    started = time.perf_counter()
    planned = await planner.reminders.plan_due()
    planning_s = time.perf_counter() - started

    async def drain() -> list[int]:
        """Every replica sends until nothing is due; how many deliveries each handled."""
        return await asyncio.gather(
            *(services.reminders.drain(bot) for services, bot in zip(fleet, bots, strict=True))
        )

    # 1) Paced: real time, the bots' limiters at Telegram's 25 msg/s (on PostgreSQL one budget
    # the replicas share), the fake enforcing 30/s for them all together.
    real = SystemClock()
    telegram.clock = real
    telegram.limits = RateLimits()
    clock.set(datetime(2026, 8, 29, 4, 0, 1, tzinfo=UTC))
    # Due times are in 2026; the real clock is later, so shift "now" for the catch-up check.
    shifted = _Shifted(real, datetime(2026, 8, 29, 4, 0, 1, tzinfo=UTC))
    for services in fleet:
        services.limiter.clock = real
        services.limiter.limits = Limits()
        services.reminders.clock = shifted
    started = time.perf_counter()
    with contextlib.suppress(TimeoutError):  # a time-boxed sample of the paced rate
        await asyncio.wait_for(drain(), timeout=paced_seconds)
    paced_elapsed = time.perf_counter() - started
    paced_sent = telegram.sent_per_chat.total()
    throttled = sum(1 for v in telegram.violations if v.startswith("429"))
    # The timeout cut a batch short: its claims are dead, handed back as a lease run out would.
    repo = planner.reminders.repo
    await repo.requeue_expired(shifted.now() + repo.lease)

    # 2) Capacity: the rest with the limits lifted, to count every message. What is left is
    # the bot's own work per message: the claims, the marks, the shared budget's statement.
    telegram.limits = UNLIMITED
    for services in fleet:
        services.limiter.limits = LIFTED
    started = time.perf_counter()
    shares = await drain()
    capacity_elapsed = time.perf_counter() - started
    received = telegram.sent_per_chat
    statuses = Counter((await planner.reminders.repo.statuses()).values())
    result = {
        "chats": chats,
        "replicas": replicas,
        "planned": planned,
        "planning_s": planning_s,
        "paced_rate_per_s": paced_sent / paced_elapsed,
        "configured_rate_per_s": Limits().overall_per_second,
        "paced_429": throttled,
        "capacity_per_s": (chats - paced_sent) / capacity_elapsed,
        "capacity_shares": shares,
        "capacity_429": sum(1 for v in telegram.violations if v.startswith("429")) - throttled,
        "duplicates": sum(count - 1 for count in received.values() if count > 1),
        "lost": chats - len(received),
        "statuses": dict(statuses),
        "peak_rss_mb": peak_rss_mb(),
    }
    for services in fleet:
        await services.close()
    return result


class _Shifted:
    """A clock that runs at real speed from a chosen moment (due times lie in the past)."""

    def __init__(self, real: SystemClock, start: datetime) -> None:
        self.real = real
        self.offset = start - real.now()

    def now(self) -> datetime:
        return self.real.now() + self.offset

    async def sleep(self, seconds: float) -> None:
        await self.real.sleep(seconds)


async def scenario_startup() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        catalog = load_catalog()
        content_s = time.perf_counter() - started
        clock = SystemClock()
        telegram = FakeTelegram(clock)
        services = await create_services(
            settings(), clock, catalog=catalog, database=Path(folder) / "s.sqlite3"
        )
        services.run_scheduler = False
        world = offline_world(telegram, services)
        await emit_startup(world.dispatcher, world.bot)
        total_s = time.perf_counter() - started
        await services.close()
    # Before all of this, a fresh process imports aiogram and the bot: measured apart, since
    # the goal counts the bot's own start-up work.
    return {
        "content_load_s": content_s,
        "startup_s": total_s,
        "imports_s": (await import_probe("bot.app.runner"))["seconds"],
        "peak_rss_mb": peak_rss_mb(),
    }


async def build_big_database(path: str) -> dict[str, Any]:
    """The database of a bot that has served for years: 100,000 chats, 1,000,000 answers.
    Built in its own process (``build-db``), so its inserts do not count in the bot's RSS."""
    clock = SystemClock()
    _, services = await nwfz_world(clock, db=path)
    await services.close()
    raw = sqlite3.connect(path)
    raw.executemany(
        "INSERT INTO chats (id, type, language, created_at, updated_at) VALUES (?, 'private', 'ru', 'x', 'x')",
        ((1_000_000 + i,) for i in range(100_000)),
    )
    raw.executemany(
        "INSERT INTO subscriptions (chat_id, created_at, updated_at) VALUES (?, 'x', 'x')",
        ((1_000_000 + i,) for i in range(100_000)),
    )
    raw.execute(
        "INSERT INTO quiz_rounds (id, chat_id, kind, status, lang, created_at, updated_at)"
        " VALUES (1, -1, 'group', 'finished', 'ru', 'x', 'x')"
    )
    raw.execute(
        "INSERT INTO quiz_asked (poll_id, round_id, chat_id, message_id, position, question_id,"
        " correct, sent_at) VALUES ('p', 1, -1, 1, 0, 'q', '[0]', '2026-01-01T00:00:00+00:00')"
    )
    raw.executemany(
        "INSERT INTO quiz_answers (poll_id, user_id, round_id, question_id, right, elapsed_ms,"
        " answered_at) VALUES ('p', ?, 1, 'q', 1, 1000, '2026-01-01T00:00:00+00:00')",
        ((i,) for i in range(1_000_000)),
    )
    raw.commit()
    raw.close()
    return {"path": path}


async def scenario_memory() -> dict[str, Any]:
    """Peak RSS of a running bot whose database holds 100,000 chats and 1,000,000 answers:
    started on it, 2,000 users asking /fact, a quiz /stats and /top, and the reminder planner
    over all 100,000 subscriptions."""
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "big.sqlite3")
        builder = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.scenarios", "build-db", path,
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert await builder.wait() == 0, "building the database failed"
        clock = SystemClock()
        world, services = await nwfz_world(clock, db=path)
        await emit_startup(world.dispatcher, world.bot)
        for user in range(2000):
            world.telegram.add_chat({"id": 10_000 + user, "type": "private", "first_name": "U"})
            await world.feed(message_update(10_000 + user, "/fact", user))
        for command in ("/stats", "/top"):
            await world.feed(message_update(10_000, command, 0))
        await services.reminders.plan_due()
        await services.close()
    return {"chats": 100_000, "answers": 1_000_000, "peak_rss_mb": peak_rss_mb()}


async def scenario_burst() -> dict[str, Any]:
    """200 users each send /fact every 1.5 s (2,000 commands in 15 s) to the bot wired as in
    production, over HTTP to the offline Telegram with 10-110 ms of random latency and strict
    sliding-window limits; real time, the bot's limiter at its configured 25 msg/s. The server
    runs in its own process, as Telegram does: nothing the bot does delays its arrivals."""
    clock = SystemClock()
    burst = Burst()
    services = await create_services(settings(), clock, database=":memory:")
    services.run_scheduler = False
    started = time.perf_counter()
    outcome = await play_burst_remote(services, burst)
    result = {
        **outcome.summary(),
        "users": burst.users,
        "latency_ms": [round(bound * 1000) for bound in burst.latency_s],
        "configured_rate_per_s": services.limiter.limits.overall_per_second,
        "wall_s": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
    }
    await services.close()
    return result


SCENARIOS: dict[str, Callable[[], Coroutine[Any, Any, dict[str, Any]]]] = {
    "burst": scenario_burst,
    "startup": scenario_startup,
    "memory": scenario_memory,
}
# Scenarios run on either backend: ``NAME [sqlite|postgresql] [numbers...]``, the numbers
# passed on as the scenario's further arguments (the reminders' replicas and chats).
ON_BACKEND: dict[str, Callable[..., Coroutine[Any, Any, dict[str, Any]]]] = {
    "content": scenario_content,
    "quiz": scenario_quiz,
    "reminders": scenario_reminders,
}


async def on_backend(name: str, backend: str = "sqlite", *numbers: str) -> dict[str, Any]:
    if backend not in BACKENDS:
        raise SystemExit(f"backend: one of {', '.join(BACKENDS)}, not {backend!r}")
    async with bench_database(backend) as db:
        result = await ON_BACKEND[name](db, *map(int, numbers))
    return {"backend": backend, **result}


if __name__ == "__main__":
    name, *arguments = sys.argv[1:]
    if name == "build-db":
        outcome = asyncio.run(build_big_database(arguments[0]))
    elif name in ON_BACKEND:
        outcome = asyncio.run(on_backend(name, *arguments))
    else:
        outcome = asyncio.run(SCENARIOS[name]())
    print(json.dumps(outcome))
