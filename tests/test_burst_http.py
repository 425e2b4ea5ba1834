"""A burst through real HTTP against Telegram's strict limits (issue 10, part 3).

200 people each send /fact every 1.5 s: 2,000 commands in 15 s, far above the ~30 messages a
second Telegram takes. The bot, wired as in production with aiogram's aiohttp session, talks to
the HTTP offline Telegram (``bot/offline/server.py``), which adds random latency to every
request and answers 429 whenever any sliding second (overall or per private chat) is over the
limit. Bot and server share a ``VirtualClock``, so the ~80 s of paced traffic take a few
seconds of real time; the assertions are on counts and on the order of replies.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from bot.app.config import Settings
from bot.app.container import create_services
from bot.clock import SystemClock
from bot.offline.burst import Burst, BurstOutcome, play_burst, play_burst_remote
from bot.offline.records import RateLimits
from bot.offline.telegram import FakeTelegram
from bot.offline.virtual_clock import VirtualClock
from bot.telegram.ratelimit import Limits
from content.loader import Catalog
from tests.conftest import START


async def burst_outcome(
    catalog: Catalog, settings: Settings, burst: Burst, limits: Limits | None = None
) -> tuple[BurstOutcome, FakeTelegram]:
    clock = VirtualClock(START)
    telegram = FakeTelegram(clock, limits=RateLimits.strict())
    services = await create_services(
        settings, clock, catalog=catalog, database=":memory:", rng=random.Random(7)
    )
    services.run_scheduler = False
    if limits is not None:
        services.limiter.limits = limits
    try:
        return await play_burst(services, telegram, burst), telegram
    finally:
        await services.close()


@pytest.mark.slow
async def test_2000_commands_from_200_users_draw_no_429_and_first_replies_come_first(
    catalog: Catalog, settings: Settings
) -> None:
    burst = Burst(users=200, commands=10, every_s=1.5, latency_s=(0.01, 0.11))
    outcome, telegram = await burst_outcome(catalog, settings, burst)

    assert outcome.throttled == 0, f"429s: {telegram.violations[:5]}"
    assert not telegram.violations
    assert outcome.answered == outcome.commands == 2000
    assert len(outcome.reply_s) == 2000, "every user got one reply per command"
    # Fair: the last person to hear back the first time did so before anyone heard back a
    # third time (one busy user's replies never hold back someone else's first).
    assert outcome.last_first_reply is not None and outcome.first_third_reply is not None
    assert outcome.last_first_reply < outcome.first_third_reply
    # 200 first replies at 25/s take 8 s; without turns they came after > 30 s.
    assert max(outcome.first_reply_s) <= 200 / 25 + 2
    configured = Limits().overall_per_second
    assert outcome.replies_per_s >= 0.9 * configured
    assert outcome.replies_per_s <= configured * 1.01, "never faster than configured"


async def test_the_strict_server_catches_a_bot_that_does_not_pace(
    catalog: Catalog, settings: Settings
) -> None:
    # The oracle can fail: the same kind of burst with the pacing lifted draws 429s.
    unpaced = Limits(
        overall_per_second=10**6, private_per_second=10**6, margin_s=0, chat_margin_s=0
    )
    burst = Burst(users=60, commands=2, every_s=1.5, latency_s=(0.01, 0.11))
    outcome, _ = await burst_outcome(catalog, settings, burst, unpaced)
    assert outcome.throttled > 0
    assert outcome.answered == 120, "429s are waited out and retried"
    assert max(outcome.reply_s) >= timedelta(seconds=1).total_seconds()


@pytest.mark.slow
async def test_the_benchmarks_burst_against_a_server_in_its_own_process(
    catalog: Catalog, settings: Settings
) -> None:
    # The benchmark's path: python -m bot.offline.server as a child process, chats registered
    # and the request log read back through its /offline/ routes. A few commands, real time.
    services = await create_services(
        settings, SystemClock(), catalog=catalog, database=":memory:", rng=random.Random(7)
    )
    services.run_scheduler = False
    burst = Burst(users=3, commands=2, every_s=0.05, latency_s=(0.0, 0.01))
    try:
        outcome = await play_burst_remote(services, burst)
    finally:
        await services.close()
    assert outcome.answered == outcome.commands == 6
    assert outcome.throttled == 0, "1 a second per chat: the second replies wait their turn"
    assert min(outcome.reply_s[1::2]) >= 1.0 - 0.05, "counted by the server's own clock"
