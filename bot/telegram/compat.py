"""The newer Bot API features the bot uses, and what it sends to a server that lacks them.

| feature | Bot API | on a server without it |
|---|---|---|
| button ``style`` | 9.4 | the style is dropped |
| ``<tg-time>`` (a ``date_time`` entity) | 9.5 | the tag's own text, written in the chat's zone |
| poll ``allows_revoting`` | 9.6 | dropped (quizzes never allowed it before) |
| poll ``hide_results_until_closes`` | 9.6 | dropped: votes show as they come |
| poll ``shuffle_options`` | 9.6 | dropped: everyone sees the bot's order |
| poll ``description`` | 9.6 | dropped: the explanation still cites |
| poll ``media`` | 10.0 | ``PollMediaUnsupported``: the picture goes first as a photo |
| ephemeral messages | 10.3 | ``EphemeralUnsupported``: the verdict becomes an alert |
| ``disabled`` buttons | 10.3 | the disabled buttons are dropped (an empty keyboard goes) |

A server that does not know a field answers 400 naming it (``field "x" is not supported``; an
older ``tg-time``-less parser fails on the tag). The middleware then remembers the feature as
missing for the life of the process and sends the same request again without it, so each
feature costs at most one refused request and nothing the user should see is lost. Two have no
equivalent a middleware could send: a private verdict becomes an alert, which only its caller
can give, and a poll's picture goes as a photo message before the poll, which only the quiz
knows to send. Their requests raise a ``FeatureUnsupported`` for the caller to catch, and later
ones raise it without a request. A server that silently ignores the ephemeral parameter would
post the message to the whole group: the answer then has no ``ephemeral_message_id``, the
message is deleted at once and the same exception raised.
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import SendPoll, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)

_TG_TIME = re.compile(r"<tg-time\b[^>]*>(.*?)</tg-time>", re.DOTALL)
_TEXT_FIELDS = ("text", "caption")


class Feature(StrEnum):
    """Each value is the name a refusing server quotes."""

    STYLE = "style"
    DATE_TIME = "tg-time"
    POLL_REVOTING = "allows_revoting"
    POLL_HIDDEN_RESULTS = "hide_results_until_closes"
    POLL_SHUFFLE = "shuffle_options"
    POLL_DESCRIPTION = "description"
    POLL_MEDIA = "media"
    EPHEMERAL = "ephemeral_message_parameters"
    DISABLED = "disabled"


# Fields of sendPoll, left out by setting them to None (aiogram sends no None). Checked on
# sendPoll only: other methods have a ``description`` or ``media`` of their own.
POLL_FIELDS = frozenset(
    {
        Feature.POLL_REVOTING,
        Feature.POLL_HIDDEN_RESULTS,
        Feature.POLL_SHUFFLE,
        Feature.POLL_DESCRIPTION,
        Feature.POLL_MEDIA,
    }
)


class FeatureUnsupported(Exception):
    """The server lacks a feature that only the caller can replace."""


class EphemeralUnsupported(FeatureUnsupported):
    """The server cannot send a message that only one member of a group sees."""


class PollMediaUnsupported(FeatureUnsupported):
    """The server cannot send a poll with a picture."""


_LEFT_TO_CALLER: dict[Feature, type[FeatureUnsupported]] = {
    Feature.EPHEMERAL: EphemeralUnsupported,
    Feature.POLL_MEDIA: PollMediaUnsupported,
}


def plain_moments(text: str) -> str:
    """``text`` with every ``<tg-time>`` tag replaced by the text it wraps."""
    return _TG_TIME.sub(r"\1", text)


def _buttons(method: TelegramMethod[Any]) -> list[InlineKeyboardButton]:
    markup = getattr(method, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    return [button for row in markup.inline_keyboard for button in row]


def uses(method: TelegramMethod[Any], feature: Feature) -> bool:
    match feature:
        case Feature.STYLE:
            return any(button.style is not None for button in _buttons(method))
        case Feature.DISABLED:
            return any(button.disabled is not None for button in _buttons(method))
        case Feature.DATE_TIME:
            return any(
                "<tg-time" in str(getattr(method, name, None) or "") for name in _TEXT_FIELDS
            )
        case Feature.EPHEMERAL:
            return getattr(method, "ephemeral_message_parameters", None) is not None
        case _:
            return isinstance(method, SendPoll) and getattr(method, feature.value) is not None


def without(
    method: TelegramMethod[TelegramType], feature: Feature
) -> TelegramMethod[TelegramType]:
    """The same request without ``feature`` (never called for those left to the caller)."""
    if feature in POLL_FIELDS:
        return method.model_copy(update={feature.value: None})
    if feature == Feature.DATE_TIME:
        changed: dict[str, Any] = {
            name: plain_moments(value)
            for name in _TEXT_FIELDS
            if isinstance(value := getattr(method, name, None), str)
        }
        return method.model_copy(update=changed)
    markup = getattr(method, "reply_markup", None)
    assert isinstance(markup, InlineKeyboardMarkup)  # uses(method, feature) said so
    rows: list[list[InlineKeyboardButton]] = []
    for row in markup.inline_keyboard:
        if feature == Feature.DISABLED:
            kept = [button for button in row if button.disabled is None]
        else:
            kept = [button.model_copy(update={"style": None}) for button in row]
        if kept:
            rows.append(kept)
    keyboard = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    return method.model_copy(update={"reply_markup": keyboard})


def refused(error: TelegramBadRequest, method: TelegramMethod[Any]) -> Feature | None:
    """The feature of ``method`` that the server said it does not know, if any: the one place
    that reads Telegram's refusals of a newer feature."""
    text = error.message
    # The words first: most refusals name no feature ("message is not modified" when a button
    # is pressed twice), and reading the request for each feature costs more.
    for feature, words in _REFUSED_IN:
        if any(word in text for word in words) and uses(method, feature):
            return feature
    return None


