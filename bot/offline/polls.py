"""The Bot API emulator's polls, and the photos that polls and photo messages carry.

``sendPoll`` checks what Telegram documents: 1-300 characters of question, 1-12 options of
1-100, a quiz's right options and its explanation (0-200 characters, at most 2 line feeds),
and what Bot API 9.6 and 10.0 added: the yes/no options (``allows_revoting``,
``shuffle_options``, ``hide_results_until_closes``), a ``description`` of 0-1,024 characters
after entity parsing and ``media`` of an allowed type, a real picture or a file_id the emulator
issued. A server set to an older ``api_version`` refuses the fields it does not know.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.offline.records import (
    IMAGE_SIGNATURES,
    POLL_DESCRIPTION_MAX,
    POLL_EXPLANATION_MAX,
    POLL_MEDIA_TYPES,
    POLL_OPTION_MAX,
    POLL_OPTIONS_MAX,
    POLL_QUESTION_MAX,
    FakePoll,
    bad_request,
    poll_payload,
)
from bot.offline.state import TelegramState


class PollsAndPhotos(TelegramState):
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
        description = None
        if params.get("description") is not None:
            self._require_known("description")
            description = self._parsed(
                params["description"], params.get("description_parse_mode"),
                POLL_DESCRIPTION_MAX, "poll description",
            )  # fmt: skip
        flags = self._poll_flags(params)
        photo = self._poll_media(params.get("media"), params.get("_files") or {})
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
            description=description,
            photo=photo,
            # Telegram's defaults: a quiz's vote is final, a regular poll's may change.
            allows_revoting=flags.get("allows_revoting", poll_type != "quiz"),
            shuffle_options=flags.get("shuffle_options", False),
            hide_results_until_closes=flags.get("hide_results_until_closes", False),
        )
        self.polls[poll.id] = poll
        markup = self._markup(params.get("reply_markup"))
        message = self._store(chat_id, poll_id=poll.id, reply_markup=markup)
        poll.message_id = message.message_id
        return self.message_payload(message)

    def _poll_flags(self, params: dict[str, Any]) -> dict[str, bool]:
        """The yes/no options of a poll (Bot API 9.6): booleans, on a server that has them."""
        flags: dict[str, bool] = {}
        for name in ("allows_revoting", "shuffle_options", "hide_results_until_closes"):
            if params.get(name) is not None:
                self._require_known(name)
                self._limit(isinstance(params[name], bool), f"{name} must be a boolean")
                flags[name] = params[name]
        return flags

    def _poll_media(
        self, media: dict[str, Any] | None, files: dict[str, tuple[str, bytes]]
    ) -> bytes | None:
        """A poll's media (Bot API 10.0): one of the InputPollMedia types. The emulator keeps
        photos, uploaded as a real image or given by a file_id it issued."""
        if media is None:
            return None
        self._require_known("media")
        kind = media.get("type") if isinstance(media, dict) else None
        self._limit(kind in POLL_MEDIA_TYPES, f"poll media can't be of type {kind!r}")
        if kind != "photo":
            self._violation(f"the offline Telegram does not emulate poll media of type {kind}")
            raise bad_request(f"poll media of type {kind} is not emulated")
        data = self._photo_bytes(str(media.get("media")), files)
        self._limit(data.startswith(IMAGE_SIGNATURES), "IMAGE_PROCESS_FAILED")
        return data

    def on_stopPoll(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(params, "poll")
        if message.poll_id is None:
            raise bad_request("message with poll to stop not found")
        poll = self.polls[message.poll_id]
        if poll.closed:
            raise bad_request("poll has already been closed")
        poll.closed = True
        return poll_payload(poll, closed=True)

    def _photo_bytes(self, photo: str, files: dict[str, tuple[str, bytes]]) -> bytes:
        """A photo as sent: "attach://<name>" of an upload in the request, or a file_id issued
        before ("photo-<chat id>-<message id>" of a photo message, "pollphoto-<poll id>" of a
        poll's picture)."""
        if photo.startswith("attach://"):
            key = photo.removeprefix("attach://")
            self._limit(key in files, "there is no photo in the request")
            return files[key][1]
        sent = None
        if photo.startswith("photo-"):
            chat, _, number = photo.removeprefix("photo-").rpartition("-")
            sent = self._sent_photo(chat, number)
        elif photo.startswith("pollphoto-"):
            poll = self.polls.get(photo.removeprefix("pollphoto-"))
            sent = poll.photo if poll is not None else None
        if sent is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return sent

    def _sent_photo(self, chat: str, number: str) -> bytes | None:
        """The photo of a stored message, looked up by the ids its file_id carries."""
        try:
            message = self.messages.get((int(chat), int(number)))
        except ValueError:
            return None
        return message.photo if message is not None else None
