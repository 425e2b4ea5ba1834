"""Callback data factories: typed, packed under Telegram's 64-byte limit.

Content ids are at most 24 characters (content/models.py ID_PATTERN), so every packed value
below fits; tests/test_callbacks.py packs the longest possible values to prove it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.reminders.almanac import FIRST_YEAR, LAST_YEAR
from content.models import Lang

# Any client can send any callback data: a number outside SQLite's 64-bit integers would raise
# OverflowError deep in a repository. Out of range, the data does not unpack, and the press is
# answered as an expired button.
Int64 = Annotated[int, Field(ge=-(2**63), lt=2**63)]


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
    section: Int64 = -1  # -1: the topic's overview


class FactCb(CallbackData, prefix="fa"):
    topic: str = ""  # "" for any topic


class TimelineCb(CallbackData, prefix="tl"):
    page: Int64


class GlossaryCb(CallbackData, prefix="gl"):
    page: Int64


class LanguageCb(CallbackData, prefix="lang"):
    lang: Lang


class QuizMenuCb(CallbackData, prefix="qm"):
    """Private practice set-up: topic ("" = all), then difficulty (-1 = not chosen yet)."""

    topic: str = ""
    difficulty: Int64 = -1


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
    round: Int64
    value: str = ""


class QuizAnswerCb(CallbackData, prefix="qa"):
    """An answer button in a group's private answering mode."""

    round: Int64
    pos: Int64
    option: Int64


class ReminderSetting(StrEnum):
    SCOPE = "scope"  # value: key or all
    TOPIC = "topic"  # value: a topic id, toggled
    LEAD = "lead"  # value: days before, toggled
    HOUR = "hour"  # value: the local hour
    TIMEZONE = "tz"  # value: an IANA name
    TOPICS = "topics"  # opens the topic picker
    BACK = "back"  # from the topic picker
    OFF = "off"  # unsubscribe


class ReminderCb(CallbackData, prefix="rm"):
    """A press on the subscription screen or its topic picker."""

    setting: ReminderSetting
    value: str = ""


class DatesCb(CallbackData, prefix="dt"):
    """/dates beyond the next few: the key dates of ``year`` (month 0) or all dates of a month.

    A calendar page never goes stale, so any well-formed data is shown; years and months out of
    range do not unpack and are answered as an expired button."""

    year: Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    month: Annotated[int, Field(ge=0, le=12)] = 0


class PictureCb(CallbackData, prefix="pic"):
    """The timeline picture (one kind for now; the field keeps room for more)."""

    kind: str = "timeline"
