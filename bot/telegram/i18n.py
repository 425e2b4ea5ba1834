"""Interface strings in ru / en / kk with CLDR plural rules (Babel), HTML-safe by default.

Every ``str`` argument is HTML-escaped when formatted, so user text can never break Telegram's
HTML parse mode; markup the bot builds itself is passed as ``Html`` to skip escaping.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache

from babel import Locale

from content.loader import UiCatalog
from content.models import Lang, parse_lang


class Html(str):
    """A string that is already Telegram HTML (escaped user text plus our own tags)."""

    __slots__ = ()


def quote(text: str) -> Html:
    return Html(html.escape(text, quote=False))


@cache
def _plural_rule(lang: Lang) -> Locale:
    return Locale.parse(lang)


def plural_form(lang: Lang, count: int) -> str:
    form: str = _plural_rule(lang).plural_form(abs(count))
    return form


def resolve_language(code: str | None, default: Lang) -> Lang:
    """The one fallback rule for a language code (Telegram's ``language_code`` such as "ru",
    "kk", "en-US", or a stored one): none → ``default``; a tag of ours → it; any other → en,
    the language most of those users can read."""
    if not code:
        return default
    return parse_lang(code.split("-")[0].lower()) or "en"


@dataclass(frozen=True, slots=True)
class Translator:
    """The interface strings of one language."""

    ui: UiCatalog
    lang: Lang

    def __call__(self, key: str, /, **kwargs: object) -> Html:
        value = self.ui.lookup(self.lang, key)
        if isinstance(value, dict):
            count = kwargs.get("count")
            if not isinstance(count, int):
                raise TypeError(f"{key} has plural forms and needs an integer count")
            value = value.get(plural_form(self.lang, count), value["other"])
        if not kwargs:
            return Html(value)
        safe = {
            name: arg if isinstance(arg, Html) or not isinstance(arg, str) else quote(arg)
            for name, arg in kwargs.items()
        }
        return Html(value.format(**safe))

    def plain(self, key: str, /, **kwargs: object) -> str:
        """For places that are not parsed as HTML (button labels, alerts, poll text)."""
        return html.unescape(self(key, **kwargs))