# How a server that lacks a feature says so, besides naming it in quotes.
_OTHER_WORDS: dict[Feature, tuple[str, ...]] = {
    Feature.DATE_TIME: ('Unsupported start tag "tg-time"',),
    # A server that ignores ``disabled`` sees a button with nothing to do.
    Feature.DISABLED: ("Text buttons are unallowed",),
}
_REFUSED_IN: tuple[tuple[Feature, tuple[str, ...]], ...] = tuple(
    (feature, (f'"{feature}"', *_OTHER_WORDS.get(feature, ()))) for feature in Feature
)


class BotApiCompat(BaseRequestMiddleware):
    """Registered before the rate limiter, so a request sent again is paced again."""

    def __init__(self) -> None:
        self.missing: set[Feature] = set()

    def _adapted(self, method: TelegramMethod[TelegramType]) -> TelegramMethod[TelegramType]:
        for feature in self.missing:
            if uses(method, feature):
                if feature in _LEFT_TO_CALLER:
                    raise _LEFT_TO_CALLER[feature]
                method = without(method, feature)
        return method

    def _learn(self, feature: Feature) -> None:
        self.missing.add(feature)
        log.warning("the Bot API server lacks %s: falling back from now on", feature.value)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        # One refusal per feature at most: the loop ends when nothing more is refused.
        for _ in range(len(Feature) + 1):
            method = self._adapted(method)
            try:
                response = await make_request(bot, method)
            except TelegramBadRequest as error:
                feature = refused(error, method)
                if feature is None:
                    raise
                self._learn(feature)
                continue
            # Despite the annotation, sessions hand back the result itself, not a Response.
            await self._check_ephemeral(bot, method, response)
            return response
        raise AssertionError("unreachable: every feature can be refused only once")

    async def _check_ephemeral(
        self, bot: Bot, method: TelegramMethod[Any], result: object
    ) -> None:
        if not uses(method, Feature.EPHEMERAL) or not isinstance(result, Message):
            return
        if result.ephemeral_message_id is not None:
            return
        # The server ignored the parameter and showed the message to the whole group.
        self._learn(Feature.EPHEMERAL)
        await bot.delete_message(result.chat.id, result.message_id)
        raise EphemeralUnsupported
