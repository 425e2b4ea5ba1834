"""Typed models of the curated content.

Every text the bot shows about the subject is one of these models, loaded from TOML files under
``content/data`` and validated before the bot starts: a broken file refuses to start, naming the
file and the key. Multilingual fields carry ``ru`` and ``en`` (required) and ``kk`` (optional; it
falls back to Russian per item and ``check-content`` reports every fallback).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Lang = Literal["ru", "en", "kk"]
LANGS: tuple[Lang, ...] = ("ru", "en", "kk")
REQUIRED_LANGS: tuple[Lang, ...] = ("ru", "en")
FALLBACK: dict[Lang, Lang] = {"kk": "ru", "ru": "ru", "en": "en"}


def parse_lang(code: str | None) -> Lang | None:
    """``code`` as one of our languages ("ru", "en", "kk", exactly), or None: the one parser of
    language codes. What to do with None is the caller's rule (``bot.telegram.i18n``'s
    ``resolve_language`` for what users bring; a deep link refuses it)."""
    for lang in LANGS:
        if code == lang:
            return lang
    return None


SHORT_LABEL_MAX = 40
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,23}$"
# A citation is "<source id>" or "<source id>#<locator>", e.g. "seed002#10" (paragraph 10).
CITATION_PATTERN = re.compile(r"^(?P<source>[a-z0-9][a-z0-9-]*)(?:#(?P<locator>[^\s#]{1,20}))?$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ByLanguage(Strict):
    """A value in ru, en and kk; a missing ``kk`` falls back (FALLBACK) until translated."""

    def _pick(self, lang: Lang) -> Any:
        value = getattr(self, lang)
        if value is None:
            value = getattr(self, FALLBACK[lang])
        assert value is not None
        return value

    def has(self, lang: Lang) -> bool:
        return getattr(self, lang) is not None


class Text(ByLanguage):
    """One piece of text in each language; ``kk`` may be missing until it is translated."""

    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)
    kk: str | None = Field(default=None, min_length=1)

    @field_validator("ru", "en", "kk")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        if value is not None and value != value.strip():
            raise ValueError("text must not start or end with white space")
        return value

    def get(self, lang: Lang) -> str:
        value: str = self._pick(lang)
        return value


class TextList(ByLanguage):
    """A list of short texts per language (quiz options); all languages list the same items."""

    ru: list[str]
    en: list[str]
    kk: list[str] | None = None

    @model_validator(mode="after")
    def _same_length(self) -> TextList:
        lengths = {len(items) for items in (self.ru, self.en, self.kk) if items is not None}
        if len(lengths) != 1:
            raise ValueError("every language must list the same number of items")
        return self

    def get(self, lang: Lang) -> list[str]:
        value: list[str] = self._pick(lang)
        return value


class Citation(Strict):
    source: str
    locator: str | None = None

    @classmethod
    def parse(cls, raw: str) -> Citation:
        match = CITATION_PATTERN.match(raw)
        if match is None:
            raise ValueError(f"citation {raw!r} is not '<source>' or '<source>#<locator>'")
        return cls(source=match["source"], locator=match["locator"])


def _parse_citations(value: object) -> object:
    if isinstance(value, list):
        return [Citation.parse(item) if isinstance(item, str) else item for item in value]
    return value


class Cited(Strict):
    """Anything that states facts: it must cite at least one source."""

    cite: list[Citation] = Field(min_length=1)

    _parse_cite = field_validator("cite", mode="before")(_parse_citations)


class Dated(Strict):
    """A statement that can stop being true: the date it was true and when to re-check it.

    ``check-content`` fails once ``review_by`` has passed; the bot shows "as of <as_of>".
    """

    as_of: date | None = None
    review_by: date | None = None

    @model_validator(mode="after")
    def _dated_together(self) -> Dated:
        if (self.as_of is None) != (self.review_by is None):
            raise ValueError("as_of and review_by go together")
        if self.as_of is not None and self.review_by is not None and self.review_by <= self.as_of:
            raise ValueError("review_by must come after as_of")
        return self


class Source(Strict):
    """A document the content cites: a seed file or a named public source."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: Literal["seed", "public"]
    title: Text
    short: Text  # the label a quiz explanation or a fact line cites, at most 40 characters
    date: str = Field(min_length=4)
    file: str | None = None  # the seed file name (seeds only)
    symbol: str | None = None  # UN document symbol or law number, where there is one
    url: str | None = None
    # Figures a public source gives that its title does not spell out, as written in it; each
    # reviewed against ../shared/FACTS.md (check-content accepts them in items citing it).
    figures: list[str] = []

    @model_validator(mode="after")
    def _seed_has_file(self) -> Source:
        if self.kind == "seed" and not self.file:
            raise ValueError("a seed source names its file")
        if any(len(self.short.get(lang)) > SHORT_LABEL_MAX for lang in LANGS):
            raise ValueError(f"short label longer than {SHORT_LABEL_MAX} characters")
        return self


