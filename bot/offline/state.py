"""The Bot API emulator's state and checks: chats, messages, polls, limits, injected failures.

The methods themselves (``on_sendMessage`` ...) are in telegram.py.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.offline.records import (
    API_VERSION,
    BUTTON_STYLES,
    CALLBACK_DATA_MAX_BYTES,
    EDIT_METHODS,
    FIELD_SINCE,
    INLINE_BUTTONS_MAX,
    INLINE_ROW_MAX,
    SEND_METHODS,
    FakePoll,
    Participant,
    RateLimits,
    Request,
    SimulatedCrash,
    StoredMessage,
    TelegramError,
    bad_request,
    decode_field,
    poll_payload,
)
from bot.offline.stars import StarBalance
from bot.offline.telegram_html import HtmlParseError, parse_html


class TelegramState:
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
        # query id -> (user, chat, message) of the press: ephemeral answers are checked on it
        self.callback_senders: dict[str, tuple[int, int, int]] = {}
        # An older Bot API (a test's switch): the fields it does not know are refused.
        self.api_version = API_VERSION
        # An older server that takes an ephemeral_message_parameters it does not know without a
        # word (a test's switch): the message goes to the whole chat, with no ephemeral id.
        self.ignores_unknown_ephemeral = False
        self.descriptions: dict[str, str] = {}  # language code ("" = default) -> text
        self.short_descriptions: dict[str, str] = {}
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
        self._ephemeral_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._sent_overall: deque[datetime] = deque()  # free messages (paid ones go apart)
        self.stars = StarBalance()  # paid broadcast: the balance, the 1,000/s (stars.py)
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
        params = {key: decode_field(key, value) for key, value in raw_params.items()}
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
            paid = method in SEND_METHODS and params.get("allow_paid_broadcast") is True
            if method in SEND_METHODS or method in EDIT_METHODS:
                self._check_reachable(params)
                if paid:
                    self.stars.check_balance()
                self._check_rate(params, paid=paid)
            result = handler(params) if not files else handler({**params, "_files": files})
            if paid:
                self.stars.charge()
        except TelegramError as error:
            request.error = error.description
            return error.status, error.payload()
        return 200, {"ok": True, "result": result}

    def knows(self, field: str) -> bool:
        """Whether this server's Bot API version has ``field`` (records.FIELD_SINCE)."""
        return self.api_version >= FIELD_SINCE[field]

    def _require_known(self, field: str) -> None:
        """An older server refuses a field it does not know. Not a violation: the bot may try
        a newer feature once, and must then fall back (bot/telegram/compat.py)."""
        if not self.knows(field):
            raise bad_request(f'field "{field}" is not supported')

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

    def _check_rate(self, params: dict[str, Any], *, paid: bool = False) -> None:
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
        paid_wait = self.stars.wait(now)
        if paid and paid_wait is not None:
            self._too_many(paid_wait, "paid broadcast 1000/s")
        if not paid and len(overall) >= self.limits.overall_per_second:
            self._too_many(overall[0] + timedelta(seconds=1) - now, "overall 30/s")
        if limit is not None and len(per_chat) >= limit:
            self._too_many(per_chat[0] + window - now, f"{limit} per {window} in chat {chat_id}")
        if not paid:
            overall.append(now)
        self.stars.count(now)
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
                text = parse_html(text, date_time=self.knows("tg-time"))
            except HtmlParseError as error:
                # An older server's parser not knowing tg-time is its version, not a breach.
                if self.knows("tg-time") or 'start tag "tg-time"' not in str(error):
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
                self._check_button(button)
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

    def _check_button(self, button: dict[str, Any]) -> None:
        """The fields of a button that newer Bot APIs added, as documented."""
        if "style" in button:
            self._require_known("style")
            self._limit(button["style"] in BUTTON_STYLES, "BUTTON_STYLE_INVALID")
        if "disabled" in button:
            self._require_known("disabled")
            self._limit(isinstance(button["disabled"], dict), "BUTTON_TYPE_INVALID")
        chosen = button.get("switch_inline_query_chosen_chat")
        if chosen is not None:
            kinds = ("allow_user_chats", "allow_bot_chats", "allow_group_chats",
                     "allow_channel_chats")  # fmt: skip
            self._limit(
                any(chosen.get(kind) for kind in kinds),
                "can't parse inline keyboard button: at least one chat type must be allowed",
            )

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
        if message.ephemeral_id is not None:
            # An ephemeral message is addressed by its own id; its message_id is always 0.
            payload["message_id"] = 0
            payload["ephemeral_message_id"] = message.ephemeral_id
            receiver = self.members[message.chat_id][message.receiver_id or 0]
            payload["receiver_user"] = receiver.user
        if message.text is not None:
            payload["text"] = message.text
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            payload["reply_markup"] = message.reply_markup
        if message.poll_id is not None:
            poll = self.polls[message.poll_id]
            payload["poll"] = poll_payload(poll, poll.closed or self.poll_expired(poll))
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

    def poll_expired(self, poll: FakePoll) -> bool:
        return poll.closes_at is not None and self.clock.now() >= poll.closes_at

    def _existing(self, params: dict[str, Any], what: str = "message to edit") -> StoredMessage:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None or message.deleted:
            raise bad_request(f"{what} not found")
        return message

    # ---- methods ----------------------------------------------------------------------------
