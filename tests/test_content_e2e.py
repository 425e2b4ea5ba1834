"""End to end: users send updates, the real dispatcher answers through the offline Telegram."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app.container import Services
from bot.offline.records import Request
from bot.offline.world import World


def replies(requests: list[Request]) -> list[Request]:
    """What the user would see: the calls that send or change messages."""
    return [r for r in requests if r.method not in {"getMe", "getChatMember"}]


async def test_start_greets_in_the_users_language_with_a_menu(world: World) -> None:
    alice = world.user("Alice", "ru")
    bob = world.user("Bob", "en")
    await alice.send("/start")
    await bob.send("/start")
    ru, en = world.last(alice.private), world.last(bob.private)
    assert ru.text is not None and ru.text.startswith("Здравствуйте, Alice")
    assert en.text is not None and en.text.startswith("Hello, Bob")
    assert any("Темы" in b["text"] for b in ru.buttons())
    assert any("Topics" in b["text"] for b in en.buttons())


async def test_unsupported_telegram_language_falls_back_to_english(world: World) -> None:
    hans = world.user("Hans", "de")
    await hans.send("/start")
    assert "Hello" in world.last_text(hans.private)


async def test_user_name_is_escaped(world: World) -> None:
    mallory = world.user("<b>Mal & lory", "en")
    await mallory.send("/start")
    assert "<b>Mal & lory" in world.last_text(mallory.private)


async def test_start_deep_link_opens_the_topic(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/start canwfz")
    card = world.last(alice.private)
    assert "Central Asian nuclear-weapon-free zone" in (card.text or "")


async def test_start_with_an_invalid_payload_greets_normally(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/start no-such-topic")
    assert world.last_text(alice.private).startswith("Hello, Alice")


async def test_help_lists_every_menu_command(world: World) -> None:
    from bot.telegram.commands import Where, commands_for

    alice = world.user("Alice", "en")
    await alice.send("/help")
    text = world.last_text(alice.private)
    for command in commands_for(Where.PRIVATE):
        assert f"/{command.name}" in text


async def test_topic_navigation_edits_one_message(world: World) -> None:
    alice = world.user("Alice", "ru")
    await alice.send("/topics")
    menu = world.last(alice.private)
    requests = await alice.tap("Семипалатинский полигон")
    assert [r.method for r in requests] == ["editMessageText", "answerCallbackQuery"]
    assert world.last(alice.private).message_id == menu.message_id
    await alice.tap("1. Испытания")
    card = world.last_text(alice.private)
    assert "468" in card and "Источники: Рабочий документ РК, 2019, ¶10" in card
    await alice.tap("▶")
    assert "Закрытие" in world.last_text(alice.private)
    await alice.tap("◀")
    assert "Испытания" in world.last_text(alice.private)
    await alice.tap("Оглавление")
    assert "Разделы" in world.last_text(alice.private)
    await alice.tap("Зона, свободная")  # the related-topic button
    assert "2006" in world.last_text(alice.private)
    assert len(world.messages(alice.private)) == 1


async def test_pressing_the_current_page_again_is_quiet(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.library.views.TIMELINE_PAGE", 2)
    alice = world.user("Alice", "en")
    await alice.send("/timeline")
    await alice.tap("▶")
    assert "2006" in world.last_text(alice.private)
    requests = await alice.tap("2/2")
    assert [r.method for r in requests] == ["editMessageText", "answerCallbackQuery"]
    assert requests[0].error is not None and "not modified" in requests[0].error


async def test_fact_cites_its_source_and_offers_another(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/fact")
    first = world.last(alice.private)
    assert "Sources: Kazakhstan working paper, 2019, ¶" in (first.text or "")
    await alice.tap("Another fact")
    second = world.last(alice.private)
    assert second.message_id != first.message_id
    assert "Sources:" in (second.text or "")


async def test_fact_from_a_topic_stays_in_the_topic(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/start canwfz")
    await alice.tap("A fact from this topic")
    assert "CANWFZ Treaty was signed" in world.last_text(alice.private)


async def test_timeline_is_chronological(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/timeline")
    text = world.last_text(alice.private)
    assert text.index("1949") < text.index("1991") < text.index("2006") < text.index("2024")
    assert "★" in text


async def test_glossary_lookup_in_any_language(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/glossary ДНЯО")
    text = world.last_text(alice.private)
    assert "NPT" in text and "Non-Proliferation" in text and "ЯҚТШ" in text
    await alice.send("/glossary zzzz")
    assert "No term matches" in world.last_text(alice.private)
    await alice.send("/glossary")
    assert "Glossary" in world.last_text(alice.private)


async def test_search_understands_russian_morphology_and_typos(world: World) -> None:
    alice = world.user("Alice", "ru")
    await alice.send("полигона")
    assert "Семипалатинский полигон" in world.last_text(alice.private)
    await alice.send("/search семипалатинскго договора")  # one letter missing
    result = world.last_text(alice.private)
    assert "результат" in result and "Семипалатинск" in result


async def test_search_results_open_the_matching_section(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("closed International Day")
    await alice.tap("1.")
    assert "Closure" in world.last_text(alice.private)


async def test_search_escapes_the_query(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("<script> & </b>")
    assert "<script> & </b>" in world.last_text(alice.private)


async def test_search_rejects_oversize_text_clearly(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("nuclear " * 100)
    assert "too long to search" in world.last_text(alice.private)


async def test_search_needs_words(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/search")
    assert "Send a few words" in world.last_text(alice.private)


async def test_group_commands_with_and_without_mention(world: World) -> None:
    alice, bob = world.user("Alice", "en"), world.user("Bob", "ru")
    group = world.group("Delegates", {alice: "creator", bob: "member"})
    await alice.send("/help", chat=group)
    await bob.send("/help@nwfz_test_bot", chat=group)
    help_texts = [m.text or "" for m in world.messages(group)]
    assert len(help_texts) == 2
    assert all("/topics" in text for text in help_texts)
    # A group speaks one language (the default until an admin picks one), not each user's.
    assert all("Что я умею" in text for text in help_texts)


async def test_group_ignores_chatter_and_other_bots_commands(world: World) -> None:
    alice = world.user("Alice", "en")
    group = world.group("Delegates", {alice: "member"})
    assert replies(await alice.send("what about the NPT?", chat=group)) == []
    assert replies(await alice.send("/help@other_bot", chat=group)) == []
    assert replies(await alice.send("/whatever@other_bot", chat=group)) == []
    assert replies(await alice.send_sticker(chat=group)) == []


async def test_unknown_command_gets_a_hint(world: World) -> None:
    alice = world.user("Alice", "en")
    group = world.group("Delegates", {alice: "member"})
    await alice.send("/frobnicate <now>")
    assert "I don't know the command /frobnicate" in world.last_text(alice.private)
    await alice.send("/frobnicate@nwfz_test_bot", chat=group)
    assert "/help" in world.last_text(group)


async def test_stickers_and_photos_in_private_get_a_clear_reply(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send_sticker()
    await alice.send_photo()
    replies = [m.text for m in world.messages(alice.private)]
    assert replies == [replies[0]] * 2 and "text and commands" in (replies[0] or "")


async def test_edits_and_channel_posts_are_deliberately_silent(world: World) -> None:
    alice = world.user("Alice", "en")
    assert await alice.edit("/help") == []
    channel = world.channel("News")
    update = {
        "channel_post": {
            "message_id": 1, "date": 0, "chat": channel, "sender_chat": channel, "text": "/start",
        }
    }  # fmt: skip
    assert await world.feed(update) == []


async def test_forged_and_stale_buttons_expire_politely(world: World) -> None:
    world.pause_between_updates = timedelta(milliseconds=300)  # a person, not a flood
    alice = world.user("Alice", "en")
    await alice.send("/topics")
    menu = world.last(alice.private)
    for data in ("tp:no-such-topic:-1", "tp:semipalatinsk:99", "garbage", "lang:xx", "x" * 64):
        requests = await alice.press(menu, data)
        assert [r.method for r in requests] == ["answerCallbackQuery"]
        assert "expired" in requests[0].params["text"]


async def test_language_in_private_is_per_user(world: World) -> None:
    alice = world.user("Alice", "ru")
    await alice.send("/language")
    await alice.tap("English")
    assert "Language set: English" in world.last_text(alice.private)
    await alice.send("/help")
    assert "What I can do" in world.last_text(alice.private)
    await alice.send("/language")
    await alice.tap("Қазақша")
    await alice.send("/help")  # kk interface strings fall back to Russian until translated
    assert world.last(alice.private).text


async def test_group_language_is_for_admins_only(world: World) -> None:
    admin, member = world.user("Admin", "en"), world.user("Member", "en")
    group = world.group("Delegates", {admin: "administrator", member: "member"})
    await member.send("/language", chat=group)
    assert "только администраторы" in world.last_text(group)
    await admin.send("/language", chat=group)
    requests = await member.tap("English", chat=group)
    assert requests[-1].method == "answerCallbackQuery" and requests[-1].params["show_alert"]
    await admin.tap("English", chat=group)
    await member.send("/help", chat=group)
    assert "What I can do" in world.last_text(group)


async def test_anonymous_admin_counts_as_admin(world: World) -> None:
    admin = world.user("Admin", "en")
    group = world.group("Delegates", {admin: "administrator"})
    await admin.send_as_group("/language", chat=group)
    assert world.last(group).buttons(), "the anonymous admin gets the language picker"


async def test_sources_lists_every_document(world: World, services: Services) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/sources")
    text = "\n".join(m.text or "" for m in world.messages(alice.private))
    for source in services.catalog.sources.values():
        assert source.title.en in text


async def test_about_counts_the_content(world: World, services: Services) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/about")
    text = world.last_text(alice.private)
    assert f"{len(services.catalog.topics)} topics" in text


async def test_blocked_user_marks_the_chat_inactive(world: World, services: Services) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/start")
    await alice.block_bot()
    chat = await services.profiles.chats.get(alice.id)
    assert chat is not None and not chat.active
    await alice.unblock_bot()
    chat = await services.profiles.chats.get(alice.id)
    assert chat is not None and chat.active


async def test_reply_to_a_user_who_blocked_the_bot_is_not_a_crash(
    world: World, services: Services
) -> None:
    alice = world.user("Alice", "en")
    world.telegram.blocked_by.add(alice.id)  # blocked, and the update raced the block
    requests = await alice.send("/help")
    assert [r.error for r in requests] == ["Forbidden: bot was blocked by the user"]
    chat = await services.profiles.chats.get(alice.id)
    assert chat is not None and not chat.active


async def test_bot_kicked_from_group_is_recorded(world: World, services: Services) -> None:
    alice = world.user("Alice", "en")
    group = world.group("Delegates", {alice: "creator"})
    await alice.send("/help", chat=group)
    await world.member_update(group, alice.user, "member", "kicked")
    chat = await services.profiles.chats.get(group["id"])
    assert chat is not None and not chat.active


async def test_bot_added_to_group_says_hello(world: World) -> None:
    alice = world.user("Alice", "en")
    group = world.group("Delegates", {alice: "creator"})
    await world.member_update(group, alice.user, "left", "member")
    assert "/help" in world.last_text(group)


async def test_group_to_supergroup_migration_keeps_settings(
    world: World, services: Services
) -> None:
    admin = world.user("Admin", "en")
    group = world.group("Delegates", {admin: "creator"}, supergroup=False)
    await admin.send("/language", chat=group)
    await admin.tap("English", chat=group)
    supergroup = await world.migrate(group, by=admin)
    assert await services.profiles.chats.get(group["id"]) is None
    moved = await services.profiles.chats.get(supergroup["id"])
    assert moved is not None and moved.language == "en"


async def test_unexpected_errors_get_a_polite_reply(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services.library, "random_fact", broken)
    alice = world.user("Alice", "en")
    await alice.send("/fact")
    assert "something went wrong" in world.last_text(alice.private)


async def test_a_flooding_user_is_told_once_and_others_are_served(
    world: World, services: Services
) -> None:
    from bot.clock import FakeClock
    from bot.telegram.ratelimit import Limits

    # The outgoing 1 msg/s pacing moves the fake clock on every reply; lift it so the eight
    # messages arrive within one second, as a real flood does.
    services.limiter.limits = Limits(private_per_second=100)
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    for _ in range(8):
        await alice.send("/fact")
    replies = [m.text or "" for m in world.messages(alice.private)]
    assert len(replies) == 6, "five answered, then one warning, then silence"
    assert "Too many messages" in replies[-1]
    await bob.send("/fact")
    assert "Sources" in world.last_text(bob.private), "others are not slowed down"
    assert isinstance(services.clock, FakeClock)
    services.clock.advance(seconds=11)
    await alice.send("/fact")
    assert "Sources" in world.last_text(alice.private), "served again after the cool-down"


async def test_pressing_a_language_twice_is_not_an_error(world: World) -> None:
    # Found by the fuzz tests: the second press edited the message to the same text, and
    # Telegram's "message is not modified" surfaced as "something went wrong".
    world.pause_between_updates = timedelta(milliseconds=300)
    alice = world.user("Alice", "ru")
    await alice.send("/language")
    picker = world.last(alice.private)
    data = next(b["callback_data"] for b in picker.buttons() if "Русский" in b["text"])
    await alice.press(picker, data)
    requests = await alice.press(picker, data)
    assert "что-то пошло не так" not in str([r.params for r in requests])
    assert requests[-1].method == "answerCallbackQuery"
