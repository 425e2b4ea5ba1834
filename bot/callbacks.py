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
