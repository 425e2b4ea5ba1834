"""The limiter around the pacing core (bot/ratelimit.py): many requests waiting at once on the
fake clock, replies before a reminder fan-out, and a waiter that gives up.

Only one waiter sleeps at a time (the queue's leader), so the fake clock moves exactly as far as
the pacing needs: thirty requests at one instant take one second, not thirty sleeps.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app.container import Services
from bot.clock import FakeClock
from bot.offline.world import World
from bot.telegram.departure import on_departure
from bot.telegram.pacing import Lane
from bot.telegram.ratelimit import Limits, RateLimiter, bulk_sends
from tests.conftest import START

SPACING = timedelta(seconds=1 / 25)


async def acquire_all(
    limiter: RateLimiter, chats: list[int], order: list[int], *, bulk: bool = False
) -> list[asyncio.Task[None]]:
    async def one(chat_id: int) -> None:
        await limiter.acquire(chat_id)
        order.append(chat_id)

    if bulk:
        with bulk_sends():
            return [asyncio.create_task(one(chat)) for chat in chats]
    return [asyncio.create_task(one(chat)) for chat in chats]


async def test_thirty_at_one_instant_leave_a_burst_then_evenly_spaced() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(clock)
    departures: list[datetime] = []

    async def send(chat_id: int) -> None:
        await limiter.acquire(chat_id)
        departures.append(clock.now())

    await asyncio.gather(*(send(chat) for chat in range(1, 31)))
    limits = Limits()
    burst, margin = limits.overall_burst, timedelta(seconds=limits.margin_s)
    evenly = [START + SPACING * k for k in range(1, 25)]
    # The 30th waits for the cap: at most 29 in any second plus margin (a burst of 5 and 24
    # evenly spaced have used it), so no second at Telegram sees more than 30.
    assert departures == [START] * burst + evenly + [START + timedelta(seconds=1) + margin]
    assert clock.now() == departures[-1], "one sleeper: no time lost or added"


async def test_a_chats_second_message_waits_its_window_while_others_go() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(clock)
    order: list[int] = []
    tasks = await acquire_all(limiter, [1, 1, 2, 3], order)
    await asyncio.gather(*tasks)
    assert order == [1, 2, 3, 1]
    assert clock.now() - START == timedelta(seconds=1 + Limits().chat_margin_s)


async def test_replies_go_before_bulk_that_was_waiting_first() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(clock)
    order: list[int] = []
    bulk = await acquire_all(limiter, list(range(100, 120)), order, bulk=True)
    await asyncio.sleep(0)  # the bulk requests queue; the first burst leaves
    replies = await acquire_all(limiter, [1, 2, 3], order)
    await asyncio.gather(*bulk, *replies)
    first_reply = min(order.index(chat) for chat in (1, 2, 3))
    assert sorted(order[first_reply : first_reply + 3]) == [1, 2, 3]
    assert first_reply <= Limits().overall_burst + 1, order


async def test_a_waiter_that_gives_up_does_not_stall_the_queue() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(clock)
    order: list[int] = []
    # One chat: every request waits for the one before, so the first waiter leads the queue.
    tasks = await acquire_all(limiter, [7] * 4, order)
    await asyncio.sleep(0)
    tasks[1].cancel()  # the leader of what is left gives up
    tasks[2].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert order == [7, 7]
    assert limiter.waiting == 0


async def test_has_room_counts_the_messages_still_waiting(
    world: World, services: Services
) -> None:
    limiter = services.limiter
    group = -100_500
    limiter.limits = Limits(group_per_minute=3)
    order: list[int] = []
    assert limiter.has_room(group, keep=2)
    tasks = await acquire_all(limiter, [group] * 4, order)
    await asyncio.sleep(0)
    assert not limiter.has_room(group), "three left and one waits: the minute is spent"
    await asyncio.gather(*tasks)


async def test_a_persons_reply_overtakes_a_reminder_fan_out(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(datetime(2026, 8, 28, 20, 0, tzinfo=UTC))
    subscribers = [world.user(f"S{i}", "en") for i in range(30)]
    for subscriber in subscribers:
        await subscriber.send("/subscribe")
    services.clock.set(datetime(2026, 8, 29, 4, 0, tzinfo=UTC))  # 09:00 in Almaty
    await services.reminders.plan_due()
    bob = world.user("Bob", "en")
    sent = world.telegram.sent_per_chat
    queued_at: list[int] = []  # how many requests Telegram had seen when Bob's reply queued
    fan_out_waiting = asyncio.Event()
    push = services.limiter.pacer.push

    def spy(item: Any, chat_id: int, lane: Lane, *, first: bool = False) -> None:
        push(item, chat_id, lane, first=first)
        if chat_id == bob.id:
            queued_at.append(len(world.telegram.requests))
        elif services.limiter.waiting >= 10:
            fan_out_waiting.set()

    monkeypatch.setattr(services.limiter.pacer, "push", spy)
    fan_out = asyncio.create_task(services.reminders.drain(world.bot))
    # Wait for the queue to fill, but never for ever: a fan-out that ends first fails the test.
    queue_filled = asyncio.create_task(fan_out_waiting.wait())
    async with asyncio.timeout(30):
        await asyncio.wait({fan_out, queue_filled}, return_when=asyncio.FIRST_COMPLETED)
    assert fan_out_waiting.is_set(), "the fan-out ended before ten reminders were waiting"
    await bob.send("/fact")
    await fan_out
    [queued] = queued_at
    after = [r.params["chat_id"] for r in world.telegram.requests[queued:]]
    # Reminders let go at one moment (at most a burst) record their departures together;
    # Bob's reply, queued meanwhile, goes right after them, before everything still waiting.
    assert after.index(bob.id) <= Limits().overall_burst, "only reminders already let go first"
    assert len(after) - after.index(bob.id) > 5, "reminders were still waiting"
    assert all(sent[s.id] == 3 for s in subscribers), "and every reminder went out"


async def test_departure_hooks_of_requests_due_together_run_together() -> None:
    """While the first request's hook runs, four more queue, all due at once (the burst):
    their hooks then run together (a sender can write them in one statement), and each
    request leaves only after its own hook."""
    clock = FakeClock(START)
    limiter = RateLimiter(clock)
    running: list[int] = []
    most_at_once = 0
    left: list[int] = []
    gate = asyncio.Event()

    async def send(chat_id: int) -> None:
        async def hook() -> None:
            nonlocal most_at_once
            running.append(chat_id)
            most_at_once = max(most_at_once, len(running))
            await gate.wait()
            await asyncio.sleep(0)
            running.remove(chat_id)

        with on_departure(hook):
            await limiter.acquire(chat_id)
        assert chat_id not in running, "left before its hook was done"
        left.append(chat_id)

    tasks = [asyncio.create_task(send(chat)) for chat in range(1, 6)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert running == [1] and left == [], "the queue waits for the first hook"
    gate.set()
    await asyncio.gather(*tasks)
    assert most_at_once == 4
    assert sorted(left) == [1, 2, 3, 4, 5] and clock.now() == START


async def test_a_refusing_hook_stops_its_request_and_gives_its_turn_back() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(clock)

    async def claim_lost() -> None:
        raise LookupError("claim lost")

    with on_departure(claim_lost), pytest.raises(LookupError):
        await limiter.acquire(1)
    # The refused request took no slot: the chat's next message goes at once, not a window on.
    await limiter.acquire(1)
    assert clock.now() == START
