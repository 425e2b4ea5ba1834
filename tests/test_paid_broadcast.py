"""Paid broadcast end to end: the reminder fan-out through the real dispatcher, services and
rate limiter against the offline Telegram, which enforces the paid 1,000/s, the free 30/s and
every chat's window, and keeps the bot's Star balance. Virtual time: the fake clock moves only
as far as the pacing sleeps, so 400 s of free pace take a few real seconds."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.app.config import Settings
from bot.app.container import Services
from bot.clock import FakeClock
from bot.offline.records import Request
from bot.offline.stars import StarBalance
from bot.offline.world import Actor, World
from tests.vocabulary import subscribe_private_chats

FAN_OUT_AT = datetime(2026, 8, 29, 4, 0, tzinfo=UTC)  # 29 August, 09:00 in Almaty
# The 10,000-chat scale is the point on one backend; on PostgreSQL 2,000 chats run the same
# claim and mark statements and still span seconds of the paid pace, in a fifth of the time.
FAN_OUT_CHATS = {"sqlite": 10_000, "postgresql": 2_000}
OWNER = 424242  # BOT_ADMIN_IDS in the settings below


@pytest.fixture
def settings() -> Settings:
    """The conftest's settings with paid broadcast on (the services and world use these)."""
    return Settings(
        _env_file=None, bot_token=None, bot_admin_ids=frozenset({OWNER}), paid_broadcast=True
    )


async def subscribe(world: World, services: Services, chats: int) -> list[int]:
    """``chats`` private chats subscribed with the defaults (key dates, on the day), planned
    for 29 August; the clock is then at the fan-out."""
    clock = services.clock
    assert isinstance(clock, FakeClock)
    clock.set(datetime(2026, 8, 28, 20, 0, tzinfo=UTC))
    ids = [2_000_000 + i for i in range(chats)]
    await subscribe_private_chats(services.db, world.telegram, ids, clock.now())
    await services.reminders.plan_due()  # the watermark
    clock.set(FAN_OUT_AT - timedelta(minutes=5))
    assert await services.reminders.plan_due() == chats
    clock.set(FAN_OUT_AT)
    return ids


def paid(request: Request) -> bool:
    return request.params.get("allow_paid_broadcast") is True


def throttled(world: World) -> list[str]:
    return [v for v in world.telegram.violations if v.startswith("429")]


def owner(world: World, language: str) -> Actor:
    actor = world.user("Owner", language)
    actor.user["id"] = actor.private["id"] = OWNER
    world.telegram.add_chat(actor.private)
    return actor


@pytest.mark.slow
async def test_a_10000_chat_fan_out_paid_takes_seconds_and_a_tenth_star_each(
    world: World, services: Services, backend: str
) -> None:
    chats = FAN_OUT_CHATS[backend]
    world.telegram.stars = StarBalance(11_000)
    ids = await subscribe(world, services, chats)

    handled = await services.reminders.drain(world.bot)

    took = services.clock.now() - FAN_OUT_AT
    sends = [r for r in world.telegram.requests if r.method == "sendMessage"]
    assert handled == chats
    assert took < timedelta(minutes=2), took
    assert throttled(world) == []
    assert len(sends) == chats and all(paid(r) for r in sends)
    assert all(world.telegram.sent_per_chat[chat_id] == 1 for chat_id in ids)
    assert world.telegram.stars.stars == 11_000 - Decimal(chats) / 10, "0.1 Star a message"
    spend = services.limiter.paid.last
    assert spend is not None
    assert (spend.paid_messages, spend.stars) == (chats, Decimal(chats) / 10)
    # Never more than Telegram's 1,000 in any second, at the moments the fake received them.
    moments = sorted(r.at for r in sends)
    assert all(later - first >= timedelta(seconds=1) for first, later in
               zip(moments, moments[1000:], strict=False))  # fmt: skip
    rate = len(sends) / took.total_seconds()
    # The paid budget's 800/s (against 25/s free); only its first burst of 5 goes faster, so
    # the whole fan-out takes at least the time of the other messages at 800/s.
    assert 700 < rate <= 800 * chats / (chats - 5) + 1e-9, rate


