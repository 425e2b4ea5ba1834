"""Newer Bot API features end to end (issue 14): the private verdict as an ephemeral message,
styled and disabled buttons, the bot's descriptions, and the fallbacks on an older server."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app.container import Services
from bot.app.demo import Demo
from bot.app.runner import emit_startup
from bot.clock import FakeClock
from bot.library.deeplinks import PAYLOAD_MAX, PAYLOAD_PATTERN, Payload, PayloadKind, parse_payload
from bot.offline.records import Request, StoredMessage
from bot.offline.world import Actor, World
from bot.quiz.lobby import SIZES
from bot.reminders.planner import next_at_hour
from content.loader import Catalog
from content.models import Lang

LANGUAGE_BUTTON: dict[Lang, str] = {"ru": "Русский", "en": "English", "kk": "Қазақша"}
# Per language: the lobby's answering-mode button, "I'm in", "Start", the right verdict, the
# wrong one, "only you see this".
WORDS: dict[Lang, tuple[str, str, str, str, str, str]] = {
    "ru": ("Ответы видны", "Я играю", "Начать", "✅ Верно!", "❌ Не совсем.", "видите только вы"),
    "en": ("Public answers", "I'm in", "Start", "✅ Right!", "❌ Not quite.", "Only you see"),
    "kk": ("Жауаптар көрінеді", "Ойнаймын", "Бастау", "✅ Дұрыс!", "❌ Дәл емес.", "тек сіз"),
}


async def private_answers_game(world: World, lang: Lang) -> tuple[dict[str, Any], Actor, Actor]:
    """A group in ``lang`` whose admin starts a game with private answers; Bob plays too."""
    world.pause_between_updates = timedelta(seconds=1)  # people tap at a human pace
    admin, bob = world.user("Admin", lang), world.user("Bob", lang)
    group = world.group("Delegation", {admin: "administrator", bob: "member"})
    await admin.send("/language", chat=group)
    await admin.tap(LANGUAGE_BUTTON[lang], chat=group)
    mode, join, start = WORDS[lang][:3]
    await admin.send("/quiz", chat=group)
    await admin.tap(mode, chat=group)
    await bob.tap(join, chat=group)
    await admin.tap(start, chat=group)
    return group, admin, bob


def verdicts(world: World, group: dict[str, Any], player: Actor) -> list[StoredMessage]:
    return [m for m in world.messages(group, seen_by=player) if m.receiver_id is not None]


def styles(message: StoredMessage) -> dict[str, str | None]:
    return {button["text"][:1]: button.get("style") for button in message.buttons()}


@pytest.mark.parametrize("lang", ["ru", "en", "kk"])
async def test_the_verdict_is_an_ephemeral_message_only_the_player_sees(
    world: World, lang: Lang
) -> None:
    group, admin, bob = await private_answers_game(world, lang)
    question = world.last(group)
    await bob.tap("A.", chat=group)
    [verdict] = verdicts(world, group, bob)
    right, wrong, only_you = WORDS[lang][3:]
    text = verdict.text or ""
    assert right in text or wrong in text
    assert only_you in text and "📄" in text, "the explanation comes with its sources"
    assert len(text) > 200, "more than an alert could hold"
    assert verdict.replaces == question.message_id, "shown in place of the question"
    # Bob's button is marked (green if right, red if wrong), the right answer green; all
    # disabled, so his view of the question takes no second answer.
    assert all("disabled" in button for button in verdict.buttons())
    marked = styles(verdict)
    assert marked["A"] == ("success" if right in text else "danger")
    assert list(marked.values()).count("success") == 1
    assert await bob.tap("B.", chat=group) == [], "a disabled button sends nothing"
    # Nobody else sees it: the admin's view and the group's still hold the open question.
    assert verdicts(world, group, admin) == []
    assert world.last(group) is question and "callback_data" in question.buttons()[0]


async def test_a_closed_question_keeps_its_options_disabled_with_the_right_one_marked(
    world: World, services: Services
) -> None:
    group, admin, bob = await private_answers_game(world, "en")
    question = world.last(group)
    await bob.tap("A.", chat=group)
    assert isinstance(services.clock, FakeClock)
    services.clock.advance(seconds=25)  # the admin never answers: the timer closes it
    await services.quiz.tick(world.bot)
    text = question.text or ""
    assert text.startswith("[1/") and "Question closed: 1 answer" in text
    assert all("disabled" in button for button in question.buttons())
    assert list(styles(question).values()).count("success") == 1
    assert "danger" not in styles(question).values(), "nobody's choice is shown to all"
    assert await admin.tap("C.", chat=group, message=question) == []


async def test_an_older_server_gets_alerts_and_plain_keyboards_and_is_asked_once(
    world: World, services: Services
) -> None:
    """A server before Bot API 9.4 refuses the fields it does not know: the bot falls back
    for each feature after one refusal and keeps to it."""
    world.telegram.api_version = (9, 3)
    group, admin, bob = await private_answers_game(world, "en")
    first = world.last(group)
    answered = [await bob.tap("A.", chat=group), await admin.tap("B.", chat=group)]
    alerts = [requests[-1] for requests in answered]
    assert all(alert.method == "answerCallbackQuery" for alert in alerts)
    assert all(alert.params["show_alert"] for alert in alerts)
    assert all(alert.params["text"].startswith(("✅", "❌")) for alert in alerts)
    assert "Question closed: 2 answers" in (first.text or "")
    assert not first.buttons(), "the closed question's keyboard is dropped"
    second = world.last(group)
    await bob.tap("A.", chat=group)
    await admin.tap("B.", chat=group)
    assert "Question closed" in (second.text or "") and not second.buttons()
    refused = [r for r in world.telegram.requests if r.error and "is not supported" in r.error]
    assert sorted(r.error or "" for r in refused) == [
        'Bad Request: field "disabled" is not supported',
        'Bad Request: field "ephemeral_message_parameters" is not supported',
        'Bad Request: field "style" is not supported',
    ], "each feature is tried once"
    assert verdicts(world, group, bob) == []


async def test_a_server_that_ignores_ephemeral_messages_gets_its_public_copy_deleted(
    world: World, services: Services
) -> None:
    """A server before Bot API 10.3 that takes the unknown parameter without a word posts the
    private verdict to the whole group: the bot sees no ephemeral id in the answer, deletes the
    message at once, answers with the alert, and never asks that server again."""
    world.telegram.api_version = (10, 2)
    world.telegram.ignores_unknown_ephemeral = True
    group, admin, bob = await private_answers_game(world, "en")
    requests = await bob.tap("A.", chat=group)
    alert = requests[-1]
    assert alert.method == "answerCallbackQuery" and alert.params["show_alert"]
    assert alert.params["text"].startswith(("✅", "❌"))
    [posted] = [
        message
        for (chat_id, _), message in world.telegram.messages.items()
        if chat_id == group["id"] and "Only you see" in (message.text or "")
    ]
    assert posted.receiver_id is None, "the server showed it to everyone"
    assert posted.deleted, "and the bot took it back"
    assert verdicts(world, group, bob) == verdicts(world, group, admin) == []
    await admin.tap("B.", chat=group)  # the second answer closes the first question
    await bob.tap("A.", chat=group)
    await admin.tap("B.", chat=group)
    private = [r for r in world.telegram.requests if "ephemeral_message_parameters" in r.params]
    assert [r.error is None for r in private] == [False, True], (
        "one refusal for the disabled buttons, one public post, then alerts without asking"
    )


async def test_a_full_group_minute_gets_the_alert_rather_than_hold_back_the_game(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    group, _, bob = await private_answers_game(world, "en")
    # The group's minute is spent: the pacer says no more messages fit in it.
    monkeypatch.setattr(services.limiter, "has_room", lambda chat_id, keep=0: False)
    requests = await bob.tap("A.", chat=group)
    assert requests[-1].params["show_alert"] and verdicts(world, group, bob) == []


async def test_start_up_sets_the_descriptions_in_every_language(
    world: World, services: Services
) -> None:
    services.run_scheduler = False
    await emit_startup(world.dispatcher, world.bot)
    telegram = world.telegram
    assert set(telegram.descriptions) == set(telegram.short_descriptions) == {"", "ru", "en", "kk"}
    assert telegram.descriptions[""] == telegram.descriptions["en"]
    assert "Semipalatinsk" in telegram.descriptions["en"]
    assert "Семипалатинский" in telegram.descriptions["ru"]
    assert "Семей" in telegram.descriptions["kk"]
    for text in [*telegram.descriptions.values(), *telegram.short_descriptions.values()]:
        # A figure would need a source; the descriptions state none (the about screen
        # counts the content instead).
        assert not any(character.isdigit() for character in text)


# ---- moments as date_time entities -------------------------------------------------------------


def tg_time(at: datetime, date_time_format: str) -> str:
    return f'<tg-time unix="{int(at.timestamp())}" format="{date_time_format}">'


@pytest.mark.parametrize("lang", ["ru", "en", "kk"])
async def test_the_reminder_hour_is_a_moment_each_reader_sees_on_their_own_clock(
    world: World, lang: Lang
) -> None:
    alice = world.user("Alice", lang)
    await alice.send("/subscribe")
    screen = world.last(alice.private)
    # Now is 14:00 in Almaty (the chat's zone): the next 09:00 there is tomorrow's.
    tomorrow_nine = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    assert f"{tg_time(tomorrow_nine, 't')}09:00</tg-time>" in (screen.html or "")
    assert "09:00" in (screen.text or ""), "the text itself is the chat's clock"


@pytest.mark.parametrize(
    ("lang", "shown"),
    [("ru", "⏳ Начало через 30 с."), ("en", "⏳ Starts in 30 s."),
     ("kk", "⏳ Ойын 30 секундтан кейін басталады.")],
)  # fmt: skip
async def test_the_automatic_start_is_a_moment_counted_down_by_each_app(
    world: World, services: Services, lang: Lang, shown: str
) -> None:
    world.pause_between_updates = timedelta(seconds=1)
    admin, bob = world.user("Admin", lang), world.user("Bob", lang)
    group = world.group("Delegates", {admin: "administrator", bob: "member"})
    await admin.send("/language", chat=group)
    await admin.tap(LANGUAGE_BUTTON[lang], chat=group)
    await admin.send("/quiz", chat=group)
    await bob.tap(WORDS[lang][1], chat=group)
    lobby = world.last(group)
    starts = services.clock.now() + timedelta(seconds=30)
    assert tg_time(starts, "r") in (lobby.html or "")
    assert shown in (lobby.text or "")


async def test_an_older_server_gets_the_moments_as_plain_text_after_one_refusal(
    world: World,
) -> None:
    world.telegram.api_version = (9, 4)  # before date_time entities
    world.pause_between_updates = timedelta(seconds=1)
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    await alice.send("/subscribe")
    screen = world.last(alice.private)
    assert "at 09:00" in (screen.text or "") and "tg-time" not in (screen.html or "")
    group = world.group("Delegates", {alice: "administrator", bob: "member"})
    await alice.send("/quiz", chat=group)
    await bob.tap("Я играю", chat=group)  # a group speaks Russian until an admin says not
    assert "⏳ Начало через 30 с." in world.last_text(group)
    refused = [r for r in world.telegram.requests if r.error]
    assert len(refused) == 1 and 'start tag "tg-time"' in (refused[0].error or "")


# Hypothesis takes naive bounds and attaches the zone itself.
FIRST, LAST = datetime(2000, 1, 1), datetime(2100, 1, 1)  # noqa: DTZ001


@given(
    now=st.datetimes(min_value=FIRST, max_value=LAST, timezones=st.just(UTC)),
    hour=st.integers(0, 23),
    zone=st.sampled_from(["Asia/Almaty", "Europe/Berlin", "America/New_York", "UTC"]),
)
def test_next_at_hour_is_the_next_time_the_local_clock_shows_that_hour(
    now: datetime, hour: int, zone: str
) -> None:
    at = next_at_hour(now, hour, ZoneInfo(zone))
    local = at.astimezone(ZoneInfo(zone))
    assert now < at <= now + timedelta(hours=25)
    # A clock change can skip the hour (spring forward); otherwise the clock shows it.
    assert (local.hour, local.minute, local.second) == (hour, 0, 0) or local.hour == hour + 1
    day_before = datetime.combine(local.date() - timedelta(days=1), local.time(), ZoneInfo(zone))
    assert day_before <= now or day_before.hour != hour, "not a later day than needed"


# ---- "play this in your group" and "challenge a friend" ----------------------------------------

SHARED = "quiz-semipalatinsk-L2"
TOPIC_TITLE: dict[Lang, str] = {
    "ru": "Семипалатинский полигон",
    "en": "The Semipalatinsk test site",
    "kk": "Семей ядролық сынақ полигоны",
}
MEDIUM: dict[Lang, str] = {"ru": "Средний", "en": "Medium", "kk": "Орташа"}


def card_links(requests: list[Request]) -> tuple[dict[str, Any], list[str]]:
    [answer] = [r for r in requests if r.method == "answerInlineQuery"]
    [card] = answer.params["results"]
    rows = card["reply_markup"]["inline_keyboard"]
    return card, [button["url"] for row in rows for button in row]


@pytest.mark.parametrize("lang", ["ru", "en", "kk"])
async def test_a_finished_quiz_is_shared_and_its_card_starts_the_same_quiz(
    world: World, services: Services, lang: Lang
) -> None:
    world.pause_between_updates = timedelta(seconds=1)
    alice, bob, carol = (world.user(name, lang) for name in ("Alice", "Bob", "Carol"))
    await alice.send(f"/start {SHARED}")  # a level and a topic: no menus
    poll = world.last_poll(alice.private)
    await alice.answer_poll(poll, world.right_option(poll))
    shares = [
        button["switch_inline_query_chosen_chat"]
        for button in world.last(alice.private).buttons()
        if "switch_inline_query_chosen_chat" in button
    ]
    assert shares == [
        {"query": SHARED, "allow_group_chats": True},
        {"query": SHARED, "allow_user_chats": True},
    ]
    # Telegram opens the chosen group with "@bot quiz-semipalatinsk-L2": the card.
    card, links = card_links(await alice.inline(SHARED, chat_type="supergroup"))
    text = card["input_message_content"]["message_text"]
    assert TOPIC_TITLE[lang] in text and MEDIUM[lang] in text
    bot = world.telegram.bot_user["username"]
    assert links == [
        f"https://t.me/{bot}?startgroup={SHARED}",
        f"https://t.me/{bot}?start={SHARED}",
    ]
    # Bob taps "play it in a group" under the card: Telegram sends /start with the payload.
    group = world.group("Class", {alice: "member", bob: "member"})
    await bob.send(f"/start@{bot} {SHARED}", chat=group)
    lobby = await services.quiz.repo.open_round(group["id"])
    assert lobby is not None and (lobby.topic, lobby.difficulty) == ("semipalatinsk", 2)
    # A challenge sent to a person offers one link; Carol opens it and plays the same quiz.
    card, links = card_links(await alice.inline(SHARED, chat_type="private"))
    assert links == [f"https://t.me/{bot}?start={SHARED}"]
    await carol.send(f"/start {SHARED}")
    practice = await services.quiz.repo.open_round(carol.id)
    assert practice is not None and (practice.topic, practice.difficulty) == ("semipalatinsk", 2)


async def test_a_quiz_card_for_a_topic_that_is_gone_offers_nothing(world: World) -> None:
    alice = world.user("Alice", "en")
    requests = await alice.inline("quiz-no-such-topic-L1", chat_type="group")
    assert requests[-1].params["results"] == []


@given(
    topic=st.one_of(st.none(), st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)),
    difficulty=st.integers(0, 3),
    size=st.one_of(st.none(), st.integers(1, 99)),
    lang=st.sampled_from([None, "ru", "en", "kk"]),
)
def test_a_quiz_payload_with_level_and_size_has_one_spelling(
    topic: str | None, difficulty: int, size: int | None, lang: Lang | None
) -> None:
    try:
        payload = Payload(PayloadKind.QUIZ, topic, lang, difficulty, size)
    except ValueError:  # a topic id that reads as another kind ("quiz-...", "subscribe")
        return
    encoded = payload.encode()
    assert PAYLOAD_PATTERN.fullmatch(encoded)
    assert parse_payload(encoded) == payload


def test_every_shipped_quiz_fits_a_deep_link(shipped: Catalog) -> None:
    for topic in shipped.topics:
        longest = Payload(PayloadKind.QUIZ, topic, "kk", 3, max(SIZES)).encode()
        assert len(longest) <= PAYLOAD_MAX


async def test_the_demo_shows_the_private_verdict_and_the_shared_card(world: World) -> None:
    world.pause_between_updates = timedelta(seconds=1)
    out = io.StringIO()
    demo = Demo(world, out)
    script = [":group", "/quiz", "#7", ":as bob", "#1", ":as me", "#2", "#1"]
    for line in script:
        await demo.handle(line)
    shown = out.getvalue()
    assert "🔒 (only you see this)" in shown and "(disabled)" in shown
    assert "🟢" in shown, "the right answer is marked green"
    await demo.handle(":private")
    await demo.handle(f"/start {SHARED}")
    poll = world.last_poll(world.telegram.chats[demo.me.id])
    await demo.handle(f"#{world.right_option(poll) + 1}")
    await demo.handle("#2")  # "play this in a group" under the result ("again" is #1)
    assert "🃏" in out.getvalue() and f"startgroup={SHARED}" in out.getvalue()
    for line in (":group", "/stop", "#link 1"):  # the first game ends; the card's opens
        await demo.handle(line)
    lobby = await world.dispatcher["quiz"].repo.open_round(demo.group["id"])
    assert lobby is not None and lobby.difficulty == 2
