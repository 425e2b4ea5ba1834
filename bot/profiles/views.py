"""The language screen."""

from __future__ import annotations

from bot.telegram.callbacks import (
    LanguageCb,
)
from bot.telegram.i18n import Translator
from bot.telegram.ui import Screen, button, keyboard
from content.models import LANGS, Lang


def language_screen(t: Translator) -> Screen:
    buttons = [
        button(f"{'✓ ' if lang == t.lang else ''}{LANGUAGE_NAMES[lang]}", LanguageCb(lang=lang))
        for lang in LANGS
    ]
    return Screen(t("language.choose"), keyboard(buttons))


LANGUAGE_NAMES: dict[Lang, str] = {"ru": "🇷🇺 Русский", "en": "🇬🇧 English", "kk": "🇰🇿 Қазақша"}
