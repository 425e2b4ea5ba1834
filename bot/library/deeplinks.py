"""Deep links and QR codes for posters and slides at events.

A deep link ``https://t.me/<bot>?start=<payload>`` opens the bot and sends ``/start <payload>``.
Telegram allows 1-64 characters of ``[A-Za-z0-9_-]`` in a payload; this module defines what the
bot puts there:

* ``<topic>``: a topic card, e.g. ``canwfz``;
* ``quiz`` or ``quiz-<topic>``: a quiz, on all topics or on one, optionally followed by
  ``-L<level>`` (1-3) and ``-N<questions>``: the same quiz a shared card offers;
* ``subscribe``: the anniversary reminders;

each optionally followed by ``_ru``, ``_en`` or ``_kk``: the language the poster was printed in.
Topic ids are ``[a-z0-9-]`` and never contain ``_``, so the suffix is unambiguous. A topic id is
checked syntactically only (whether the topic exists is the caller's business); ``quiz``,
``quiz-...`` and ``subscribe`` cannot be topic ids in a link, because they would read as another
kind. Every payload has exactly one spelling: ``parse_payload(p).encode() == p`` whenever
``parse_payload(p)`` is not ``None``.

QR codes are plain QR (never Micro QR, which phone cameras do not read), error correction level M
exactly (no automatic boost), a quiet zone of 4 modules, black on an opaque white background, so
they scan on a dark slide too.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from content.models import Lang, parse_lang

PAYLOAD_MAX = 64
# What Telegram accepts after ?start= / ?startgroup=
PAYLOAD_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TOPIC_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Telegram usernames: 5-32 characters of [A-Za-z0-9_], starting with a letter
BOT_USERNAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")

SUBSCRIBE_PAYLOAD = "subscribe"
QUIZ_PAYLOAD = "quiz"
_QUIZ_PREFIX = QUIZ_PAYLOAD + "-"
_LANG_SEPARATOR = "_"

QR_ERROR = "m"
QR_BORDER = 4
_QR_DARK = "#000"
_QR_LIGHT = "#fff"


class PayloadKind(StrEnum):
    TOPIC = "topic"  # a topic card
    QUIZ = "quiz"  # a quiz, on all topics or on one, at a level and size
    SUBSCRIBE = "subscribe"  # the anniversary reminders


# After "quiz": the topic, the level, the number of questions. Topic ids have no capitals, so
# "-L" and "-N" cannot be read as part of one; level 0 (any) and the default size are left out.
_QUIZ_SETTINGS = re.compile(
    r"(?:-(?P<topic>[a-z0-9][a-z0-9-]*?))?(?:-L(?P<level>[1-3]))?(?:-N(?P<size>[1-9][0-9]?))?"
)


def _linkable_topic(topic_id: str) -> bool:
    """A topic id that can stand in a payload: the syntax, and not a word of another kind."""
    return (
        TOPIC_ID_PATTERN.fullmatch(topic_id) is not None
        and topic_id not in {QUIZ_PAYLOAD, SUBSCRIBE_PAYLOAD}
        and not topic_id.startswith(_QUIZ_PREFIX)
    )


def _check_topic(topic_id: str) -> None:
    if not _linkable_topic(topic_id):
        raise ValueError(f"not a topic id usable in a deep link: {topic_id!r}")


def _check_length(payload: str) -> str:
    if len(payload) > PAYLOAD_MAX:
        raise ValueError(f"deep link payload longer than {PAYLOAD_MAX} characters: {payload!r}")
    return payload


@dataclass(frozen=True, slots=True)
class Payload:
    """A parsed /start payload. ``topic`` is set for ``topic``, optional for ``quiz`` and
    ``None`` for ``subscribe``; ``lang`` is the language suffix, if any."""

    kind: PayloadKind
    topic: str | None = None
    lang: Lang | None = None
    difficulty: int = 0  # a quiz's level; 0 = any
    size: int | None = None  # a quiz's number of questions; None = the usual

    def __post_init__(self) -> None:
        if self.kind != PayloadKind.QUIZ and (self.difficulty or self.size is not None):
            raise ValueError("only a quiz payload has a level and a size")
        if not 0 <= self.difficulty <= 3 or not 1 <= (self.size or 1) <= 99:
            raise ValueError(f"no such quiz: level {self.difficulty}, {self.size} questions")
        if self.kind == PayloadKind.TOPIC and self.topic is None:
            raise ValueError("a topic payload needs a topic")
        if self.kind == PayloadKind.SUBSCRIBE and self.topic is not None:
            raise ValueError("a subscribe payload has no topic")
        if self.topic is not None:
            _check_topic(self.topic)
        if self.lang is not None and parse_lang(self.lang) is None:
            raise ValueError(f"unknown language: {self.lang!r}")

    def encode(self) -> str:
        """The payload string (the inverse of ``parse_payload``)."""
        if self.kind == PayloadKind.TOPIC:
            assert self.topic is not None  # __post_init__
            base = topic_payload(self.topic)
        elif self.kind == PayloadKind.QUIZ:
            base = quiz_payload(self.topic, self.difficulty, self.size)
        else:
            base = SUBSCRIBE_PAYLOAD
        return with_language(base, self.lang)


def topic_payload(topic_id: str) -> str:
    """The payload of a topic card: the topic id itself, e.g. ``canwfz``."""
    _check_topic(topic_id)
    return _check_length(topic_id)


def quiz_payload(topic_id: str | None, difficulty: int = 0, size: int | None = None) -> str:
    """``quiz`` (all topics) or ``quiz-<topic>``, then ``-L<level>`` and ``-N<questions>``."""
    payload = QUIZ_PAYLOAD
    if topic_id is not None:
        _check_topic(topic_id)
        payload += "-" + topic_id
    if difficulty:
        payload += f"-L{difficulty}"
    if size is not None:
        payload += f"-N{size}"
    return _check_length(payload)


def with_language(payload: str, lang: str | None) -> str:
    """``payload`` with the ``_ru`` / ``_en`` / ``_kk`` suffix; unchanged for ``None``.

    ``payload`` must be one of this module's payloads without a suffix already."""
    parsed = parse_payload(payload)
    if parsed is None or parsed.lang is not None:
        raise ValueError(f"not a deep link payload without a language: {payload!r}")
    if lang is None:
        return payload
    if parse_lang(lang) is None:
        raise ValueError(f"unknown language: {lang!r}")
    return _check_length(payload + _LANG_SEPARATOR + lang)


