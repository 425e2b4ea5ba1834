"""Quizzes end to end: private practice, group games, private answering mode, restarts."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.clock import FakeClock
from bot.offline.records import StoredMessage
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.offline.world import World
from content.loader import load_catalog
from tests.vocabulary import Restartable, start_group_game


def wrong_option(world: World, message: StoredMessage) -> int:
    return (world.right_option(message) + 1) % 3


async def tick(world: World, services: Services, seconds: float) -> None:
    """Let time pass and give the scheduler's quiz job its turn."""
    assert isinstance(services.clock, FakeClock)
    services.clock.advance(seconds=seconds)
    await services.quiz.tick(world.bot)


# ---- private practice ------------------------------------------------------------------------


async def test_private_round_with_review(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/quiz")
    await alice.tap("All topics")
    await alice.tap("Any level")
    asked: list[str] = []
    for number in range(4):  # the fixture bank has 4 questions
        poll = world.last_poll(alice.private)
        sent = world.telegram.polls[poll.poll_id or ""]
        assert sent.type == "quiz" and not sent.is_anonymous and sent.explanation
        assert sent.question.startswith(f"[{number + 1}/4] ")
        asked.append(sent.question)
        option = wrong_option(world, poll) if number == 1 else world.right_option(poll)
        await alice.answer_poll(poll, option)
    assert len(set(asked)) == 4, "never the same question twice in a round"
    result = world.last(alice.private)
    assert "3 of 4" in (result.text or "")
    assert "❌" in (result.text or "") and "📝" in str(result.buttons())
    await alice.tap("Review my mistakes")
    review = world.last_poll(alice.private)
    assert world.telegram.polls[review.poll_id or ""].question.startswith("[1/1] ")
    await alice.answer_poll(review, world.right_option(review))
    assert "1 of 1" in world.last_text(alice.private)
    assert "No mistakes" in world.last_text(alice.private)


async def test_quiz_with_topic_skips_the_menu_and_stats_follow(world: World) -> None:
    alice = world.user("Alice", "ru")
    await alice.send("/quiz canwfz")
    for _ in range(2):
        poll = world.last_poll(alice.private)
        await alice.answer_poll(poll, wrong_option(world, poll))
    assert "0 из 2" in world.last_text(alice.private)
    await alice.send("/stats")
    stats = world.last_text(alice.private)
    assert "Ответов: 2" in stats and "верных: 0" in stats
    assert "Серия: 1 день" in stats
    assert "На повторение: 2 вопроса" in stats


async def test_unknown_topic_is_explained(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/quiz atlantis")
    assert "no such topic" in world.last_text(alice.private)


async def test_duplicate_poll_answer_update_counts_once(world: World, services: Services) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/quiz canwfz")
    poll = world.last_poll(alice.private)
    update = {
        "poll_answer": {
            "poll_id": poll.poll_id, "user": alice.user,
            "option_ids": [world.right_option(poll)], "option_persistent_ids": ["0"],
        }
    }  # fmt: skip
    await world.feed(update)
    await world.feed(update)  # Telegram may deliver an update twice after a restart
    assert len(world.polls(alice.private)) == 2, "one answer, one next question"
    stats = await services.quiz.stats(alice.id)
    assert stats.answered == 1


async def test_unknown_poll_answers_are_ignored(world: World) -> None:
    alice = world.user("Alice", "en")
    update = {
        "poll_answer": {
            "poll_id": "424242", "user": alice.user, "option_ids": [0],
            "option_persistent_ids": ["0"],
        }
    }  # fmt: skip
    assert await world.feed(update) == []


# ---- group games -----------------------------------------------------------------------------


async def test_group_game_lobby_timer_pause_resume_results_top(
    world: World, services: Services
) -> None:
    alice, bob, carol = (
        world.user("Alice", "en"),
        world.user("Bob", "en"),
        world.user("Carol", "en"),
    )
    group = world.group("Delegates", {alice: "creator", bob: "member", carol: "member"})
    await alice.send("/language", chat=group)
    await alice.tap("English", chat=group)
    await alice.send("/quiz", chat=group)
    assert "Quiz game" in world.last_text(group)
    await bob.tap("I'm in", chat=group)
    await carol.tap("I'm in", chat=group)
    assert "Players (3): Alice, Bob, Carol" in world.last_text(group)
    assert "Starts in 30 s" in world.last_text(group)
    requests = await bob.tap("Start", chat=group)  # not the starter, not an admin
    assert "Only the player who started" in requests[-1].params["text"]
    await alice.send("/quiz", chat=group)
    assert "already running" in world.last_text(group)
    await alice.tap("Start", chat=group)

    first = world.last_poll(group)
    assert world.telegram.polls[first.poll_id or ""].question.startswith("[1/4] ")
    await alice.answer_poll(first, world.right_option(first))
    await bob.answer_poll(first, wrong_option(world, first))
    await tick(world, services, 10)
    assert len(world.polls(group)) == 1, "the timer has not run out yet"
    await tick(world, services, 15)  # 20 s open period + grace: Carol stayed silent
    assert len(world.polls(group)) == 2
    await tick(world, services, 25)  # question 2: nobody answers
    await tick(world, services, 25)  # question 3: nobody answers → pause
    assert "paused" in world.last_text(group)
    assert len(world.polls(group)) == 3
    await tick(world, services, 300)
    assert len(world.polls(group)) == 3, "a paused game waits"
    await carol.tap("Resume", chat=group)
    last = world.last_poll(group)
    assert world.telegram.polls[last.poll_id or ""].question.startswith("[4/4] ")
    await alice.answer_poll(last, world.right_option(last))
    await tick(world, services, 25)
    result = world.last_text(group)
    assert "Game over" in result
    assert result.index("🥇 Alice: 2") < result.index("Bob: 0") and "Carol: 0" in result
    await alice.send("/top", chat=group)
    top = world.last_text(group)
    assert "This month" in top and "🥇 Alice: 2" in top


async def test_everyone_answered_moves_on_without_waiting(
    world: World, services: Services
) -> None:
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    group = world.group("Delegates", {alice: "creator", bob: "member"})
    await start_group_game(group, alice, bob)
    first = world.last_poll(group)
    await alice.answer_poll(first, world.right_option(first))
    assert len(world.polls(group)) == 1
    await bob.answer_poll(first, world.right_option(first))
    assert len(world.polls(group)) == 2, "both players answered: next question at once"


async def test_lobby_starts_itself_after_the_countdown(world: World, services: Services) -> None:
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    group = world.group("Delegates", {alice: "member", bob: "member"})
    await alice.send("/quiz", chat=group)
    await bob.tap("Я играю", chat=group)
    await tick(world, services, 31)
    assert len(world.polls(group)) == 1


async def test_stop_by_starter_or_admin_only(world: World) -> None:
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    group = world.group("Delegates", {alice: "member", bob: "member"})
    await alice.send("/quiz", chat=group)
    lobby = world.last(group)
    await bob.send("/stop", chat=group)
    assert "только тот, кто начал" in world.last_text(group)
    await alice.send("/stop", chat=group)
    assert "отменена" in (lobby.text or ""), "the lobby message says the game was cancelled"
    await alice.send("/quiz", chat=group)  # the chat is free again
    assert "Викторина в группе" in world.last_text(group)


async def test_stale_lobby_buttons_expire(world: World) -> None:
    alice = world.user("Alice", "en")
    group = world.group("Delegates", {alice: "creator"})
    await alice.send("/quiz", chat=group)
    lobby = world.last(group)
    join = next(b["callback_data"] for b in lobby.buttons() if "Я играю" in b["text"])
    await alice.tap("Начать", chat=group)
    requests = await alice.press(lobby, join)  # a stale client still shows the lobby
    assert "устарела" in requests[-1].params["text"]


async def test_what_the_group_missed(world: World, services: Services) -> None:
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    group = world.group("Delegates", {alice: "creator", bob: "member"})
    await start_group_game(group, alice, bob)
    for _ in range(4):
        poll = world.last_poll(group)
        await alice.answer_poll(poll, wrong_option(world, poll))
        await bob.answer_poll(poll, world.right_option(poll))
    assert "Игра окончена" in world.last_text(group)
    await bob.tap("Что группа не знала", chat=group)
    review = world.last_poll(group)
    assert world.telegram.polls[review.poll_id or ""].question.startswith("[1/3] ")


async def test_private_answering_mode(world: World, services: Services) -> None:
    admin, bob, carol = (
        world.user("Admin", "en"),
        world.user("Bob", "en"),
        world.user("Carol", "en"),
    )
    group = world.group("Delegation", {admin: "administrator", bob: "member", carol: "member"})
    await bob.send("/quiz", chat=group)
    requests = await bob.tap("Ответы видны", chat=group)  # a member cannot switch it
    assert "администраторы" in requests[-1].params["text"]
    await admin.tap("Ответы видны", chat=group)
    assert "Ответы скрыты" in world.last_text(group)
    await carol.tap("Я играю", chat=group)
    await bob.tap("Начать", chat=group)
    question = world.last(group)
    assert question.poll_id is None and len(question.buttons()) >= 3
    option_c = next(b["callback_data"] for b in question.buttons() if b["text"].startswith("C."))
    # Which button is right is only in the bot's database; try them as users would. Each
    # verdict is an ephemeral message in place of the question, seen by its player alone.
    await bob.tap("A.", chat=group)
    await carol.tap("B.", chat=group)
    for player in (bob, carol):
        [verdict] = [m for m in world.messages(group, seen_by=player) if m.receiver_id]
        assert verdict.receiver_id == player.id and verdict.replaces == question.message_id
        assert (verdict.text or "").startswith("[1/")
    assert all(message.receiver_id is None for message in world.messages(group))
    again = await bob.press(question, option_c)  # a second press on the same question
    assert "уже ответили" in again[-1].params["text"]
    assert "Вопрос закрыт: 2 ответа" in (question.text or ""), "both answered: closed at once"
    assert all("disabled" in button for button in question.buttons())
    await admin.send("/stop", chat=group)  # an admin ends the game early: partial results
    result = world.last_text(group)
    assert "ответы скрыты" in result and "Игроков: 2" in result
    assert "Bob" not in result and "Carol" not in result, "no names: nobody's mistakes shown"


async def test_group_leaderboard_survives_supergroup_migration(
    world: World, services: Services
) -> None:
    alice = world.user("Alice", "en")
    group = world.group("Class", {alice: "creator"}, supergroup=False)
    await start_group_game(group, alice)
    for _ in range(4):
        poll = world.last_poll(group)
        await alice.answer_poll(poll, world.right_option(poll))
    supergroup = await world.migrate(group, by=alice)
    await alice.send("/top", chat=supergroup)
    assert "🥇 Alice: 4" in world.last_text(supergroup)


async def test_a_game_follows_its_group_when_an_answer_finds_it_migrated(
    world: World, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """The service message about the upgrade never reached the bot; the next question, sent
    because of a poll answer (an update that names no chat), meets migrate_to_chat_id."""
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    group = world.group("Class", {alice: "creator", bob: "member"}, supergroup=False)
    await start_group_game(group, alice, bob)
    first = world.last_poll(group)
    supergroup = {"id": -1_000_000_000_000 + group["id"], "type": "supergroup", "title": "Class"}
    world.telegram.add_chat(supergroup)
    world.telegram.members[supergroup["id"]] = dict(world.telegram.members[group["id"]])
    world.telegram.migrated[group["id"]] = supergroup["id"]
    await alice.answer_poll(first, world.right_option(first))
    await bob.answer_poll(first, world.right_option(first))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await tick(world, services, 30)  # the claimed question's timer runs out unsent: resent
    assert world.polls(supergroup), "the claimed question went to the supergroup"
    assert world.last_poll(supergroup).poll_id != first.poll_id


# ---- restarts ----------------------------------------------------------------------------------


async def test_restart_mid_game_loses_no_points_and_resumes(
    restartable: Restartable,
) -> None:
    world, services = await restartable()
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    group = world.group("Delegates", {alice: "creator", bob: "member"})
    await start_group_game(group, alice, bob)
    first = world.last_poll(group)
    await alice.answer_poll(first, world.right_option(first))
    # kill -9: no shutdown hook, no finish; the connection just goes away.
    await services.db.close()

    world2, services2 = await restartable()
    world2._user_ids = world._user_ids  # same people
    await bob.__class__(world2, bob.user).answer_poll(first, world.right_option(first))
    assert len(world2.polls(group)) == 2, "the last answer after the restart moved the game on"
    await alice.__class__(world2, alice.user).send("/stop", chat=group)
    result = world2.last_text(group)
    assert "Игра окончена" in result
    month, _ = await services2.quiz.leaderboard(group["id"])
    assert {(s.name, s.points) for s in month} == {("Alice", 1), ("Bob", 1)}
    await services2.close()


async def test_restart_after_the_timer_ran_out_moves_on(
    restartable: Restartable,
) -> None:
    world, services = await restartable()
    alice = world.user("Alice", "en")
    group = world.group("Delegates", {alice: "creator"})
    await start_group_game(group, alice)
    await services.db.close()  # the bot dies with question 1 open
    world2, services2 = await restartable()
    assert isinstance(services2.clock, FakeClock)
    services2.clock.advance(minutes=5)  # it was down for five minutes
    await services2.quiz.tick(world2.bot)
    assert len(world2.polls(group)) == 2, "the game continues where the database says"
    await services2.close()


# ---- pacing ------------------------------------------------------------------------------------


@pytest.fixture
async def shipped_world(
    settings: Settings, clock: FakeClock, telegram: FakeTelegram
) -> AsyncIterator[tuple[World, Services]]:
    services = await create_services(
        settings, clock, catalog=load_catalog(), database=":memory:", rng=random.Random(3)
    )
    yield offline_world(telegram, services), services
    await services.close()
    assert not telegram.violations


async def test_group_game_never_exceeds_20_messages_a_minute(
    shipped_world: tuple[World, Services],
) -> None:
    world, _ = shipped_world
    players = [world.user(f"P{i}", "en") for i in range(12)]
    group = world.group("Big class", dict.fromkeys(players, "member"))
    starter = players[0]
    await starter.send("/quiz", chat=group)
    for _ in range(3):
        await starter.tap("Вопросов", chat=group)  # 10 → 15 → 20 → 5 ... up to 20
        if "вопросов: 20" in world.last_text(group):
            break
    await starter.tap("20 с", chat=group)  # 20 → 30 s
    for player in players[1:]:
        await player.tap("Я играю", chat=group)  # eleven joins: most lobby edits are skipped
    await starter.tap("Начать", chat=group)
    answered: set[str] = set()
    while "Игра окончена" not in world.last_text(group):
        current = world.last_poll(group)
        assert current.poll_id not in answered, "the game stalled"
        answered.add(current.poll_id or "")
        for player in players:  # everyone answers at once: the next question is due at once
            await player.answer_poll(current, world.right_option(current))
    assert len(answered) == 20
    assert "Игра окончена" in world.last_text(group)
    counted = {"sendMessage", "sendPoll", "editMessageText"}
    sends = [
        r.at
        for r in world.telegram.requests
        if r.method in counted and r.params["chat_id"] == group["id"]
    ]
    assert len(sends) > 20
    for index, moment in enumerate(sends):
        window = [t for t in sends[index:] if t - moment < timedelta(minutes=1)]
        assert len(window) <= 20, f"{len(window)} messages in the minute from {moment}"
