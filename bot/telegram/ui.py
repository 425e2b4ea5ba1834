"""UI building blocks: screens, buttons, keyboards, dates and fitting text into one message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_date

from bot.telegram.i18n import Html, quote
from content.models import (
    Lang,
)

MESSAGE_BUDGET = 4000  # below Telegram's 4096 so a footer or page marker always fits


@dataclass(frozen=True, slots=True)
class Screen:
    text: Html
    markup: InlineKeyboardMarkup | None = None


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """Plain construction: InlineKeyboardBuilder deep-copies every button, which the profile of
    /fact showed as a tenth of the handling time (and a quarter of a /search)."""
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def columns(buttons: Sequence[InlineKeyboardButton], width: int = 1) -> InlineKeyboardMarkup:
    """``width`` buttons to a row, as InlineKeyboardBuilder.adjust(width) lays them out."""
    return keyboard(*(list(buttons[i : i + width]) for i in range(0, len(buttons), width)))


def moment(at: datetime, fallback: str, date_time_format: str) -> Html:
    """A moment as a date_time entity (Bot API 9.5): each reader's app shows it in their own
    time zone and language, as ``date_time_format`` asks ("t" a time, "r" relative, ...);
    ``fallback`` (written in the chat's zone) is what an app or server without it shows."""
    unix = int(at.timestamp())
    return Html(f'<tg-time unix="{unix}" format="{date_time_format}">{quote(fallback)}</tg-time>')


# Babel parses the date pattern on every call (about 0.1 ms): content screens show the same few
# hundred dates over and over, so each (date, language) is formatted once.
@lru_cache(maxsize=4096)
def long_date(day: date, lang: Lang) -> str:
    return str(format_date(day, format="long", locale=BABEL_LOCALES[lang]))


@lru_cache(maxsize=4096)
def day_month(day: date, lang: Lang) -> str:
    """ "29 August", "29 августа", "29 тамыз"."""
    return str(format_date(day, format="d MMMM", locale=BABEL_LOCALES[lang]))


def shorten(text: str, limit: int) -> str:
    """Plain text cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def paginate(blocks: Sequence[str], budget: int = MESSAGE_BUDGET) -> list[Html]:
    """Join blocks with blank lines into as few messages as fit Telegram's limit."""
    pages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) > budget and current:
            pages.append(current)
            candidate = block
        current = candidate
    if current:
        pages.append(current)
    return [fit(Html(page)) for page in pages]


def fit(text: Html, budget: int = MESSAGE_BUDGET) -> Html:
    """Cut a too-long message at a line break (never inside a tag: lines are closed blocks)."""
    if len(text) <= budget:
        return text
    cut = text.rfind("\n", 0, budget - 1)
    return Html(text[: cut if cut > 0 else budget - 1] + "\n…")


# English dates for an international audience: "29 August 1991", not "August 29, 1991".
BABEL_LOCALES: dict[Lang, str] = {"ru": "ru", "en": "en_GB", "kk": "kk"}
