"""What the Bot API emulator keeps and answers with: limits, errors, stored messages and polls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiogram.types import ChatMemberAdministrator

# Fields that are text even when they look like JSON ("123" is a valid message).
TEXT_FIELDS = {
    "text", "caption", "question", "explanation", "callback_query_id", "inline_query_id",
    "parse_mode", "question_parse_mode", "explanation_parse_mode", "title", "description",
    "short_description", "name", "url", "secret_token", "language_code", "next_offset",
    "action", "emoji",
}  # fmt: skip


SEND_METHODS = {"sendMessage", "sendPoll", "sendDocument", "sendPhoto"}


EDIT_METHODS = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption", "stopPoll"}


MESSAGE_MAX = 4096


CAPTION_MAX = 1024


CALLBACK_DATA_MAX_BYTES = 64


CALLBACK_ANSWER_MAX = 200


POLL_QUESTION_MAX = 300


POLL_OPTION_MAX = 100


POLL_OPTIONS_MAX = 12


POLL_EXPLANATION_MAX = 200


POLL_DESCRIPTION_MAX = 1024


# InputPollMedia: what a poll's own media may be (stickers and links are for options only).
POLL_MEDIA_TYPES = frozenset(
    {"animation", "audio", "document", "live_photo", "location", "photo", "venue", "video"}
)
# What a real picture starts with (PNG, JPEG): Telegram refuses bytes it cannot decode.
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


INLINE_ROW_MAX = 8


INLINE_BUTTONS_MAX = 100


INLINE_RESULTS_MAX = 50


DESCRIPTION_MAX = 512


SHORT_DESCRIPTION_MAX = 120


BUTTON_STYLES = frozenset({"success", "danger", "primary"})


# The Bot API version the emulator speaks unless a test asks for an older one, and the version
# that brought each newer field the bot sends (an older server rejects them: see state.py).
API_VERSION = (10, 3)
FIELD_SINCE: dict[str, tuple[int, int]] = {
    "style": (9, 4),
    "tg-time": (9, 5),
    "ephemeral_message_parameters": (10, 3),
    "disabled": (10, 3),
    "allows_revoting": (9, 6),
    "shuffle_options": (9, 6),
    "hide_results_until_closes": (9, 6),
    "description": (9, 6),
    "media": (10, 0),
}


class TelegramError(Exception):
    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters or {}

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class SimulatedCrash(BaseException):
    """The bot's process dies: raised instead of a request that never leaves (kill -9 tests).
    A BaseException, so no ``except Exception`` in the bot can swallow it."""


def bad_request(description: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {description}")


@dataclass
class RateLimits:
    """Telegram's flood limits, each counted when a request arrives over a strict sliding
    window: any second for the whole bot and a private chat, any minute for a group."""

    overall_per_second: int = 30
    group_per_minute: int = 20
    # Telegram lets short bursts through in a private chat and throttles sustained traffic
    # above about 1/s, so by default it is not enforced (a test may lift the bot's own pacing
    # to look at something else, such as flood control). ``strict()`` enforces 1 in any
    # second, the strict end of Telegram's behaviour: the HTTP server and the burst test.
    private_per_second: int | None = None

    @classmethod
    def strict(cls) -> RateLimits:
        return cls(private_per_second=1)


@dataclass
class Request:
    method: str
    params: dict[str, Any]
    at: datetime
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    error: str | None = None


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    date: int
    text: str | None = None  # parsed plain text (what the user sees)
    html: str | None = None  # as sent
    reply_markup: dict[str, Any] | None = None
    poll_id: str | None = None
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    caption: str | None = None
    from_bot: bool = True
    deleted: bool = False
    # An ephemeral message: only this user sees it, in place of ``replaces`` if that is set.
    receiver_id: int | None = None
    ephemeral_id: int | None = None
    replaces: int | None = None

    def buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", [])
        return [button for row in rows for button in row]


@dataclass
class FakePoll:
    id: str
    chat_id: int
    message_id: int
    question: str
    options: list[str]
    type: str
    is_anonymous: bool
    correct_option_ids: list[int] | None
    explanation: str | None
    closes_at: datetime | None
    closed: bool = False
    answers: dict[int, list[int]] = field(default_factory=dict)
    allows_revoting: bool = False
    shuffle_options: bool = False  # each voter sees the options in an order of their own
    hide_results_until_closes: bool = False
    description: str | None = None
    photo: bytes | None = None  # the poll's media, when it is a photo


def poll_payload(poll: FakePoll, closed: bool) -> dict[str, Any]:
    """The poll as everyone sees it: with ``hide_results_until_closes``, no counts (not even
    how many voted) until it closes (``closed``: by stopPoll or its open period)."""
    counts = [0] * len(poll.options)
    shown = poll.answers if closed or not poll.hide_results_until_closes else {}
    for option_ids in shown.values():
        for option in option_ids:
            counts[option] += 1
    payload: dict[str, Any] = {
        "id": poll.id,
        "question": poll.question,
        "options": [
            {"persistent_id": str(i), "text": text, "voter_count": counts[i]}
            for i, text in enumerate(poll.options)
        ],
        "total_voter_count": len(shown),
        "is_closed": closed,
        "is_anonymous": poll.is_anonymous,
        "type": poll.type,
        "allows_multiple_answers": False,
        "allows_revoting": poll.allows_revoting,
        "members_only": False,
    }
    if poll.description is not None:
        payload["description"] = poll.description
    if poll.photo is not None:
        payload["media"] = {
            "photo": [
                {"file_id": f"pollphoto-{poll.id}", "file_unique_id": f"upoll-{poll.id}",
                 "width": 1600, "height": 900, "file_size": len(poll.photo)}
            ]
        }  # fmt: skip
    if poll.correct_option_ids is not None:
        payload["correct_option_ids"] = poll.correct_option_ids
    if poll.explanation is not None:
        payload["explanation"] = poll.explanation
    return payload


@dataclass
class Participant:
    user: dict[str, Any]
    status: str = "member"  # creator / administrator / member / left / kicked


def administrator_rights() -> dict[str, bool]:
    """Every required flag of an administrator (the set grows with each Bot API version)."""
    return {
        name: name.startswith("can_manage") or name in {"can_delete_messages", "can_invite_users"}
        for name, info in ChatMemberAdministrator.model_fields.items()
        if info.is_required() and name not in {"user", "status"}
    }


def decode_field(key: str, value: str) -> Any:
    if key in TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
