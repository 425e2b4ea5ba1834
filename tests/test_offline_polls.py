"""The offline Telegram's sendPoll as Bot API 9.6-10.3 documents it: the description (0-1,024
characters after entity parsing), poll media (allowed types, a real picture or a known file_id),
the yes/no options and hidden results, and an older server that refuses what it does not know."""

from __future__ import annotations

import json

import pytest

from bot.offline.records import poll_payload
from bot.offline.telegram import FakeTelegram
from tests.vocabulary import PNG_SIGNATURE

CHAT = -1_000_000_000_777


@pytest.fixture
def server(telegram: FakeTelegram) -> FakeTelegram:
    telegram.add_chat({"id": CHAT, "type": "supergroup", "title": "Delegates"})
    return telegram


def send_poll(
    telegram: FakeTelegram, files: dict[str, tuple[str, bytes]] | None = None, **extra: object
) -> tuple[int, dict[str, object]]:
    params = {
        "chat_id": str(CHAT), "question": "Which?", "type": "quiz", "is_anonymous": "false",
        "options": json.dumps([{"text": "A"}, {"text": "B"}, {"text": "C"}]),
        "correct_option_ids": "[1]", "open_period": "20",
    }  # fmt: skip
    params |= {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in extra.items()
    }
    return telegram.handle(telegram.token, "sendPoll", params, files)


def test_the_description_is_0_to_1024_characters_after_parsing(server: FakeTelegram) -> None:
    tags = "<b>" + "x" * 1018 + "</b>"  # the tags are not counted
    status, answer = send_poll(server, description=tags + " 1,024", description_parse_mode="HTML")
    assert status == 200 and len(answer["result"]["poll"]["description"]) == 1024  # type: ignore[index]
    status, answer = send_poll(server, description="x" * 1025)
    assert (status, answer["description"]) == (400, "Bad Request: poll description is too long")
    status, answer = send_poll(server, description="a < b", description_parse_mode="HTML")
    assert status == 400 and "can't parse entities" in str(answer["description"])


def test_poll_media_must_be_an_allowed_type_and_a_real_picture(server: FakeTelegram) -> None:
    png = PNG_SIGNATURE + b"rest of a picture"
    status, answer = send_poll(
        server, {"pic": ("p.png", png)}, media={"type": "photo", "media": "attach://pic"}
    )
    assert status == 200
    file_id = answer["result"]["poll"]["media"]["photo"][0]["file_id"]  # type: ignore[index]
    assert send_poll(server, media={"type": "photo", "media": file_id})[0] == 200
    refused = {
        "a sticker": ({}, {"type": "sticker", "media": "attach://pic"}),
        "text as a picture": ({"pic": ("p.png", b"not an image")}, {"type": "photo",
                                                                   "media": "attach://pic"}),
        "an unknown file_id": ({}, {"type": "photo", "media": "pollphoto-404"}),
        "a missing upload": ({}, {"type": "photo", "media": "attach://gone"}),
    }  # fmt: skip
    for what, (files, media) in refused.items():
        assert send_poll(server, files, media=media)[0] == 400, what


def test_the_poll_options_are_booleans_and_hide_the_results(server: FakeTelegram) -> None:
    assert send_poll(server, shuffle_options="yes")[0] == 400
    _, answer = send_poll(
        server, hide_results_until_closes=True, allows_revoting=False, shuffle_options=True
    )
    poll = server.polls[answer["result"]["poll"]["id"]]  # type: ignore[index]
    assert poll.hide_results_until_closes and poll.shuffle_options and not poll.allows_revoting
    poll.answers = {1: [1], 2: [0]}
    assert poll_payload(poll, closed=False)["total_voter_count"] == 0
    assert [o["voter_count"] for o in poll_payload(poll, closed=True)["options"]] == [1, 1, 0]


def test_an_older_server_refuses_the_fields_it_does_not_know(server: FakeTelegram) -> None:
    server.api_version = (9, 5)
    status, answer = send_poll(server, hide_results_until_closes=True)
    assert status == 400
    assert (
        answer["description"] == 'Bad Request: field "hide_results_until_closes" is not supported'
    )
    assert send_poll(server)[0] == 200, "a plain quiz poll still goes"
    assert not server.violations, "an older server's refusal is not the bot breaking a limit"
