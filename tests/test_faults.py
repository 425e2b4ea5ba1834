"""Telegram failing under the bot: 5xx and 429 storms, and a connection that drops.

``telegram.fail(method, status, description, times=...)`` makes the fake Bot API answer the
next ``times`` calls of ``method`` with that error (injected errors are not limit violations).
What must hold whatever fails:

* 429 is retried after ``retry_after`` by the rate-limit middleware (bot/ratelimit.py), on the
  fake clock: a 429 followed by success delivers the message, only later;
* a 5xx or a network error loses the reply it hit, never the state already written (a
  subscription, a quiz answer), and the bot keeps working: the next command is answered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod

from bot.app.container import Services
from bot.clock import FakeClock
from bot.offline.records import Request
from bot.offline.session import FakeSession
from bot.offline.telegram import FakeTelegram
from bot.offline.world import Actor, World
from bot.telegram.ratelimit import MAX_RETRY_AFTER_ATTEMPTS
from tests.vocabulary import run_jobs

GENERIC = "Sorry, something went wrong"
EVE = datetime(2026, 8, 28, 20, 0, tzinfo=UTC)  # the evening before 29 August


def calls(requests: list[Request], method: str) -> list[Request]:
    return [r for r in requests if r.method == method]


def give_up_on_unanswered(telegram: FakeTelegram) -> list[str]:
    """Queries whose every answer failed: Telegram's client stops waiting after a while."""
    expired = [query for query, answered in telegram.open_callbacks.items() if not answered]
    for query in expired:
        telegram.open_callbacks[query] = True
    return expired


