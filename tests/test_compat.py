"""The one fallback for newer Bot API features (bot.telegram.compat): a server that lacks some of
them refuses each once, and the requests that follow go without it, or raise for the caller.

The end-to-end tests drive it through the offline Telegram (test_quiz_polls, test_interaction_e2e);
here any set of missing features meets requests that use all of them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import SendMessage, SendPoll, SetMyDescription, TelegramMethod
from aiogram.types import (
    DisabledButton,
    EphemeralMessageParameters,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    InputPollOption,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.compat import (
    BotApiCompat,
    EphemeralUnsupported,
    Feature,
    FeatureUnsupported,
    PollMediaUnsupported,
    refused,
)

BOT = Bot("42:TEST-compat")
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="A", callback_data="a", style="success")],
        [InlineKeyboardButton(text="B", callback_data="b", disabled=DisabledButton())],
    ]
)
MESSAGE = SendMessage(
    chat_id=-100, text='at <tg-time unix="1" format="t">09:00</tg-time>', reply_markup=KEYBOARD
)
PRIVATE = SendMessage(
    chat_id=-100, text="only you",
    ephemeral_message_parameters=EphemeralMessageParameters(receiver_user_id=7),
)  # fmt: skip
POLL = SendPoll(
    chat_id=-100, question="?", options=[InputPollOption(text="a"), InputPollOption(text="b")],
    type="quiz", correct_option_ids=[0], allows_revoting=False, hide_results_until_closes=True,
    shuffle_options=True, description="context",
)  # fmt: skip
PICTURE_POLL = POLL.model_copy(update={"media": InputMediaPhoto(media="file-id")})


def refusal(method: TelegramMethod[Any], field: str) -> TelegramBadRequest:
    return TelegramBadRequest(method, f'Bad Request: field "{field}" is not supported')


class OlderServer:
    """Refuses the first field it lacks that a request carries, as Telegram names it."""

    def __init__(self, lacks: set[Feature]) -> None:
        self.lacks = lacks
        self.refusals: list[Feature] = []

    async def __call__(self, bot: Bot, method: TelegramMethod[Any]) -> object:
        for feature in sorted(self.lacks):
            if feature == Feature.DATE_TIME and "<tg-time" in str(getattr(method, "text", "")):
                self.refusals.append(feature)
                raise TelegramBadRequest(
                    method, 'Bad Request: can\'t parse entities: Unsupported start tag "tg-time"'
                )
            if feature in carried(method):
                self.refusals.append(feature)
                raise refusal(method, feature.value)
        return True


def carried(method: TelegramMethod[Any]) -> set[Feature]:
    """The newer fields of ``method`` as they would go on the wire (None is left out)."""
    sent = method.model_dump(exclude_none=True)
    fields = {Feature(name) for name in sent if name in set(Feature) and name != "description"}
    if isinstance(method, SendPoll) and "description" in sent:
        fields.add(Feature.POLL_DESCRIPTION)
    for row in sent.get("reply_markup", {}).get("inline_keyboard", []):
        fields |= {Feature(name) for button in row for name in button if name in set(Feature)}
    return fields


@settings(max_examples=200, deadline=None)
@given(lacks=st.sets(st.sampled_from(list(Feature))), rounds=st.integers(1, 3))
def test_each_missing_feature_is_refused_once_and_never_sent_again(
    lacks: set[Feature], rounds: int
) -> None:
    server, compat = OlderServer(lacks), BotApiCompat()
    requests = [MESSAGE, POLL, PICTURE_POLL, PRIVATE]
    raised: list[type[FeatureUnsupported] | None] = []

    async def send_all() -> None:
        for method in requests * rounds:
            try:
                await compat(server, BOT, method)
            except FeatureUnsupported as error:
                raised.append(type(error))
            else:
                raised.append(None)

    asyncio.run(send_all())
    assert sorted(server.refusals) == sorted(lacks), "each missing feature refused once"
    assert compat.missing == lacks
    # Only the caller can replace a poll's picture or a private message.
    expected = [None, None, PollMediaUnsupported, EphemeralUnsupported]
    expected[2] = expected[2] if Feature.POLL_MEDIA in lacks else None
    expected[3] = expected[3] if Feature.EPHEMERAL in lacks else None
    assert raised == expected * rounds


async def test_what_the_server_lacks_is_left_out_and_the_rest_kept() -> None:
    sent: list[TelegramMethod[Any]] = []

    async def server(bot: Bot, method: TelegramMethod[Any]) -> object:
        sent.append(method)
        if len(sent) == 1:
            raise refusal(method, "shuffle_options")
        return True

    await BotApiCompat()(server, BOT, POLL)
    assert carried(sent[1]) == {
        Feature.POLL_REVOTING, Feature.POLL_HIDDEN_RESULTS, Feature.POLL_DESCRIPTION,
    }  # fmt: skip
    assert sent[1].model_copy(update={"shuffle_options": True}) == POLL, "nothing else changed"


@pytest.mark.parametrize(
    ("method", "field", "feature"),
    [
        (POLL, "description", Feature.POLL_DESCRIPTION),
        (PICTURE_POLL, "media", Feature.POLL_MEDIA),
        # Not a poll's: setMyDescription's own description is nothing a fallback could drop.
        (SetMyDescription(description="hello"), "description", None),
        (MESSAGE, "ephemeral_message_parameters", None),  # a field this request does not use
        (PRIVATE, "ephemeral_message_parameters", Feature.EPHEMERAL),
    ],
)
def test_a_refusal_is_read_as_the_feature_the_request_used(
    method: TelegramMethod[Any], field: str, feature: Feature | None
) -> None:
    assert refused(refusal(method, field), method) == feature
