"""Reach: Kazakh everywhere, deep links, inline mode, the timeline picture; operations:
start-up menus, webhook mode, logs without the token, /admin."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.container import Services
from bot.app.runner import emit_startup
from bot.app.webhook import create_web_app
from bot.clock import FakeClock
from bot.library.service import fact_of_the_day
from bot.offline.world import World
from bot.telegram.commands import Where, commands_for
from bot.telegram.middlewares.logs import configure_logging
from content.loader import Catalog
from tests.vocabulary import png_size

# ---- deep links --------------------------------------------------------------------------------


async def test_topic_link_with_language(world: World) -> None:
    reader = world.user("Reader", "ru")
    await reader.send("/start canwfz_en")
    assert "Central Asian nuclear-weapon-free zone" in world.last_text(reader.private)
    await reader.send("/help")
    assert "What I can do" in world.last_text(reader.private), "the link set English"


async def test_quiz_link_starts_a_private_round(world: World) -> None:
    student = world.user("Student", "kk")
    await student.send("/start quiz-canwfz")
    poll = world.last(student.private)
    assert poll.poll_id is not None
    assert world.telegram.polls[poll.poll_id].question.startswith("[1/2] ")


async def test_startgroup_quiz_link_opens_a_lobby_on_the_topic(world: World) -> None:
    teacher = world.user("Teacher", "ru")
    group = world.group("Class", {teacher: "creator"})
    await teacher.send("/start quiz-canwfz", chat=group)
    lobby = world.last_text(group)
    assert "Викторина в группе" in lobby and "Зона, свободная от ядерного оружия" in lobby


async def test_subscribe_link(world: World, services: Services) -> None:
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    await alice.send("/start subscribe")
    assert await services.reminders.repo.get(alice.id) is not None
    group = world.group("Class", {alice: "creator", bob: "member"})
    await bob.send("/start subscribe", chat=group)
    assert await services.reminders.repo.get(group["id"]) is None, "members cannot subscribe"


@pytest.mark.parametrize("payload", ["nonsense", "quiz-atlantis_en", "x" * 80, "canwfz_de", "%%%"])
async def test_invalid_payloads_fall_back_to_the_greeting(world: World, payload: str) -> None:
    alice = world.user("Alice", "en")
    await alice.send(f"/start {payload}")
    assert world.last_text(alice.private).startswith("Hello, Alice")


# ---- inline mode -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("ru", "полигон", "Семипалатинск"),
        ("en", "CANWFZ treaty", "CANWFZ"),
        ("kk", "полигон", "Семей"),
    ],
)
async def test_inline_search_in_three_languages(
    world: World, lang: str, query: str, expected: str
) -> None:
    user = world.user("U", lang)
    requests = await user.inline(query)
    [answer] = [r for r in requests if r.method == "answerInlineQuery"]
    assert answer.params["is_personal"] is True and answer.params["cache_time"] == 300
    results = answer.params["results"]
    assert results, "something matches"
    shared = results[0]["input_message_content"]["message_text"]
    assert expected in shared
    assert results[0]["reply_markup"]["inline_keyboard"][0][0]["url"].startswith(
        "https://t.me/nwfz_test_bot?start="
    )


async def test_inline_empty_query_offers_fact_of_the_day_and_next_anniversary(
    world: World,
) -> None:
    user = world.user("U", "en")
    requests = await user.inline("")
    [answer] = [r for r in requests if r.method == "answerInlineQuery"]
    titles = [result["title"] for result in answer.params["results"]]
    assert titles[0] == "💡 Fact of the day"
    assert titles[1].startswith("🗓 Next anniversary")


async def test_the_fact_of_the_day_turns_at_midnight_in_almaty_not_in_utc(
    world: World, clock: FakeClock, catalog: Catalog
) -> None:
    user = world.user("U", "en")

    async def fact_shared() -> str:
        [answer] = [r for r in await user.inline("") if r.method == "answerInlineQuery"]
        return str(answer.params["results"][0]["id"])

    clock.set(datetime(2026, 11, 22, 18, 59, tzinfo=UTC))  # 23:59 on 22 November in Almaty
    evening = await fact_shared()
    clock.set(datetime(2026, 11, 22, 19, 1, tzinfo=UTC))  # 00:01 on the 23rd; UTC: still the 22nd
    after_midnight = await fact_shared()
    for shared, day in ((evening, date(2026, 11, 22)), (after_midnight, date(2026, 11, 23))):
        fact = fact_of_the_day(catalog, day)
        assert fact is not None and shared == f"fact-of-day:{fact.id}"
    assert after_midnight != evening, "a new day in Almaty brings a new fact"


# ---- the timeline picture ----------------------------------------------------------------------


async def test_timeline_picture_is_rendered_once_and_reused(world: World) -> None:
    alice = world.user("Alice", "kk")
    await alice.send("/timeline")
    first = await alice.tap("🖼")
    [photo] = [r for r in first if r.method == "sendPhoto"]
    [(_, data)] = photo.files.values()
    assert png_size(data) == (1600, 900) and len(data) < 1_000_000
    assert "1947" in photo.params["caption"]
    second = await alice.tap("🖼")
    [again] = [r for r in second if r.method == "sendPhoto"]
    assert not again.files and str(again.params["photo"]).startswith("photo-"), "file_id reused"


# ---- Kazakh everywhere -------------------------------------------------------------------------


async def test_a_kazakh_user_and_a_kazakh_group_through_every_command(
    world: World, services: Services
) -> None:
    kk = services.catalog.ui.strings["kk"]
    student = world.user("Әлия", "kk")
    admin = world.user("Ерлан", "kk")
    group = world.group("Сынып", {admin: "creator", student: "member"})
    await admin.send("/language", chat=group)
    await admin.tap("Қазақша", chat=group)
    for command in commands_for(Where.PRIVATE):
        await student.send(f"/{command.name}")
    for command in commands_for(Where.GROUP):
        if command.name not in {"stop"}:
            await admin.send(f"/{command.name}", chat=group)
    texts = [m.text or "" for m in world.messages(student.private) + world.messages(group)]
    header = str(kk["help.header"]).replace("<b>", "").replace("</b>", "")
    assert any(header in text for text in texts), "kk interface strings are used"
    russian_only = [t for t in texts if "Здравствуйте" in t or "Что я умею" in t]
    assert not russian_only, "no Russian fallback for a Kazakh user or group"


# ---- start-up, webhook, logs, /admin -----------------------------------------------------------


async def test_startup_checks_the_token_and_sets_menus_in_three_languages(world: World) -> None:
    await emit_startup(world.dispatcher, world.bot)
    methods = [r.method for r in world.telegram.requests]
    assert methods[0] == "getMe"
    menus = world.telegram.commands
    for lang in ("ru", "en", "kk"):
        private = menus[('{"type": "all_private_chats"}', lang)]
        assert [c["command"] for c in private] == [c.name for c in commands_for(Where.PRIVATE)]
        assert menus[('{"type": "all_group_chats"}', lang)]
    assert "admin" not in str(menus)


async def test_webhook_checks_the_secret_and_serves_health(
    world: World, services: Services
) -> None:
    app = create_web_app(services, world.bot, world.dispatcher, path="/telegram", secret="s3cr3t")
    alice = world.user("Alice", "en")
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 0, "chat": alice.private, "from": alice.user,
            "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }  # fmt: skip
    async with TestClient(TestServer(app)) as client:
        refused = await client.post("/telegram", json=update)
        assert refused.status == 401
        wrong = await client.post(
            "/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
        )
        assert wrong.status == 401
        assert world.messages(alice.private) == [], "nothing processed without the secret"
        accepted = await client.post(
            "/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cr3t"}
        )
        assert accepted.status == 200
        assert "What I can do" in world.last_text(alice.private)
        health = await client.get("/healthz")
        assert health.status == 200
        assert (await health.json())["database"] == {"backend": services.db.backend, "ok": True}


async def test_logs_name_the_update_and_never_the_token(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    token = world.telegram.token
    configure_logging(logging.INFO, "json", token)
    try:
        alice = world.user("Alice", "en")
        await alice.send("/fact")
        logging.getLogger("test").error(
            "request to https://api.telegram.org/bot%s/getMe failed", token
        )
        try:
            raise RuntimeError(f"boom with {token}")
        except RuntimeError:
            logging.getLogger("test").exception("oops")
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert token not in err and token.split(":")[1] not in err
    assert '"kind": "message"' in err and "handlers.library.content.cmd_fact" in err
    assert "<token>" in err


async def test_admin_is_for_owners_only(world: World, services: Services) -> None:
    owner = world.user("Owner", "en")
    owner.user["id"] = 424242  # BOT_ADMIN_IDS in the test settings
    owner.private["id"] = 424242
    world.telegram.add_chat(owner.private)
    stranger = world.user("Stranger", "en")
    await owner.send("/admin")
    assert "Owner's report" in world.last_text(owner.private)
    await stranger.send("/admin")
    assert "I don't know the command /admin" in world.last_text(stranger.private)
