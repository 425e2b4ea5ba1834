"""The Bot API emulator: methods in, results or Telegram's own errors out.

``FakeTelegram.handle(method, params, files)`` takes what a Bot API server receives (form fields
as strings, JSON for objects) and answers what Telegram would, including Telegram's error texts.
Every breach of a hard limit is also recorded in ``violations`` so a test fails even when the
bot swallows the error; errors a test injects on purpose (``fail``) are not violations.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from aiogram.types import ChatMemberAdministrator, ChatMemberMember, ChatMemberOwner, User

from bot.offline.polls import PollsAndPhotos
from bot.offline.records import (
    CALLBACK_ANSWER_MAX,
    CAPTION_MAX,
    DESCRIPTION_MAX,
    INLINE_RESULTS_MAX,
    MESSAGE_MAX,
    SHORT_DESCRIPTION_MAX,
    TelegramError,
    administrator_rights,
    bad_request,
)


class FakeTelegram(PollsAndPhotos):
    """The Bot API methods the bot may call; any other method is refused as unknown."""

    def on_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def on_getMyStarBalance(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.stars.payload()

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
        text = params.get("description") or ""
        self._limit(len(text) <= DESCRIPTION_MAX, "description is too long")
        self.descriptions[self._description_language(params)] = text
        return True

    def on_setMyShortDescription(self, params: dict[str, Any]) -> bool:
        text = params.get("short_description") or ""
        self._limit(len(text) <= SHORT_DESCRIPTION_MAX, "short description is too long")
        self.short_descriptions[self._description_language(params)] = text
        return True

    def _description_language(self, params: dict[str, Any]) -> str:
        """A two-letter ISO 639-1 code, or "" for the text of users with no dedicated one."""
        code = params.get("language_code") or ""
        self._limit(code == "" or (len(code) == 2 and code.isalpha()), "LANG_CODE_INVALID")
        return str(code)

    def on_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def on_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = self._parsed(params.get("text"), params.get("parse_mode"), MESSAGE_MAX, "message")
        markup = self._markup(params.get("reply_markup"))
        chat_id = int(params["chat_id"])
        ephemeral = params.get("ephemeral_message_parameters")
        ignored = self.ignores_unknown_ephemeral and not self.knows("ephemeral_message_parameters")
        if ephemeral is not None and not ignored:
            return self._send_ephemeral(chat_id, ephemeral, text, params.get("text"), markup)
        message = self._store(chat_id, text=text, html=params.get("text"), reply_markup=markup)
        self.sent_per_chat[message.chat_id] += 1
        return self.message_payload(message)

    def _send_ephemeral(
        self, chat_id: int, ephemeral: dict[str, Any], text: str, html: str | None,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:  # fmt: skip
        """An ephemeral message (Bot API 10.3): in a group, to one member, who alone sees it,
        optionally in place of the message whose button they pressed."""
        self._require_known("ephemeral_message_parameters")
        self._limit(
            self.chats[chat_id]["type"] in {"group", "supergroup"},
            "ephemeral messages can be sent only to group and supergroup chats",
        )
        receiver = int(ephemeral.get("receiver_user_id") or 0)
        member = self.members[chat_id].get(receiver)
        self._limit(
            member is not None and member.status not in {"left", "kicked"}, "USER_NOT_PARTICIPANT"
        )
        query_id = ephemeral.get("callback_query_id")
        sender = self.callback_senders.get(str(query_id)) if query_id is not None else None
        self._limit(
            query_id is None or (sender is not None and sender[:2] == (receiver, chat_id)),
            "QUERY_ID_INVALID",
        )
        replace = bool(ephemeral.get("replace_callback_query_message"))
        self._limit(
            not replace or sender is not None,
            "replace_callback_query_message needs the callback query",
        )
        message = self._store(
            chat_id, text=text, html=html, reply_markup=markup, receiver_id=receiver,
            ephemeral_id=next(self._ephemeral_ids),
            replaces=sender[2] if replace and sender is not None else None,
        )  # fmt: skip
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
        data = self._photo_bytes(str(params.get("photo")), params.get("_files") or {})
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
