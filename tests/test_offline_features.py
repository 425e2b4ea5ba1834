"""The offline Telegram enforces the newer Bot API features as documented: ephemeral messages
(10.3), button styles (9.4) and disabled buttons (10.3), switch_inline_query_chosen_chat, the
date_time entity (9.5) in HTML, the descriptions' lengths per language; an older version
refuses the fields it does not have."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.offline.telegram import FakeTelegram
from tests.conftest import START

ALICE = {"id": 7, "is_bot": False, "first_name": "Alice"}
BOB = {"id": 8, "is_bot": False, "first_name": "Bob"}
GROUP = {"id": -100, "type": "supergroup", "title": "Delegates"}


@pytest.fixture
def server() -> FakeTelegram:
    telegram = FakeTelegram(FakeClock(START))
    telegram.add_chat(GROUP)
    telegram.add_chat({"id": ALICE["id"], "type": "private", "first_name": "Alice"})
    telegram.set_member(GROUP["id"], telegram.bot_user, "member")
    telegram.set_member(GROUP["id"], ALICE, "member")
    telegram.set_member(GROUP["id"], BOB, "left")
    return telegram


def call(server: FakeTelegram, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """A request as a Bot API server receives it: objects as JSON, the rest as text."""
    raw = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in params.items()
    }
    return server.handle(server.token, method, raw)


def send(server: FakeTelegram, chat: int, **params: Any) -> tuple[int, dict[str, Any]]:
    return call(server, "sendMessage", **{"chat_id": str(chat), "text": "hi", **params})


def button(**fields: Any) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "A", **fields}]]}


def test_an_ephemeral_message_is_seen_by_its_receiver_alone(server: FakeTelegram) -> None:
    status, answer = send(
        server, GROUP["id"], ephemeral_message_parameters={"receiver_user_id": 7}
    )
    assert status == 200
    result = answer["result"]
    assert result["message_id"] == 0 and result["ephemeral_message_id"] >= 1
    assert result["receiver_user"]["id"] == 7
    [stored] = server.messages.values()
    assert stored.receiver_id == 7


@pytest.mark.parametrize(
    ("chat", "ephemeral", "error"),
    [
        (7, {"receiver_user_id": 7}, "only to group and supergroup chats"),
        (-100, {"receiver_user_id": 8}, "USER_NOT_PARTICIPANT"),  # Bob left
        (-100, {"receiver_user_id": 9}, "USER_NOT_PARTICIPANT"),  # never a member
        (-100, {"receiver_user_id": 7, "callback_query_id": "42"}, "QUERY_ID_INVALID"),
        (-100, {"receiver_user_id": 7, "replace_callback_query_message": True}, "needs the"),
    ],
)
def test_an_ephemeral_message_needs_a_member_receiver_and_their_own_query(
    server: FakeTelegram, chat: int, ephemeral: dict[str, Any], error: str
) -> None:
    status, answer = send(server, chat, ephemeral_message_parameters=ephemeral)
    assert status == 400 and error in answer["description"]
    assert server.violations, "a breach is recorded even if the bot swallows the error"


def test_an_ephemeral_answer_to_someone_elses_press_is_refused(server: FakeTelegram) -> None:
    server.callback_senders["5"] = (8, GROUP["id"], 3)  # Bob pressed, not Alice
    ephemeral = {"receiver_user_id": 7, "callback_query_id": "5"}
    status, _ = send(server, GROUP["id"], ephemeral_message_parameters=ephemeral)
    assert status == 400


@pytest.mark.parametrize(
    ("markup", "ok"),
    [
        (button(callback_data="x", style="success"), True),
        (button(callback_data="x", style="primary"), True),
        (button(callback_data="x", style="danger"), True),
        (button(callback_data="x", style="red"), False),
        (button(disabled={}), True),
        (button(disabled={}, style="danger"), True),
        (button(disabled={}, callback_data="x"), False),  # two actions
        (button(switch_inline_query_chosen_chat={"query": "q", "allow_group_chats": True}), True),
        (button(switch_inline_query_chosen_chat={"query": "q"}), False),
        (button(switch_inline_query_chosen_chat={"allow_user_chats": False}), False),
    ],
)
def test_button_fields_are_checked(server: FakeTelegram, markup: dict[str, Any], ok: bool) -> None:
    status, _ = send(server, 7, reply_markup=markup)
    assert (status == 200) == ok
    assert bool(server.violations) != ok


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ('at <tg-time unix="1795338000" format="t">09:00</tg-time>', "at 09:00"),
        ('<tg-time unix="1795338000" format="r">in 30 s</tg-time>', "in 30 s"),
        ('<tg-time unix="1795338000" format="wDT">Sun</tg-time>', "Sun"),
        ('<tg-time unix="1795338000">09:00</tg-time>', "09:00"),
        ('<tg-time unix="1795338000" format="rt">09:00</tg-time>', None),
        ('<tg-time unix="1795338000" format="tD">09:00</tg-time>', None),
        ('<tg-time format="t">09:00</tg-time>', None),
        ('<tg-time unix="soon" format="t">09:00</tg-time>', None),
    ],
)
def test_the_date_time_tag_is_checked(server: FakeTelegram, html: str, shown: str | None) -> None:
    status, answer = send(server, 7, text=html, parse_mode="HTML")
    if shown is None:
        assert status == 400 and "tg-time" in answer["description"]
    else:
        assert status == 200 and answer["result"]["text"] == shown


@pytest.mark.parametrize(
    ("method", "field", "limit"),
    [
        ("setMyDescription", "description", 512),
        ("setMyShortDescription", "short_description", 120),
    ],
)
def test_descriptions_are_kept_per_language_within_their_length(
    server: FakeTelegram, method: str, field: str, limit: int
) -> None:
    kept = server.descriptions if field == "description" else server.short_descriptions
    assert call(server, method, **{field: "x" * limit, "language_code": "kk"})[0] == 200
    assert call(server, method, **{field: "y"})[0] == 200
    assert kept == {"kk": "x" * limit, "": "y"}
    assert call(server, method, **{field: "x" * (limit + 1)})[0] == 400
    assert call(server, method, **{field: "x", "language_code": "kaz"})[0] == 400


@pytest.mark.parametrize(
    ("version", "params", "refused"),
    [
        ((9, 3), {"reply_markup": button(callback_data="x", style="success")}, "style"),
        ((10, 2), {"reply_markup": button(disabled={})}, "disabled"),
        ((10, 2), {"ephemeral_message_parameters": {"receiver_user_id": 7}}, "ephemeral"),
        ((9, 4), {"text": '<tg-time unix="1" format="t">1</tg-time>', "parse_mode": "HTML"},
         'Unsupported start tag "tg-time"'),
    ],
)  # fmt: skip
def test_an_older_server_refuses_what_it_does_not_know(
    server: FakeTelegram, version: tuple[int, int], params: dict[str, Any], refused: str
) -> None:
    server.api_version = version
    status, answer = send(server, GROUP["id"], **params)
    assert status == 400 and refused in answer["description"]
    server.api_version = (10, 3)
    assert send(server, GROUP["id"], **params)[0] == 200


@pytest.mark.parametrize(("version", "ephemeral"), [((10, 2), False), ((10, 3), True)])
def test_a_server_set_to_ignore_the_unknown_ephemeral_parameter_posts_to_everyone(
    server: FakeTelegram, version: tuple[int, int], ephemeral: bool
) -> None:
    server.ignores_unknown_ephemeral = True
    server.api_version = version
    status, answer = send(
        server, GROUP["id"], ephemeral_message_parameters={"receiver_user_id": 7}
    )
    assert status == 200
    assert ("ephemeral_message_id" in answer["result"]) is ephemeral
    [stored] = server.messages.values()
    assert (stored.receiver_id == 7) is ephemeral, "a server that knows it keeps it private"