async def test_without_paid_broadcast_the_fan_out_paces_at_25_a_second_for_free(
    world: World, services: Services
) -> None:
    services.limiter.paid.enabled = False
    world.telegram.stars = StarBalance(11_000)
    await subscribe(world, services, 1_000)

    assert await services.reminders.drain(world.bot) == 1_000

    took = (services.clock.now() - FAN_OUT_AT).total_seconds()
    sends = [r for r in world.telegram.requests if r.method == "sendMessage"]
    assert 24 <= len(sends) / took <= 25.5, len(sends) / took
    assert throttled(world) == []
    assert not any(paid(r) for r in sends)
    assert world.telegram.stars.stars == Decimal(11_000)
    assert not [r for r in world.telegram.requests if r.method == "getMyStarBalance"]


async def test_when_the_stars_run_out_the_rest_goes_free_and_admin_says_so(
    world: World, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    # 10,050 Stars: paid messages go while the balance holds Telegram's minimum of 10,000,
    # so 501 are paid; the 502nd is refused and the rest go at the free pace.
    world.telegram.stars = StarBalance(10_050)
    ids = await subscribe(world, services, 1_000)

    with caplog.at_level(logging.WARNING, logger="bot.telegram.broadcast"):
        assert await services.reminders.drain(world.bot) == 1_000

    assert all(world.telegram.sent_per_chat[chat_id] == 1 for chat_id in ids), "nothing lost"
    sends = [r for r in world.telegram.requests if r.method == "sendMessage"]
    delivered = [r for r in sends if r.error is None]
    assert len(delivered) == 1_000
    assert sum(paid(r) for r in delivered) == 501 == world.telegram.stars.paid_messages
    refused = [r for r in sends if r.error == "Bad Request: BALANCE_TOO_LOW"]
    # One found out; the paid ones still waiting then went unpaid without asking.
    assert len(refused) == 1
    assert throttled(world) == []
    assert world.telegram.stars.stars == Decimal("9999.9")
    stopped = services.limiter.paid.stopped
    assert stopped is not None and "BALANCE_TOO_LOW" in stopped.reason
    assert "paid broadcast stopped" in caplog.text
    spend = services.limiter.paid.last
    assert spend is not None and (spend.paid_messages, spend.stars) == (501, Decimal("50.1"))

    texts = {}
    for language in ("en", "ru", "kk"):
        actor = owner(world, language)
        await actor.send("/admin")
        texts[language] = world.last_text(actor.private)
    assert "501 paid messages, 50.1 Stars spent" in texts["en"]
    assert "Paid broadcast stopped 29.08.2026" in texts["en"]
    assert "BALANCE_TOO_LOW" in texts["en"]
    assert "платных сообщений: 501, потрачено звёзд: 50.1" in texts["ru"]
    assert "Платная рассылка остановлена" in texts["ru"]
    assert "ақылы хабарламалар: 501, жұмсалған жұлдыздар: 50.1" in texts["kk"]
    assert "Ақылы тарату 29.08.2026" in texts["kk"]


async def test_admin_estimates_the_next_fan_out_before_it(
    world: World, services: Services
) -> None:
    await subscribe(world, services, 30)
    clock = services.clock
    assert isinstance(clock, FakeClock)
    clock.set(datetime(2026, 8, 20, 12, 0, tzinfo=UTC))
    boss = owner(world, "en")

    await boss.send("/admin")

    # 30 chats, one reminder each on 29 August: at most 3 Stars.
    assert "Next fan-out from 29.08.2026 04:00 UTC: 30 reminders, at most 3.0 Stars" in (
        world.last_text(boss.private)
    )
    assert "Star balance now: 0." in world.last_text(boss.private)
    assert "That is 3.0 Stars short of the next fan-out's most" in world.last_text(boss.private)

    world.telegram.stars = StarBalance(Decimal("10000.5"))
    await boss.send("/admin")
    assert "Star balance now: 10000.5." in world.last_text(boss.private)
    assert "short" not in world.last_text(boss.private)


async def test_admin_says_when_paid_broadcast_is_off(world: World, services: Services) -> None:
    services.limiter.paid.enabled = False
    boss = owner(world, "ru")
    await boss.send("/admin")
    assert "Платная рассылка: выключена (PAID_BROADCAST=false)." in world.last_text(boss.private)


async def test_a_chats_own_error_does_not_stop_paid_broadcast(
    world: World, services: Services
) -> None:
    world.telegram.stars = StarBalance(11_000)
    ids = await subscribe(world, services, 400)
    del world.telegram.chats[ids[10]]  # the chat is gone: "chat not found", paid or not

    assert await services.reminders.drain(world.bot) == 400

    gone = [r for r in world.telegram.requests if r.params.get("chat_id") == ids[10]]
    # Refused paid, then unpaid: the second refusal shows the chat, not the paying, was at fault.
    refusal = "Bad Request: chat not found"
    assert [(paid(r), r.error) for r in gone] == [(True, refusal), (False, refusal)]
    assert services.limiter.paid.stopped is None and services.limiter.paid.active
    # While that was in doubt, the others went unpaid (cheaper, slower); then paying resumed.
    delivered = [r for r in world.telegram.requests if r.method == "sendMessage" and not r.error]
    assert len(delivered) == 399 and paid(delivered[-1])
    assert world.telegram.stars.paid_messages == sum(paid(r) for r in delivered)


async def test_after_a_top_up_the_next_fan_out_pays_again_without_a_restart(
    world: World, services: Services
) -> None:
    """Three fan-outs an hour apart (09:00, 10:00 and 11:00 in Almaty). The first runs the
    Stars out; the second, before any top-up, goes free and asks the balance once; the Stars
    are topped up, and the third pays again."""
    clock = services.clock
    assert isinstance(clock, FakeClock)
    world.telegram.stars = StarBalance(10_050)
    clock.set(datetime(2026, 8, 28, 20, 0, tzinfo=UTC))
    hours = {9: [3_000_000 + i for i in range(600)], 10: [3_100_000 + i for i in range(200)],
             11: [3_200_000 + i for i in range(200)]}  # fmt: skip
    for hour, ids in hours.items():
        await subscribe_private_chats(services.db, world.telegram, ids, clock.now())
        await services.db.execute(
            "UPDATE subscriptions SET send_hour = ? WHERE chat_id >= ?", hour, ids[0]
        )
    await services.reminders.plan_due()  # the watermark

    async def fan_out(hour: int) -> int:
        """Plan the hour's reminders five minutes ahead, as the scheduler does; send them."""
        at = FAN_OUT_AT + timedelta(hours=hour - 9)
        clock.set(at - timedelta(minutes=5))
        assert await services.reminders.plan_due() == len(hours[hour])
        clock.set(at)
        return await services.reminders.drain(world.bot)

    def sends_to(ids: list[int]) -> list[Request]:
        wanted = set(ids)
        return [r for r in world.telegram.requests
                if r.method == "sendMessage" and r.params["chat_id"] in wanted]  # fmt: skip

    def balance_reads() -> int:
        return sum(1 for r in world.telegram.requests if r.method == "getMyStarBalance")

    assert await fan_out(9) == 600
    assert services.limiter.paid.stopped is not None
    assert sum(paid(r) for r in sends_to(hours[9]) if r.error is None) == 501

    reads = balance_reads()
    assert await fan_out(10) == 200
    assert not any(paid(r) for r in sends_to(hours[10])), "no top-up yet: free"
    assert balance_reads() == reads + 1, "one look at the balance"
    assert services.limiter.paid.stopped is not None

    world.telegram.stars = StarBalance(world.telegram.stars.stars + 20_000)  # the owner tops up
    assert await fan_out(11) == 200
    assert all(paid(r) and r.error is None for r in sends_to(hours[11])), "paid again"
    assert services.limiter.paid.stopped is None and services.limiter.paid.active
    assert all(world.telegram.sent_per_chat[c] == 1 for ids in hours.values() for c in ids)
    assert throttled(world) == []
