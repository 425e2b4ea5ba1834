"""The curated content as the handlers use it: lookups, random facts, search."""

from __future__ import annotations

import random
from datetime import date
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.library.search import SearchIndex, build_indexes
from bot.library.text import normalise, words
from bot.library.types import DocumentKind, Hit
from content.loader import Catalog
from content.models import LANGS, Fact, GlossaryTerm, Lang


def fact_of_the_day(catalog: Catalog, day: date) -> Fact | None:
    """The same fact all day long, and another the next day: the facts in id order, one a day."""
    ids = sorted(catalog.facts)
    return catalog.facts[ids[day.toordinal() % len(ids)]] if ids else None


class Library:
    def __init__(
        self, catalog: Catalog, clock: Clock, timezone: str, rng: random.Random | None = None
    ) -> None:
        self.catalog = catalog
        self.clock = clock
        self.timezone = timezone  # the bot's; a chat may have its own
        self.indexes: dict[Lang, SearchIndex] = build_indexes(catalog)
        self._rng = rng or random.Random()

    def random_fact(self, topic_id: str = "", avoid: str | None = None) -> Fact | None:
        facts = [
            fact
            for fact in self.catalog.facts.values()
            if not topic_id or self.catalog.fact_topic[fact.id] == topic_id
        ]
        if len(facts) > 1 and avoid is not None:
            facts = [fact for fact in facts if fact.id != avoid]
        return self._rng.choice(facts) if facts else None

    def fact_of_the_day(self, chat_timezone: str | None) -> Fact | None:
        """Today's fact, "today" being the chat's local date (the bot's zone if it has none)."""
        today = self.clock.now().astimezone(ZoneInfo(chat_timezone or self.timezone)).date()
        return fact_of_the_day(self.catalog, today)

    def search(self, query: str, lang: Lang, limit: int = 5) -> list[Hit]:
        """Search in the user's language; a query in another language (a delegate typing
        «полигон» with an English interface) falls back to the other indexes."""
        hits = self.indexes[lang].search(query, limit)
        for other in LANGS:
            if hits:
                break
            if other != lang:
                hits = self.indexes[other].search(query, limit)
        return hits

    def glossary(self, query: str, lang: Lang) -> list[GlossaryTerm]:
        """Terms whose abbreviation or name matches in any language; exact abbreviations first."""
        wanted = normalise(query.strip())
        exact: list[GlossaryTerm] = []
        partial: list[GlossaryTerm] = []
        for term in self.catalog.glossary:
            abbreviations = (
                {normalise(term.abbr.get(code)) for code in ("ru", "en", "kk")}
                if term.abbr
                else set()
            )
            names = " ".join(term.name.get(code) for code in ("ru", "en", "kk"))
            if wanted in abbreviations:
                exact.append(term)
            elif wanted and (wanted in normalise(names) or set(words(query)) & abbreviations):
                partial.append(term)
        if exact or partial:
            return (exact + partial)[:6]
        hits = self.indexes[lang].search(query, limit=3)
        found = [
            self.catalog.term(hit.document.ref)
            for hit in hits
            if hit.document.kind == DocumentKind.TERM
        ]
        return [term for term in found if term is not None]