def parse_payload(payload: str) -> Payload | None:
    """The payload of ``/start <payload>``, or ``None`` for anything this bot did not make."""
    if PAYLOAD_PATTERN.fullmatch(payload) is None:
        return None
    base, separator, suffix = payload.partition(_LANG_SEPARATOR)
    lang: Lang | None = None
    if separator:
        lang = parse_lang(suffix)
        if lang is None:  # also "a_b_ru": the suffix would be "b_ru"
            return None
    if base == SUBSCRIBE_PAYLOAD:
        return Payload(PayloadKind.SUBSCRIBE, None, lang)
    if base.startswith(QUIZ_PAYLOAD):
        quiz = _QUIZ_SETTINGS.fullmatch(base, len(QUIZ_PAYLOAD))
        if quiz is not None:
            topic, level, size = quiz.group("topic", "level", "size")
            if topic is None or _linkable_topic(topic):
                return Payload(
                    PayloadKind.QUIZ, topic, lang, int(level or 0), int(size) if size else None
                )
        if base == QUIZ_PAYLOAD or base.startswith(_QUIZ_PREFIX):
            return None
    return Payload(PayloadKind.TOPIC, base, lang) if _linkable_topic(base) else None


def deep_link(bot_username: str, payload: str, group: bool = False) -> str:
    """``https://t.me/<bot>?start=<payload>``; with ``group``, ``?startgroup=<payload>`` (the
    user picks a group to add the bot to). A leading ``@`` of the username is dropped."""
    username = bot_username.removeprefix("@")
    if BOT_USERNAME_PATTERN.fullmatch(username) is None:
        raise ValueError(f"not a Telegram username: {bot_username!r}")
    if PAYLOAD_PATTERN.fullmatch(payload) is None:
        raise ValueError(f"not a valid /start payload: {payload!r}")
    parameter = "startgroup" if group else "start"
    return f"https://t.me/{username}?{parameter}={payload}"


def _qr(url: str, kind: Literal["png", "svg"], scale: int) -> bytes:
    if not url:
        raise ValueError("nothing to encode")
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    # Imported on first use: only the qr command draws codes; serving never needs segno.
    import segno  # noqa: PLC0415

    code = segno.make(url, error=QR_ERROR, boost_error=False, micro=False)
    out = io.BytesIO()
    code.save(out, kind=kind, scale=scale, border=QR_BORDER, dark=_QR_DARK, light=_QR_LIGHT)
    return out.getvalue()


def qr_png(url: str, scale: int = 10) -> bytes:
    """A PNG of the QR code of ``url``, ``scale`` pixels per module."""
    return _qr(url, "png", scale)


def qr_svg(url: str, scale: int = 10) -> bytes:
    """An SVG (UTF-8, with an XML declaration) of the QR code of ``url``."""
    return _qr(url, "svg", scale)