class Fact(Cited, Dated):
    id: str = Field(pattern=ID_PATTERN)
    text: Text


class Section(Cited, Dated):
    id: str = Field(pattern=ID_PATTERN)
    title: Text
    body: Text


class Topic(Strict):
    id: str = Field(pattern=ID_PATTERN)
    order: int
    emoji: str = Field(min_length=1, max_length=4)
    title: Text
    summary: Text
    keywords: TextList | None = None  # extra search words (abbreviations, old names)
    related: list[str] = []
    sections: list[Section] = Field(min_length=1)
    facts: list[Fact] = []


class GlossaryTerm(Dated):
    """A term and what it names. A note that states a number or a date cites its sources like
    any other item (``check-content`` holds it to them); a note that only defines need not."""

    id: str = Field(pattern=ID_PATTERN)
    abbr: Text | None = None
    name: Text
    note: Text | None = None
    topic: str | None = None
    cite: list[Citation] = []

    _parse_cite = field_validator("cite", mode="before")(_parse_citations)


class CalendarEvent(Cited, Dated):
    id: str = Field(pattern=ID_PATTERN)
    day: int = Field(ge=1, le=31)
    month: int = Field(ge=1, le=12)
    year: int = Field(ge=1900, le=2100)
    key: bool = False  # a key date: in the default reminder selection and on the timeline picture
    topic: str
    text: Text
    # A short name (a poll option of a picture question, so at most 100 characters): only
    # events that picture questions name need one.
    label: Text | None = None


class Question(Cited, Dated):
    id: str = Field(pattern=ID_PATTERN)
    topic: str
    difficulty: int = Field(ge=1, le=3)
    text: Text
    options: TextList
    correct: list[int] = Field(min_length=1)
    explanation: Text
    # A picture question: the calendar event marked on the timeline it is asked with.
    picture: str | None = None

    @model_validator(mode="after")
    def _correct_in_range(self) -> Question:
        count = len(self.options.ru)
        if not 3 <= count <= 4:
            raise ValueError(f"a question has 3-4 options, this one has {count}")
        if len(set(self.correct)) != len(self.correct) or any(
            not 0 <= index < count for index in self.correct
        ):
            raise ValueError(f"correct {self.correct} must be distinct indices below {count}")
        if len(self.correct) == count:
            raise ValueError("at least one option must be wrong")
        return self


class PictureQuestion(Strict):
    """A picture question, "which event is marked on this timeline?": the timeline of the key
    dates with ``event`` marked by a "?", and ``wrong`` events (not key dates, so not labelled
    on the picture) as the other options. The loader turns it into a ``Question`` citing the
    event's sources."""

    id: str = Field(pattern=ID_PATTERN)
    difficulty: int = Field(ge=1, le=3)
    event: str
    wrong: list[str] = Field(min_length=2, max_length=3)
