"""Callback data factories: typed, packed under Telegram's 64-byte limit.

Content ids are at most 24 characters (content/models.py ID_PATTERN), so every packed value
below fits; tests/test_callbacks.py packs the longest possible values to prove it.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from content.models import Lang


class MenuAction(StrEnum):
    TOPICS = "topics"
    FACT = "fact"
    TIMELINE = "timeline"
    GLOSSARY = "glossary"
    SOURCES = "sources"
    SEARCH = "search"
    HELP = "help"


class MenuCb(CallbackData, prefix="m"):
    action: MenuAction


class TopicCb(CallbackData, prefix="tp"):
    topic: str
    section: int = -1  # -1: the topic's overview


class FactCb(CallbackData, prefix="fa"):
    topic: str = ""  # "" for any topic


class TimelineCb(CallbackData, prefix="tl"):
    page: int


class GlossaryCb(CallbackData, prefix="gl"):
    page: int


class LanguageCb(CallbackData, prefix="lang"):
    lang: Lang


class QuizMenuCb(CallbackData, prefix="qm"):
    """Private practice set-up: topic ("" = all), then difficulty (-1 = not chosen yet)."""

    topic: str = ""
    difficulty: int = -1


class QuizAction(StrEnum):
    AGAIN = "again"
    REVIEW = "review"
    MISSED = "missed"
    JOIN = "join"
    START = "start"
    RESUME = "resume"
    CANCEL = "cancel"
    TOPIC = "topic"
    LEVEL = "level"
    SIZE = "size"
    SECONDS = "secs"
    PRIVATE = "priv"


class QuizCb(CallbackData, prefix="qz"):
    action: QuizAction
    round: int
    value: str = ""


class QuizAnswerCb(CallbackData, prefix="qa"):
    """An answer button in a group's private answering mode."""

    round: int
    pos: int
    option: int


class ReminderCb(CallbackData, prefix="rm"):
    """A reminder setting: scope, topic, lead, hour, tz, topics (the topic picker), back."""

    setting: str
    value: str = ""


class PictureCb(CallbackData, prefix="pic"):
    """The timeline picture (one kind for now; the field keeps room for more)."""

    kind: str = "timeline"
