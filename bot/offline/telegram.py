"""The Bot API emulator: methods in, results or Telegram's own errors out.

``FakeTelegram.handle(method, params, files)`` takes what a Bot API server receives (form fields
as strings, JSON for objects) and answers what Telegram would, including Telegram's error texts.
Every breach of a hard limit is also recorded in ``violations`` so a test fails even when the
bot swallows the error; errors a test injects on purpose (``fail``) are not violations.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram.types import ChatMemberAdministrator, ChatMemberMember, ChatMemberOwner, User

from bot.clock import Clock
from bot.offline.telegram_html import HtmlParseError, parse_html

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
INLINE_ROW_MAX = 8
INLINE_BUTTONS_MAX = 100
INLINE_RESULTS_MAX = 50


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


@dataclass
class Participant:
    user: dict[str, Any]
    status: str = "member"  # creator / administrator / member / left / kicked


class FakeTelegram:
    def __init__(
        self,
        clock: Clock,
        *,
        bot_id: int = 777000111,
        username: str = "nwfz_test_bot",
        token: str | None = None,
        limits: RateLimits | None = None,
        keep_history: bool = True,
    ) -> None:
        self.clock = clock
        # Benchmarks with 100,000 chats turn history off so the fake's memory is not measured
        # as the bot's; the per-chat send counter is always kept.
        self.keep_history = keep_history
        self.sent_per_chat: Counter[int] = Counter()
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "NWFZ bot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.token = token or f"{bot_id}:TEST-offline-token"
        self.limits = limits or RateLimits()
        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.members: dict[int, dict[int, Participant]] = defaultdict(dict)
        self.blocked_by: set[int] = set()  # private chats whose user blocked the bot
        self.migrated: dict[int, int] = {}  # group id -> supergroup id
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.polls: dict[str, FakePoll] = {}
        self.open_callbacks: dict[str, bool] = {}  # query id -> answered
        self.inline_answers: dict[str, list[dict[str, Any]]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.updates: deque[dict[str, Any]] = deque()
        self.webhook_url: str | None = None
        self._failures: list[tuple[str | None, TelegramError, int]] = []
        # kill -9 simulation: after this many sendMessage calls, every request "never leaves".
        self.crash_after_messages: int | None = None
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1)
        )
        self._poll_ids = itertools.count(5_000_000_000_000_000_001)
        self._update_ids = itertools.count(1)
        self._sent_overall: deque[datetime] = deque()
        self._rate_windows: dict[int, deque[datetime]] = defaultdict(deque)
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("on_")
        }

    # ---- set-up helpers (actors register their chats) ---------------------------------------

    def add_chat(self, chat: dict[str, Any]) -> None:
        self.chats[chat["id"]] = chat

    def set_member(self, chat_id: int, user: dict[str, Any], status: str) -> None:
        self.members[chat_id][user["id"]] = Participant(user, status)

    def fail(
        self,
        method: str | None,
        status: int,
        description: str,
        *,
        times: int = 1,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (any method if None) fail like this."""
        parameters: dict[str, Any] = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        self._failures.append((method, TelegramError(status, description, parameters), times))

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        return update

    def next_update_id(self) -> int:
        return next(self._update_ids)

    # ---- the Bot API entry point ------------------------------------------------------------

    def handle(
        self,
        token: str,
        method: str,
        raw_params: dict[str, str],
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        crash_at = self.crash_after_messages
        if crash_at is not None and self.sent_per_chat.total() >= crash_at:
            raise SimulatedCrash
        params = {key: _decode(key, value) for key, value in raw_params.items()}
        request = Request(method, params, self.clock.now(), files or {})
        if self.keep_history:
            self.requests.append(request)
        try:
            if token != self.token:
                raise TelegramError(401, "Unauthorized")
            handler = self._handlers.get(method)
            if handler is None:
                self._violation(f"unknown method {method}")
                raise TelegramError(404, "Not Found")
            self._injected_failure(method)
            if method in SEND_METHODS or method in EDIT_METHODS:
                self._check_reachable(params)
                self._check_rate(params)
            result = handler(params) if not files else handler({**params, "_files": files})
        except TelegramError as error:
            request.error = error.description
            return error.status, error.payload()
        return 200, {"ok": True, "result": result}

    def _violation(self, message: str) -> None:
        self.violations.append(message)

    def _limit(self, condition: bool, description: str) -> None:
        if not condition:
            self._violation(description)
            raise bad_request(description)

    def _injected_failure(self, method: str) -> None:
        for index, (target, error, times) in enumerate(self._failures):
            if target in (None, method):
                if times <= 1:
                    del self._failures[index]
                else:
                    self._failures[index] = (target, error, times - 1)
                raise error

    def _check_reachable(self, params: dict[str, Any]) -> None:
        chat_id = int(params["chat_id"])
        if chat_id in self.migrated:
            raise TelegramError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat["type"] == "private" and chat_id in self.blocked_by:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        if chat["type"] != "private":
            me = self.members[chat_id].get(self.bot_user["id"])
            if me is not None and me.status in {"left", "kicked"}:
                raise TelegramError(403, "Forbidden: bot was kicked from the group chat")

    def _check_rate(self, params: dict[str, Any]) -> None:
        now = self.clock.now()
        chat_id = int(params["chat_id"])
        chat_type = self.chats[chat_id]["type"]
        overall = self._sent_overall
        while overall and now - overall[0] >= timedelta(seconds=1):
            overall.popleft()
        window, limit = timedelta(seconds=1), self.limits.private_per_second
        if chat_type in {"group", "supergroup"}:
            window, limit = timedelta(minutes=1), self.limits.group_per_minute
        per_chat = self._rate_windows[chat_id]
        while per_chat and now - per_chat[0] >= window:
            per_chat.popleft()
        if len(overall) >= self.limits.overall_per_second:
            self._too_many(overall[0] + timedelta(seconds=1) - now, "overall 30/s")
        if limit is not None and len(per_chat) >= limit:
            self._too_many(per_chat[0] + window - now, f"{limit} per {window} in chat {chat_id}")
        overall.append(now)
        per_chat.append(now)
        if len(self._rate_windows) > 50_000:  # a big fan-out: drop windows that have emptied
            for other in [
                c
                for c, sent in self._rate_windows.items()
                if now - sent[-1] >= timedelta(minutes=1)
            ]:
                del self._rate_windows[other]

    def _too_many(self, wait: timedelta, which: str) -> None:
        retry_after = max(1, int(wait.total_seconds() + 0.999))
        self._violation(f"429 flood limit exceeded ({which})")
        raise TelegramError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    # ---- validation helpers -----------------------------------------------------------------

    def _parsed(self, text: str | None, parse_mode: str | None, limit: int, what: str) -> str:
        if text is None:
            text = ""
        if parse_mode and parse_mode.upper() == "HTML":
            try:
                text = parse_html(text)
            except HtmlParseError as error:
                self._violation(f"can't parse entities: {error}")
                raise bad_request(f"can't parse entities: {error}") from error
        text = text.strip()
        if what == "message":
            self._limit(bool(text), "message text is empty")
            self._limit(len(text) <= limit, "message is too long")
        else:
            self._limit(len(text) <= limit, f"{what} is too long")
        return text

    def _markup(self, markup: dict[str, Any] | None) -> dict[str, Any] | None:
        if markup is None:
            return None
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup  # reply keyboards / force reply / remove: not used for limits here
        total = 0
        for row in rows:
            self._limit(len(row) <= INLINE_ROW_MAX, "reply markup is too long")
            for button in row:
                total += 1
                text = str(button.get("text", ""))
                self._limit(bool(text.strip()), "BUTTON_TEXT_INVALID")
                actions = [k for k in button if k not in {"text", "icon_custom_emoji_id", "style"}]
                data = button.get("callback_data")
                if data is not None:
                    size = len(str(data).encode("utf-8"))
                    self._limit(0 < size <= CALLBACK_DATA_MAX_BYTES, "BUTTON_DATA_INVALID")
                self._limit(
                    len(actions) == 1,
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard",
                )
        self._limit(total <= INLINE_BUTTONS_MAX, "reply markup is too long")
        return markup

    def _store(self, chat_id: int, **fields: Any) -> StoredMessage:
        message = StoredMessage(
            chat_id=chat_id,
            message_id=next(self._message_ids[chat_id]),
            date=int(self.clock.now().timestamp()),
            **fields,
        )
        if self.keep_history:
            self.messages[(chat_id, message.message_id)] = message
        return message

    def message_payload(self, message: StoredMessage) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self.chats[message.chat_id],
            "from": self.bot_user,
        }
        if message.text is not None:
            payload["text"] = message.text
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            payload["reply_markup"] = message.reply_markup
        if message.poll_id is not None:
            payload["poll"] = self.poll_payload(self.polls[message.poll_id])
        if message.document is not None:
            payload["document"] = {
                "file_id": f"doc-{message.chat_id}-{message.message_id}",
                "file_unique_id": f"udoc-{message.message_id}",
                "file_name": message.document[0],
                "file_size": len(message.document[1]),
            }
        if message.photo is not None:
            payload["photo"] = [
                {
                    "file_id": f"photo-{message.chat_id}-{message.message_id}",
                    "file_unique_id": f"uphoto-{message.message_id}",
                    "width": 1280,
                    "height": 720,
                    "file_size": len(message.photo),
                }
            ]
        if message.caption is not None:
            payload["caption"] = message.caption
        return payload

    def poll_payload(self, poll: FakePoll) -> dict[str, Any]:
        counts = [0] * len(poll.options)
        for option_ids in poll.answers.values():
            for option in option_ids:
                counts[option] += 1
        payload: dict[str, Any] = {
            "id": poll.id,
            "question": poll.question,
            "options": [
                {"persistent_id": str(i), "text": text, "voter_count": counts[i]}
                for i, text in enumerate(poll.options)
            ],
            "total_voter_count": len(poll.answers),
            "is_closed": poll.closed or self.poll_expired(poll),
            "is_anonymous": poll.is_anonymous,
            "type": poll.type,
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        if poll.correct_option_ids is not None:
            payload["correct_option_ids"] = poll.correct_option_ids
        if poll.explanation is not None:
            payload["explanation"] = poll.explanation
        return payload

    def poll_expired(self, poll: FakePoll) -> bool:
        return poll.closes_at is not None and self.clock.now() >= poll.closes_at

    def _existing(self, params: dict[str, Any], what: str = "message to edit") -> StoredMessage:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None or message.deleted:
            raise bad_request(f"{what} not found")
        return message

    # ---- methods ----------------------------------------------------------------------------

    def on_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def on_logOut(self, params: dict[str, Any]) -> bool:
        return True

    def on_close(self, params: dict[str, Any]) -> bool:
        return True

    def on_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise TelegramError(
                409, "Conflict: can't use getUpdates method while webhook is active"
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        self._limit(1 <= limit <= 100, "limit must be 1-100")
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()
        return list(itertools.islice(self.updates, limit))

    def on_setWebhook(self, params: dict[str, Any]) -> bool:
        secret = params.get("secret_token")
        if secret is not None:
            ok = 1 <= len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)
            self._limit(ok, "secret token contains unallowed characters")
        self.webhook_url = params.get("url") or None
        return True

    def on_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def on_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url or "", "has_custom_certificate": False,
                "pending_update_count": len(self.updates)}  # fmt: skip

    def on_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        self._limit(len(commands) <= 100, "too many commands")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            valid_name = 1 <= len(name) <= 32 and all(
                c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in name
            )
            self._limit(valid_name, "BOT_COMMAND_INVALID")
            self._limit(1 <= len(description) <= 256, "BOT_COMMAND_DESCRIPTION_INVALID")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, params.get("language_code") or "")] = commands
        return True

    def on_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    def on_setMyDescription(self, params: dict[str, Any]) -> bool:
        self._limit(len(params.get("description") or "") <= 512, "description is too long")
        return True

    def on_setMyShortDescription(self, params: dict[str, Any]) -> bool:
        text = params.get("short_description") or ""
        self._limit(len(text) <= 120, "short description is too long")
        return True

    def on_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def on_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = self._parsed(params.get("text"), params.get("parse_mode"), MESSAGE_MAX, "message")
        markup = self._markup(params.get("reply_markup"))
        message = self._store(
            int(params["chat_id"]), text=text, html=params.get("text"), reply_markup=markup
        )
        self.sent_per_chat[message.chat_id] += 1
        return self.message_payload(message)

    def on_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(params)
        text = self._parsed(params.get("text"), params.get("parse_mode"), MESSAGE_MAX, "message")
        markup = self._markup(params.get("reply_markup"))
        if message.text == text and message.reply_markup == markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.text, message.html, message.reply_markup = text, params.get("text"), markup
        return self.message_payload(message)

    def on_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(params)
        markup = self._markup(params.get("reply_markup"))
        if message.reply_markup == markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.reply_markup = markup
        return self.message_payload(message)

    def on_deleteMessage(self, params: dict[str, Any]) -> bool:
        message = self._existing(params, "message to delete")
        message.deleted = True
        return True

    def on_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        text = params.get("text") or ""
        self._limit(len(text) <= CALLBACK_ANSWER_MAX, "MESSAGE_TOO_LONG")
        if self.open_callbacks.get(query_id, True):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.open_callbacks[query_id] = True
        return True

    def on_sendPoll(self, params: dict[str, Any]) -> dict[str, Any]:
        question = self._parsed(
            params.get("question"),
            params.get("question_parse_mode"),
            POLL_QUESTION_MAX,
            "poll question",
        )
        self._limit(bool(question), "poll question must be non-empty")
        options_raw = params.get("options") or []
        self._limit(1 <= len(options_raw) <= POLL_OPTIONS_MAX, "poll must have 1-12 options")
        options = []
        for option in options_raw:
            raw = option["text"] if isinstance(option, dict) else str(option)
            mode = option.get("text_parse_mode") if isinstance(option, dict) else None
            parsed = self._parsed(raw, mode, POLL_OPTION_MAX, "poll option")
            self._limit(bool(parsed), "poll options must be non-empty")
            options.append(parsed)
        poll_type = params.get("type") or "regular"
        correct = params.get("correct_option_ids")
        explanation = None
        if poll_type == "quiz":
            self._limit(bool(correct), "correct_option_ids is required for quiz polls")
            assert correct is not None
            self._limit(all(0 <= c < len(options) for c in correct), "wrong correct option id")
            if params.get("explanation") is not None:
                explanation = self._parsed(
                    params["explanation"], params.get("explanation_parse_mode"),
                    POLL_EXPLANATION_MAX, "poll explanation",
                )  # fmt: skip
                self._limit(explanation.count("\n") <= 2, "poll explanation has too many lines")
        open_period = params.get("open_period")
        self._limit(
            not (open_period is not None and params.get("close_date") is not None),
            "can't use open_period and close_date together",
        )
        closes_at = None
        if open_period is not None:
            self._limit(5 <= int(open_period) <= 2_628_000, "poll open_period is out of range")
            closes_at = self.clock.now() + timedelta(seconds=int(open_period))
        chat_id = int(params["chat_id"])
        poll = FakePoll(
            id=str(next(self._poll_ids)),
            chat_id=chat_id,
            message_id=0,
            question=question,
            options=options,
            type=poll_type,
            is_anonymous=params.get("is_anonymous", True) is not False,
            correct_option_ids=correct,
            explanation=explanation,
            closes_at=closes_at,
        )
        self.polls[poll.id] = poll
        markup = self._markup(params.get("reply_markup"))
        message = self._store(chat_id, poll_id=poll.id, reply_markup=markup)
        poll.message_id = message.message_id
        return self.message_payload(message)

    def on_stopPoll(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(params, "poll")
        if message.poll_id is None:
            raise bad_request("message with poll to stop not found")
        poll = self.polls[message.poll_id]
        if poll.closed:
            raise bad_request("poll has already been closed")
        poll.closed = True
        return self.poll_payload(poll)

    def on_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("_files") or {}
        document = params.get("document")
        key = str(document).removeprefix("attach://")
        self._limit(key in files, "there is no document in the request")
        caption = params.get("caption")
        if caption is not None:
            caption = self._parsed(
                caption, params.get("parse_mode"), CAPTION_MAX, "message caption"
            )
        markup = self._markup(params.get("reply_markup"))
        message = self._store(
            int(params["chat_id"]), document=files[key], caption=caption, reply_markup=markup
        )
        return self.message_payload(message)

    def on_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("_files") or {}
        photo = str(params.get("photo"))
        if photo.startswith("attach://"):
            key = photo.removeprefix("attach://")
            self._limit(key in files, "there is no photo in the request")
            data = files[key][1]
        else:  # a file_id of a photo sent before: "photo-<chat id>-<message id>"
            chat, _, number = photo.removeprefix("photo-").rpartition("-")
            sent = self._sent_photo(chat, number) if photo.startswith("photo-") else None
            if sent is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            data = sent
        self._limit(len(data) <= 10 * 1024 * 1024, "PHOTO_INVALID_DIMENSIONS")
        caption = params.get("caption")
        if caption is not None:
            caption = self._parsed(
                caption, params.get("parse_mode"), CAPTION_MAX, "message caption"
            )
        markup = self._markup(params.get("reply_markup"))
        message = self._store(
            int(params["chat_id"]), photo=data, caption=caption, reply_markup=markup
        )
        return self.message_payload(message)

    def _sent_photo(self, chat: str, number: str) -> bytes | None:
        """The photo of a stored message, looked up by the ids its file_id carries."""
        try:
            message = self.messages.get((int(chat), int(number)))
        except ValueError:
            return None
        return message.photo if message is not None else None

    def on_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        if chat_id not in self.chats:
            raise bad_request("chat not found")
        participant = self.members[chat_id].get(user_id)
        if participant is None:
            raise bad_request("user not found")
        if participant.status == "left":
            return {"status": "left", "user": participant.user}
        if participant.status == "kicked":
            return {"status": "kicked", "user": participant.user, "until_date": 0}
        user = User.model_validate(participant.user)
        member: ChatMemberOwner | ChatMemberAdministrator | ChatMemberMember
        if participant.status == "creator":
            member = ChatMemberOwner(user=user, is_anonymous=False)
        elif participant.status == "administrator":
            member = ChatMemberAdministrator.model_validate(
                {"user": user, **administrator_rights()}
            )
        else:
            member = ChatMemberMember(user=user)
        dumped: dict[str, Any] = member.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped

    def on_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        results = params.get("results") or []
        self._limit(len(results) <= INLINE_RESULTS_MAX, "RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results]
        self._limit(
            all(0 < len(i.encode()) <= 64 for i in ids) and len(set(ids)) == len(ids),
            "RESULT_ID_INVALID",
        )
        for result in results:
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._parsed(
                    content["message_text"], content.get("parse_mode"), MESSAGE_MAX, "message"
                )
            self._markup(result.get("reply_markup"))
        self.inline_answers[params["inline_query_id"]] = results
        return True


def administrator_rights() -> dict[str, bool]:
    """Every required flag of an administrator (the set grows with each Bot API version)."""
    return {
        name: name.startswith("can_manage") or name in {"can_delete_messages", "can_invite_users"}
        for name, info in ChatMemberAdministrator.model_fields.items()
        if info.is_required() and name not in {"user", "status"}
    }


def _decode(key: str, value: str) -> Any:
    if key in TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