def drop_connection(
    monkeypatch: pytest.MonkeyPatch, world: World, method: str, times: int = 1
) -> list[str]:
    """The next ``times`` calls of ``method`` fail before reaching Telegram (connection reset):
    FakeSession.make_request raises what aiohttp's session raises for a dropped connection. The
    rate-limit middleware wraps make_request, so it sees the failure as in production."""
    session = world.bot.session
    assert isinstance(session, FakeSession)
    original = session.make_request
    dropped: list[str] = []

    async def make_request(
        bot: Any,
        call: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> Any:
        if call.__api_method__ == method and len(dropped) < times:
            dropped.append(method)
            raise TelegramNetworkError(call, "Connection reset by peer")
        return await original(bot, call, timeout)

    monkeypatch.setattr(session, "make_request", make_request)
    return dropped


# ---- the flows: one per kind of send the bot makes -----------------------------------------


async def greet(world: World, alice: Actor) -> None:
    await alice.send("/start")


async def navigate(world: World, alice: Actor) -> None:
    if not world.messages(alice.private) or "Semipalatinsk test site" in (
        world.last_text(alice.private)
    ):
        await alice.send("/topics")  # a menu to navigate from (the last press changed screens)
    await alice.tap("Semipalatinsk")  # editMessageText, then answerCallbackQuery


async def quiz(world: World, alice: Actor) -> None:
    await alice.send("/quiz canwfz")


async def calendar(world: World, alice: Actor) -> None:
    await alice.send("/calendar")


def greeted(world: World, alice: Actor) -> bool:
    return world.last_text(alice.private).startswith("Hello, Alice")


def navigated(world: World, alice: Actor) -> bool:
    return "Semipalatinsk test site" in world.last_text(alice.private)


def quizzed(world: World, alice: Actor) -> bool:
    return world.last(alice.private).poll_id is not None


def calendared(world: World, alice: Actor) -> bool:
    document = world.last(alice.private).document
    return document is not None and document[1].startswith(b"BEGIN:VCALENDAR")


Flow = Callable[[World, Actor], Awaitable[None]]
Check = Callable[[World, Actor], bool]
FLOWS: dict[str, tuple[Flow, Check]] = {
    "sendMessage": (greet, greeted),
    "editMessageText": (navigate, navigated),
    "answerCallbackQuery": (navigate, navigated),
    "sendPoll": (quiz, quizzed),
    "sendDocument": (calendar, calendared),
}


async def ready(world: World) -> Actor:
    alice = world.user("Alice", "en")
    await alice.send("/topics")  # a screen to navigate from
    return alice


def answered(world: World) -> bool:
    return all(world.telegram.open_callbacks.values())


# ---- 429: waited out and retried ----------------------------------------------------------


@pytest.mark.parametrize("method", list(FLOWS))
async def test_a_429_storm_is_waited_out_and_delivers(
    world: World, clock: FakeClock, method: str
) -> None:
    flow, done = FLOWS[method]
    alice = await ready(world)
    storm = MAX_RETRY_AFTER_ATTEMPTS - 1  # the last attempt of the middleware gets through
    world.telegram.fail(
        method, 429, "Too Many Requests: retry after 7", times=storm, retry_after=7
    )
    before = clock.now()
    await flow(world, alice)
    attempts = calls(world.telegram.requests, method)
    assert [r.error is not None for r in attempts[-storm - 1 :]] == [True] * storm + [False]
    assert done(world, alice) and answered(world), f"{method}: delivered after the storm"
    assert clock.now() - before >= timedelta(seconds=7 * storm), "waited retry_after each time"
    assert not any(GENERIC in str(r.params.get("text")) for r in world.telegram.requests)


async def test_a_429_storm_longer_than_the_retry_budget_fails_once_then_recovers(
    world: World, clock: FakeClock
) -> None:
    alice = world.user("Alice", "en")
    world.telegram.fail(
        "sendMessage", 429, "Too Many Requests: retry after 3",
        times=MAX_RETRY_AFTER_ATTEMPTS, retry_after=3,
    )  # fmt: skip
    before = clock.now()
    requests = await alice.send("/start")
    greeting = calls(requests, "sendMessage")[:MAX_RETRY_AFTER_ATTEMPTS]
    assert all(r.error and r.error.startswith("Too Many Requests") for r in greeting)
    assert clock.now() - before >= timedelta(seconds=3 * (MAX_RETRY_AFTER_ATTEMPTS - 1))
    assert GENERIC in world.last_text(alice.private), "the user is told, not left waiting"
    await alice.send("/start")
    assert greeted(world, alice)


# ---- 5xx: the reply is lost, the bot keeps working -----------------------------------------


@pytest.mark.parametrize("status", [500, 502])
@pytest.mark.parametrize("method", list(FLOWS))
async def test_a_5xx_storm_costs_replies_not_the_bot(
    world: World, method: str, status: int
) -> None:
    flow, done = FLOWS[method]
    alice = await ready(world)
    description = "Internal Server Error" if status == 500 else "Bad Gateway"
    world.telegram.fail(method, status, description, times=3)
    attempts = 0
    while True:  # the user tries again until the storm has passed
        attempts += 1
        await flow(world, alice)
        expired = give_up_on_unanswered(world.telegram)  # every answer of that press failed
        if done(world, alice) and not expired:
            break
        assert attempts < 4, f"{method}: still failing after the storm"
    failed = [r for r in calls(world.telegram.requests, method) if r.error == description]
    assert len(failed) == 3, "each failure hit one request; none was retried blindly"
    await alice.send("/help")
    assert "What I can do" in world.last_text(alice.private), "the next command works"


async def test_a_failed_callback_answer_is_replaced_by_the_error_alert(world: World) -> None:
    alice = await ready(world)
    world.telegram.fail("answerCallbackQuery", 502, "Bad Gateway")
    requests = await alice.tap("Semipalatinsk")
    answers = calls(requests, "answerCallbackQuery")
    assert [r.error for r in answers] == ["Bad Gateway", None]
    assert all(world.telegram.open_callbacks.values()), "the button does not spin forever"
    assert "Semipalatinsk test site" in world.last_text(alice.private), "screen shown"


# ---- state survives what the reply does not ------------------------------------------------


async def test_a_subscription_survives_a_failed_confirmation(
    world: World, services: Services
) -> None:
    alice = world.user("Alice", "en")
    world.telegram.fail("sendMessage", 502, "Bad Gateway", times=2)  # the reply, the apology
    await alice.send("/subscribe")
    assert world.messages(alice.private) == [], "nothing got through"
    assert await services.reminders.repo.get(alice.id) is not None, "subscribed all the same"
    await alice.send("/reminders")  # the storm is over: the settings screen
    assert "Asia/Almaty" in world.last_text(alice.private)


async def test_a_setting_survives_a_failed_edit(world: World, services: Services) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/subscribe")
    world.telegram.fail("editMessageText", 500, "Internal Server Error")
    await alice.tap("Europe/Berlin")
    chat = await services.profiles.chats.get(alice.id)
    assert chat is not None and chat.timezone == "Europe/Berlin", "saved before the edit failed"
    await alice.send("/reminders")
    assert "Europe/Berlin" in world.last_text(alice.private)


async def test_a_quiz_answer_survives_a_failed_next_question(
    world: World, services: Services
) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/quiz canwfz")
    first = world.last_poll(alice.private)
    world.telegram.fail("sendPoll", 502, "Bad Gateway", times=2)
    requests = await alice.answer_poll(first, world.right_option(first))
    assert [r.error for r in calls(requests, "sendPoll")] == ["Bad Gateway"]
    assert world.last_poll(alice.private) is first, "the next question was lost"
    answers = await services.quiz.repo.round_answers(1)
    assert [(a.user_id, a.right) for a in answers] == [(alice.id, True)], "the answer was not"
    stats = await services.quiz.stats(alice.id)
    assert stats.answered == 1
    await alice.send("/quiz canwfz")  # the storm's last failure: told, and tries again
    assert GENERIC in world.last_text(alice.private)
    await alice.send("/quiz canwfz")
    assert world.last_poll(alice.private) is not first, "a new round starts"
    assert (await services.quiz.stats(alice.id)).answered == 1


async def test_a_group_game_survives_a_429_storm_on_its_polls(
    world: World, services: Services, clock: FakeClock
) -> None:
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    group = world.group("Delegates", {alice: "creator", bob: "member"})
    await alice.send("/language", chat=group)
    await alice.tap("English", chat=group)
    await alice.send("/quiz", chat=group)
    await bob.tap("I'm in", chat=group)
    world.telegram.fail(
        "sendPoll", 429, "Too Many Requests: retry after 5", times=3, retry_after=5
    )
    await alice.tap("Start", chat=group)
    first = world.last_poll(group)
    question = world.telegram.polls[first.poll_id or ""]
    assert question.question.startswith("[1/"), "the first question arrived after the storm"
    await alice.answer_poll(first, world.right_option(first))
    await bob.answer_poll(first, world.right_option(first))
    assert world.last_poll(group) is not first, "everyone answered: the game goes on"
    answers = await services.quiz.repo.round_answers(1)
    assert sorted(a.user_id for a in answers) == sorted([alice.id, bob.id])


# ---- the connection drops ------------------------------------------------------------------


async def test_a_dropped_connection_loses_one_reply_and_no_state(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = world.user("Alice", "en")
    dropped = drop_connection(monkeypatch, world, "sendMessage")
    await alice.send("/subscribe")
    assert dropped == ["sendMessage"]
    assert await services.reminders.repo.get(alice.id) is not None
    await alice.send("/reminders")
    assert "Asia/Almaty" in world.last_text(alice.private)


async def test_a_dropped_connection_while_asking_keeps_the_answer(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/quiz canwfz")
    first = world.last_poll(alice.private)
    dropped = drop_connection(monkeypatch, world, "sendPoll", times=1)
    await alice.answer_poll(first, world.right_option(first))
    assert dropped == ["sendPoll"]
    assert (await services.quiz.stats(alice.id)).answered == 1
    await alice.send("/quiz canwfz")
    assert world.last_poll(alice.private) is not first


async def test_a_dropped_connection_on_a_button_press(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await ready(world)
    dropped = drop_connection(monkeypatch, world, "answerCallbackQuery")
    await alice.tap("Semipalatinsk")
    assert dropped == ["answerCallbackQuery"]
    assert all(world.telegram.open_callbacks.values()), "the error alert answered the press"
    await alice.tap("1.")
    assert "468" in world.last_text(alice.private)


# ---- reminders: a storm during the fan-out ---------------------------------------------------


async def test_reminders_ride_out_a_5xx_storm_and_a_dropped_connection(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    await alice.send("/subscribe")
    await bob.send("/subscribe")
    due = datetime(2026, 8, 29, 4, 0, tzinfo=UTC)  # 09:00 in Almaty
    services.clock.set(due - timedelta(minutes=2))
    world.telegram.fail("sendMessage", 502, "Bad Gateway", times=2)
    dropped = drop_connection(monkeypatch, world, "sendMessage", times=1)
    await run_jobs(world, services, due, step=30)
    assert dropped == ["sendMessage"]
    await run_jobs(world, services, due + timedelta(minutes=15), step=30)
    for actor in (alice, bob):
        reminders = [m for m in world.messages(actor.private) if "🗓" in (m.text or "")]
        assert len(reminders) == 1, "retried until delivered, and delivered once"
    statuses = list((await services.reminders.repo.statuses()).values())
    assert statuses.count("sent") == 2 and "failed" not in statuses
