"""Quiz polls as Bot API 9.6-10.0 has them, end to end: fair group polls (results hidden until
the question closes, no changed votes, options shuffled per player), the description with the
question's context and sources, picture questions, and the fallback for an older server."""

from __future__ import annotations

import dataclasses

import pytest

from bot.app.container import Services
from bot.clock import FakeClock
from bot.offline.records import StoredMessage, poll_payload
from bot.offline.telegram import FakeTelegram
from bot.offline.world import Actor, World
from content.loader import Catalog
from content.models import Lang
from tests.vocabulary import PNG_SIGNATURE, png_size

# Two picture questions and a text one: a round asks all three.
BANK = ("pic-site-closed", "pic-canwfz-signed", "semi-01")
JOIN: dict[Lang, str] = {"ru": "Я играю", "en": "I'm in", "kk": "Ойнаймын"}
START: dict[Lang, str] = {"ru": "Начать", "en": "Start", "kk": "Бастау"}
LANGUAGE: dict[Lang, str] = {"ru": "Русский", "en": "English", "kk": "Қазақша"}


@pytest.fixture(scope="module")
def catalog(shipped: Catalog) -> Catalog:
    """The shipped content with a bank of BANK only (conftest's services and world use it)."""
    bank = {question_id: shipped.questions[question_id] for question_id in BANK}
    return dataclasses.replace(shipped, questions=bank)


async def tick(world: World, services: Services, seconds: float) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.advance(seconds=seconds)
    await services.quiz.tick(world.bot)


async def group_game(world: World, lang: Lang) -> tuple[dict[str, object], Actor, Actor]:
    alice, bob = world.user("Alice", lang), world.user("Bob", lang)
    group = world.group("Delegates", {alice: "creator", bob: "member"})
    if lang != "ru":  # a group speaks Russian until an admin chooses
        await alice.send("/language", chat=group)
        await alice.tap(LANGUAGE[lang], chat=group)
    await alice.send("/quiz", chat=group)
    await bob.tap(JOIN[lang], chat=group)
    await alice.tap(START[lang], chat=group)
    return group, alice, bob


def wrong(world: World, poll: StoredMessage) -> int:
    return (world.right_option(poll) + 1) % 3


@pytest.mark.parametrize("lang", ["ru", "en", "kk"])
async def test_a_group_game_is_fair_described_and_pictured(
    world: World, services: Services, shipped: Catalog, lang: Lang
) -> None:
    group, alice, bob = await group_game(world, lang)
    phrase = shipped.ui.phrase
    pictures = 0
    for number in range(len(BANK)):
        message = world.last_poll(group)
        poll = world.telegram.polls[message.poll_id or ""]
        assert poll.question.startswith(f"[{number + 1}/3] ")
        assert poll.hide_results_until_closes and poll.shuffle_options
        assert not poll.allows_revoting and poll.type == "quiz"
        description = poll.description or ""
        assert description.startswith("📚 ") and phrase(lang, "quiz.level.1") in description
        assert "📄" in description and len(description) <= 1024
        if poll.photo is not None:  # a picture question: the timeline, and how to read it
            pictures += 1
            assert poll.photo.startswith(PNG_SIGNATURE) and png_size(poll.photo) == (1600, 900)
            assert poll.question.endswith(phrase(lang, "quiz.picture_question"))
            assert phrase(lang, "quiz.picture_hint") in description
        await alice.answer_poll(message, world.right_option(message))
        await bob.answer_poll(message, wrong(world, message))
        with pytest.raises(AssertionError, match="change their vote"):
            await bob.answer_poll(message, world.right_option(message))
        # Both answered, so the game moved on; this poll stays open until its period ends,
        # and until then nobody sees how the others voted.
        hidden = poll_payload(poll, closed=False)
        assert hidden["total_voter_count"] == 0
        assert all(option["voter_count"] == 0 for option in hidden["options"])
        assert poll_payload(poll, closed=True)["total_voter_count"] == 2
    assert pictures == 2
    await tick(world, services, 25)
    result = world.last_text(group)
    assert "🥇 Alice: 3" in result and "Bob: 0" in result


async def test_the_description_shows_context_and_sources_but_not_the_answer(
    world: World, services: Services, shipped: Catalog
) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/quiz")
    await alice.tap("All topics")
    await alice.tap("Any level")
    seen: dict[str, str] = {}
    for _ in BANK:
        message = world.last_poll(alice.private)
        poll = world.telegram.polls[message.poll_id or ""]
        assert not poll.hide_results_until_closes and not poll.shuffle_options, "private: no"
        seen[poll.question] = poll.description or ""
        await alice.answer_poll(message, world.right_option(message))
    [text] = [d for q, d in seen.items() if "closed" in q]  # semi-01: when was the site closed?
    assert text.startswith("📚 ☢️ The Semipalatinsk test site · Easy")
    assert "Working paper of Kazakhstan" in text and "¶11" in text
    # The decree's own title dates the closure: it waits for the explanation.
    assert "Decree No. 409" not in text and "29 August" not in text
    assert "named after you answer" in text
    assert "3 of 3" in world.last_text(alice.private)


async def test_a_picture_is_uploaded_once_then_sent_by_its_file_id(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/quiz")
    await alice.tap("All topics")
    await alice.tap("Any level")
    for _ in BANK:
        message = world.last_poll(alice.private)
        await alice.answer_poll(message, wrong(world, message))
    assert "0 of 3" in world.last_text(alice.private), "three wrong answers score nothing"
    requests = await alice.tap("Again")
    for _ in BANK:
        message = world.last_poll(alice.private)
        requests += await alice.answer_poll(message, world.right_option(message))
    sent = [r for r in requests if r.method == "sendPoll" and "media" in r.params]
    assert len(sent) == 2
    assert all(r.params["media"]["media"].startswith("pollphoto-") for r in sent)
    assert all(not r.files for r in sent), "no bytes uploaded again"
    assert "3 of 3" in world.last_text(alice.private)


@pytest.mark.parametrize(
    ("version", "refused"),
    [
        ((9, 5), {"allows_revoting", "hide_results_until_closes", "shuffle_options",
                  "description", "media"}),
        ((9, 6), {"media"}),
    ],
)  # fmt: skip
async def test_an_older_server_gets_plain_polls_after_one_refusal_per_field(
    world: World, services: Services, telegram: FakeTelegram, version: tuple[int, int],
    refused: set[str],
) -> None:  # fmt: skip
    telegram.api_version = version
    group, alice, bob = await group_game(world, "en")
    for _ in BANK:
        message = world.last_poll(group)
        await alice.answer_poll(message, world.right_option(message))
        await bob.answer_poll(message, world.right_option(message))
    polls = [r for r in telegram.requests if r.method == "sendPoll"]
    errors = [r.error or "" for r in polls if r.error]
    assert len(errors) == len(refused), "one refused request per missing field, no more"
    assert {error.split('"')[1] for error in errors} == refused
    assert len(polls) == len(BANK) + len(refused)
    # Without poll media the picture goes first, as a photo of its own.
    photos = [m.photo for m in world.messages(group) if m.photo is not None]
    assert len(photos) == 2 and all(photo.startswith(PNG_SIGNATURE) for photo in photos)
    assert "Alice: 3" in world.last_text(group) and "Bob: 3" in world.last_text(group)
