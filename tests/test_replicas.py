"""Two replicas of the bot in one process, sharing one PostgreSQL database, one fake clock and
one offline Telegram (which enforces its limits per bot, so for both together).

Each replica is its own ``Services`` (its own pool, repositories, rate limiter and dispatcher),
as a second process would be; what they agree on goes through the database. The races are real:
``asyncio.gather`` interleaves the replicas at every database round trip.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.clock import FakeClock
from bot.offline.records import RateLimits, SimulatedCrash, StoredMessage
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.offline.world import Actor, World
from bot.quiz.types import RoundChange
from bot.reminders.service import BATCH, CONCURRENCY
from bot.telegram.callbacks import ReminderSetting
from content.loader import Catalog
from storage.reminders import LEASE
from tests.vocabulary import start_group_game

# The replicas share PostgreSQL: these tests have no SQLite run (one process owns a SQLite file).
pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

EVE = datetime(2026, 8, 28, 20, 0, tzinfo=UTC)
NINE_IN_ALMATY = datetime(2026, 8, 29, 4, 0, tzinfo=UTC)  # when the 29 August reminders fall due
CHATS = 1000


@dataclass
class Replica:
    world: World
    services: Services


@pytest.fixture
def telegram(clock: FakeClock) -> FakeTelegram:
    # Reminders and quiz pace themselves; the shared send budget has its own test with
    # Telegram's limits. Here the overall limit is lifted so only claims are under test.
    return FakeTelegram(clock, limits=RateLimits(overall_per_second=1000))


@pytest.fixture
async def replicas(
    settings: Settings,
    clock: FakeClock,
    catalog: Catalog,
    telegram: FakeTelegram,
    postgres_url: str | None,
) -> AsyncIterator[tuple[Replica, Replica]]:
    assert postgres_url is not None
    opened = []
    for index in range(2):
        services = await create_services(
            settings, clock, catalog=catalog, database=postgres_url, rng=random.Random(index)
        )
        services.run_scheduler = False
        opened.append(Replica(offline_world(telegram, services), services))
    yield opened[0], opened[1]
    for replica in opened:
        await replica.services.close()


async def subscribe_chats(replica: Replica, count: int) -> None:
    """``count`` people subscribed to reminders with the defaults (9:00 in Almaty)."""
    for index in range(count):
        person = replica.world.user(f"U{index}", "en")
        await replica.services.reminders.subscribe(person.id)


def reminders_per_chat(telegram: FakeTelegram) -> Counter[int]:
    return Counter(m.chat_id for m in telegram.messages.values() if "🗓" in (m.text or ""))


async def claims(replica: Replica) -> Counter[tuple[str, str | None]]:
    """Deliveries by (status, the replica that claimed them)."""
    rows = await replica.services.db.fetch_all("SELECT status, claimed_by FROM deliveries")
    return Counter((row[0], row[1]) for row in rows)


async def vote_on(
    replicas: tuple[Replica, ...], voter: Actor, poll: StoredMessage, option: int
) -> None:
    """One vote, whose update Telegram hands to each of ``replicas`` at the same moment."""
    assert poll.poll_id is not None
    voter.world.telegram.polls[poll.poll_id].answers[voter.id] = [option]
    answer = {
        "poll_id": poll.poll_id,
        "user": voter.user,
        "option_ids": [option],
        "option_persistent_ids": [str(option)],
    }
    await asyncio.gather(*(r.world.feed({"poll_answer": answer}) for r in replicas))


async def test_two_planners_and_two_drains_send_each_reminder_once(
    replicas: tuple[Replica, Replica], clock: FakeClock, telegram: FakeTelegram
) -> None:
    a, b = replicas
    clock.set(EVE)
    await subscribe_chats(a, CHATS)
    clock.set(NINE_IN_ALMATY)
    planned = await asyncio.gather(
        a.services.reminders.plan_due(), b.services.reminders.plan_due()
    )
    assert sorted(planned) == [0, CHATS], "one planner inserted them all, the other none"
    assert await a.services.reminders.repo.watermark() == NINE_IN_ALMATY + timedelta(minutes=10)

    handled = await asyncio.gather(
        a.services.reminders.drain(a.world.bot), b.services.reminders.drain(b.world.bot)
    )
    assert sum(handled) == CHATS
    received = reminders_per_chat(telegram)
    assert len(received) == CHATS and set(received.values()) == {1}, "each chat exactly once"
    by_claim = await claims(a)
    assert by_claim == {
        ("sent", a.services.reminders.repo.replica): handled[0],
        ("sent", b.services.reminders.repo.replica): handled[1],
    }
    assert min(handled) > 0, "both replicas took a share: the drains really interleaved"


async def test_a_dead_replicas_claims_are_sent_by_another_after_the_lease(
    replicas: tuple[Replica, Replica], clock: FakeClock, telegram: FakeTelegram
) -> None:
    a, b = replicas
    clock.set(EVE)
    await subscribe_chats(a, CHATS)
    clock.set(NINE_IN_ALMATY)
    await b.services.reminders.plan_due()

    telegram.crash_after_messages = 150  # replica A dies (kill -9) in its first batch
    with pytest.raises(BaseExceptionGroup) as crash:
        await a.services.reminders.drain(a.world.bot)
    assert crash.group_contains(SimulatedCrash)
    telegram.crash_after_messages = None
    await a.services.close()
    dead = a.services.reminders.repo.replica
    orphaned = (await claims(b))[("sending", dead)]
    assert orphaned > 0, "A died holding claims"

    in_doubt = {
        row[0]
        for row in await b.services.db.fetch_all(
            "SELECT chat_id FROM deliveries WHERE status = 'sending'"
        )
    }
    # The few A's crash cut between Telegram's answer and the write: sent, not marked.
    answered_unmarked = in_doubt & set(reminders_per_chat(telegram))
    assert len(answered_unmarked) <= CONCURRENCY

    # B starts (start-up recovery included) and drains while A's lease still holds: A's
    # claims might be in flight, so B leaves them.
    await b.services.reminders.resume()
    await b.services.reminders.drain(b.world.bot)
    mine = b.services.reminders.repo.replica
    after_b = await claims(b)
    assert after_b[("sending", dead)] == orphaned
    assert after_b[("sent", mine)] == CHATS - BATCH, f"B left A's whole batch: {after_b}"

    clock.advance(LEASE)
    assert await b.services.reminders.drain(b.world.bot) == orphaned
    received = reminders_per_chat(telegram)
    unknown = {
        row[0]
        for row in await b.services.db.fetch_all(
            "SELECT chat_id FROM deliveries WHERE status = 'unknown'"
        )
    }  # cut by the crash after the request left: recorded, never resent (the policy)
    assert len(unknown) <= CONCURRENCY
    subscribed = await b.services.db.fetch_all("SELECT chat_id FROM subscriptions")
    assert set(received) | unknown == {row[0] for row in subscribed}
    doubled = {chat for chat, count in received.items() if count > 1}
    assert doubled == answered_unmarked, "at least once: doubles only where the crash cut"
    assert set((await claims(b)).elements()) <= {("sent", dead), ("sent", mine), ("unknown", dead)}


async def advisory_lock_waiters(replica: Replica) -> int:
    return int(
        await replica.services.db.fetch_value(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
    )


async def test_settings_changes_and_planning_on_two_replicas_take_turns(
    replicas: tuple[Replica, Replica], clock: FakeClock, telegram: FakeTelegram
) -> None:
    """A change on one replica waits while a planning run holds the turn on the other (the
    lock is the database's): the run, which read the old settings, cannot insert them after
    the change re-planned the chat. The reminder goes at the new hour only."""
    a, b = replicas
    clock.set(EVE)
    person = a.world.user("Later", "en")
    await a.services.reminders.subscribe(person.id)
    # 8:55 in Almaty: a planning run now plans the 9:00 reminder of the settings it read.
    clock.set(NINE_IN_ALMATY - timedelta(minutes=5))
    async with b.services.reminders.repo.planning_turn():
        change = asyncio.create_task(
            a.services.reminders.change(person.id, ReminderSetting.HOUR, "10")
        )
        for _ in range(500):  # polling a real server, with a deadline (5 s)
            if await advisory_lock_waiters(b) or change.done():
                break
            await asyncio.sleep(0.01)
        assert not change.done() and await advisory_lock_waiters(b) == 1, "A waits for B"
        await b.services.reminders._plan_due()  # B's run, inside the turn it holds
    await change
    for replica in (a, b, a, b):
        clock.advance(minutes=30)
        await replica.services.reminders.plan_due()
        await replica.services.reminders.drain(replica.world.bot)
    sent = [m for m in telegram.messages.values() if "🗓" in (m.text or "")]
    assert [datetime.fromtimestamp(m.date, UTC).hour for m in sent] == [5], "10:00 in Almaty"


async def test_a_group_game_answered_on_both_replicas_counts_every_answer_once(
    replicas: tuple[Replica, Replica], clock: FakeClock, telegram: FakeTelegram
) -> None:
    """Telegram may send one chat's updates to either replica, and the same update to both.
    Each answer goes to both replicas at once; the timers tick on both at once."""
    a, b = replicas
    alice, bob, carol = (a.world.user(name, "ru") for name in ("Alice", "Bob", "Carol"))
    group = a.world.group("Delegates", {alice: "creator", bob: "member", carol: "member"})
    await start_group_game(group, alice, bob, carol)

    asked: list[str] = []
    for number in range(1, 5):
        poll = a.world.last_poll(group)
        question = telegram.polls[poll.poll_id or ""].question
        asked.append(question)
        right = a.world.right_option(poll)
        wrong = (right + 1) % len(telegram.polls[poll.poll_id or ""].options)
        choices = {alice: right, bob: wrong, carol: right if number % 2 else wrong}
        if number == 3:
            del choices[carol]  # Carol stays silent: the timer moves the game on
        for actor, option in choices.items():
            await vote_on(replicas, actor, poll, option)
        if number == 3:
            clock.advance(seconds=25)  # the question's 20 s and the grace
            await asyncio.gather(*(r.services.quiz.tick(r.world.bot) for r in (a, b)))

    assert [q.split("]")[0] for q in asked] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert len(a.world.polls(group)) == 4, "no question skipped or sent twice"
    result = a.world.last_text(group)
    assert "🥇 Alice: 4" in result and "Carol: 1" in result and "Bob: 0" in result
    rows = await a.services.db.fetch_all(
        "SELECT user_id, points, answered FROM quiz_scores WHERE period = 'all'"
    )
    assert {row[0]: (row[1], row[2]) for row in rows} == {
        alice.id: (4, 4),
        bob.id: (0, 4),
        carol.id: (1, 3),
    }


async def test_two_ticks_at_once_handle_each_timeout_once(
    replicas: tuple[Replica, Replica], clock: FakeClock, telegram: FakeTelegram
) -> None:
    """Every timeout is handled by one replica's tick; the other finds the round claimed.
    The sharpest case: a replica moved the game to question 2 and died before sending it, so
    the timeout that finds it unsent sends it (no compare-and-set guards that send)."""
    a, b = replicas
    alice, bob = a.world.user("Alice", "ru"), a.world.user("Bob", "ru")
    group = a.world.group("Delegates", {alice: "creator", bob: "member"})
    await start_group_game(group, alice, bob)
    game = await a.services.quiz.repo.open_round(group["id"])
    assert game is not None
    moved = RoundChange(current=1, deadline=clock.now())
    assert await a.services.quiz.repo.update_round(game.id, moved, expect_current=0)

    async def both_tick(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.gather(*(r.services.quiz.tick(r.world.bot) for r in (a, b)))

    await both_tick(1)
    assert len(a.world.polls(group)) == 2, "question 2 sent once"
    await both_tick(25)  # nobody answers question 2: question 3
    await both_tick(25)  # nor question 3: two silent questions pause the game
    await both_tick(25)
    polls = [telegram.polls[m.poll_id or ""].question[:5] for m in a.world.polls(group)]
    assert polls == ["[1/4]", "[2/4]", "[3/4]"], "each question sent once"
    paused = [m for m in telegram.messages.values() if "пауз" in (m.text or "").lower()]
    assert len(paused) == 1


async def test_the_last_answer_moves_the_game_on_whichever_replica_gets_it(
    replicas: tuple[Replica, Replica],
) -> None:
    """Votes alternate between the replicas, so each question's last vote reaches the replica
    that did not send it: that replica must see the round as it is now (a copy it kept from
    the question before would not know the question it answers is the current one)."""
    a, b = replicas
    alice, bob = a.world.user("Alice", "ru"), a.world.user("Bob", "ru")
    group = a.world.group("Delegates", {alice: "creator", bob: "member"})
    await start_group_game(group, alice, bob)
    for number in range(1, 4):
        poll = a.world.last_poll(group)
        right = a.world.right_option(poll)
        first, last = (b, a) if number % 2 else (a, b)
        await vote_on((first,), alice, poll, right)
        await vote_on((last,), bob, poll, right)
        assert len(a.world.polls(group)) == number + 1, "both answered: the next one at once"


async def test_both_replicas_sending_at_once_stay_within_the_bots_limits(
    replicas: tuple[Replica, Replica], clock: FakeClock
) -> None:
    """Telegram counts per bot: a strict offline Telegram (30/s, 1/s per person, 20/min per
    group) sees both replicas' traffic together. Alone, each replica's pacer would allow 25/s;
    the budget they share keeps the union at that, with no 429."""
    strict = FakeTelegram(clock, limits=RateLimits.strict())
    a, b = (Replica(offline_world(strict, r.services), r.services) for r in replicas)
    clock.set(EVE)
    await subscribe_chats(a, 300)
    clock.set(NINE_IN_ALMATY)
    await a.services.reminders.plan_due()
    group = a.world.group("Delegates", {a.world.user("Admin", "en"): "creator"})
    started = clock.now()

    async def chatter(replica: Replica) -> None:
        for number in range(15):
            await replica.world.bot.send_message(group["id"], f"{number}")

    await asyncio.gather(
        a.services.reminders.drain(a.world.bot),
        b.services.reminders.drain(b.world.bot),
        chatter(a),
        chatter(b),
    )
    assert strict.violations == [], "0 x 429"
    received = reminders_per_chat(strict)
    assert len(received) == 300 and set(received.values()) == {1}
    assert strict.sent_per_chat[group["id"]] == 30
    # 330 messages at the shared 25/s take 13 s at least; the 30 to the group, 20 a minute
    # after its burst of 5, 25 x 3.77 s = 94 s.
    assert clock.now() - started >= timedelta(seconds=94)
