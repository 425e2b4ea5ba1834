"""Rendering of content screens: text (Telegram HTML) plus an inline keyboard.

Pure functions of the catalogue, the language and the translator; handlers call one and send
the result. Every piece of content or user text goes through ``quote`` here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Generic, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.library.types import Document, DocumentKind, Hit
from bot.telegram.callbacks import (
    FactCb,
    GlossaryCb,
    MenuAction,
    MenuCb,
    PictureCb,
    TimelineCb,
    TopicCb,
)
from bot.telegram.commands import Where, commands_for
from bot.telegram.i18n import Html, Translator, quote
from bot.telegram.ui import Screen, button, columns, fit, keyboard, long_date, paginate, shorten
from content.loader import Catalog, UiCatalog
from content.models import (
    LANGS,
    CalendarEvent,
    Citation,
    Dated,
    Fact,
    GlossaryTerm,
    Lang,
    Topic,
)

T = TypeVar("T")

TIMELINE_PAGE = 8
SEARCH_SCREENS = 2048  # search replies kept (the search core keeps 2,048 results per language)
GLOSSARY_PAGE = 8


def sources_line(catalog: Catalog, cites: list[Citation], t: Translator) -> Html:
    return t("content.sources_line", sources=catalog.cite_labels(cites, t.lang))


def as_of_line(item: Dated, t: Translator) -> str:
    """ "🗓 As of 31 January 2026" under a statement that can stop being true; else nothing."""
    if item.as_of is None:
        return ""
    return f"\n🗓 <i>{t('content.as_of', date=long_date(item.as_of, t.lang))}</i>"


def main_menu(t: Translator) -> InlineKeyboardMarkup:
    actions = (
        MenuAction.TOPICS,
        MenuAction.FACT,
        MenuAction.TIMELINE,
        MenuAction.GLOSSARY,
        MenuAction.SEARCH,
        MenuAction.SOURCES,
    )
    return columns([button(t.plain(f"menu.{a.value}"), MenuCb(action=a)) for a in actions], 2)


def start_screen(t: Translator, name: str) -> Screen:
    return Screen(t("start.greeting", name=name), main_menu(t))


def help_screen(t: Translator, where: Where) -> Screen:
    lines: list[str] = [t("help.header")]
    lines += [
        Html(f"/{command.name} — {t(command.description_key)}") for command in commands_for(where)
    ]
    lines.append(t("help.private_search") if where is Where.PRIVATE else t("help.group_note"))
    return Screen(Html("\n".join(lines)))


def about_screen(t: Translator, catalog: Catalog) -> Screen:
    return Screen(
        t(
            "about.text",
            topics=len(catalog.topics),
            facts=len(catalog.facts),
            terms=len(catalog.glossary),
            events=len(catalog.calendar),
        )
    )


def topics_menu(catalog: Catalog, t: Translator) -> Screen:
    buttons = [
        button(f"{topic.emoji} {topic.title.get(t.lang)}", TopicCb(topic=topic.id))
        for topic in catalog.topics.values()
    ]
    return Screen(t("topics.header"), columns(buttons))


def topic_screen(catalog: Catalog, t: Translator, topic: Topic, section: int) -> Screen:
    lang = t.lang
    header = f"{topic.emoji} <b>{quote(topic.title.get(lang))}</b>"
    if section < 0:
        text = f"{header}\n\n{quote(topic.summary.get(lang))}\n\n{t('topics.choose_section')}"
        related = [catalog.topics[r] for r in topic.related if r in catalog.topics][:3]
        markup = keyboard(
            *(
                [
                    button(
                        f"{index + 1}. {item.title.get(lang)}",
                        TopicCb(topic=topic.id, section=index),
                    )
                ]
                for index, item in enumerate(topic.sections)
            ),
            *(
                [button(f"↪ {other.emoji} {other.title.get(lang)}", TopicCb(topic=other.id))]
                for other in related
            ),
            [
                button(t.plain("topics.fact_button"), FactCb(topic=topic.id)),
                button(t.plain("topics.all_topics"), MenuCb(action=MenuAction.TOPICS)),
            ],
        )
        return Screen(Html(text), markup)
    item = topic.sections[section]
    text = (
        f"{header}\n<b>{section + 1}/{len(topic.sections)}. {quote(item.title.get(lang))}</b>\n\n"
        f"{quote(item.body.get(lang))}\n\n{sources_line(catalog, item.cite, t)}"
        f"{as_of_line(item, t)}"
    )
    navigation = [button(t.plain("topics.contents"), TopicCb(topic=topic.id))]
    if section > 0:
        navigation.insert(0, button("◀", TopicCb(topic=topic.id, section=section - 1)))
    if section + 1 < len(topic.sections):
        navigation.append(button("▶", TopicCb(topic=topic.id, section=section + 1)))
    return Screen(Html(text), keyboard(navigation))


def fact_screen(catalog: Catalog, t: Translator, fact: Fact, topic_filter: str = "") -> Screen:
    topic = catalog.topics[catalog.fact_topic[fact.id]]
    text = (
        f"💡 {quote(fact.text.get(t.lang))}\n\n"
        f"{topic.emoji} {quote(topic.title.get(t.lang))}\n{sources_line(catalog, fact.cite, t)}"
        f"{as_of_line(fact, t)}"
    )
    markup = keyboard(
        [
            button(t.plain("fact.another"), FactCb(topic=topic_filter)),
            button(t.plain("fact.open_topic"), TopicCb(topic=topic.id)),
        ]
    )
    return Screen(Html(text), markup)


def _event_line(event: CalendarEvent, lang: Lang) -> str:
    when = long_date(date(event.year, event.month, event.day), lang)
    mark = "★ " if event.key else ""
    return f"{mark}<b>{quote(when)}</b> — {quote(event.text.get(lang))}"


def timeline_events(catalog: Catalog) -> list[CalendarEvent]:
    return sorted(catalog.calendar, key=lambda event: (event.year, event.month, event.day))


def timeline_screen(catalog: Catalog, t: Translator, page: int) -> Screen:
    events = timeline_events(catalog)
    pages = max(1, -(-len(events) // TIMELINE_PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = events[page * TIMELINE_PAGE : (page + 1) * TIMELINE_PAGE]
    lines: list[str] = [t("timeline.header", page=page + 1, pages=pages)]
    lines += [_event_line(event, t.lang) for event in chunk]
    if not chunk:
        lines.append(t("timeline.empty"))
    pager = _pager(page, pages, lambda p: TimelineCb(page=p))
    picture = [button(t.plain("timeline.picture_button"), PictureCb())]
    rows = [*(pager.inline_keyboard if pager else []), picture]
    return Screen(Html("\n\n".join(lines)), keyboard(*rows))


def _pager(
    page: int, pages: int, make: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup | None:
    if pages <= 1:
        return None
    row = [button(f"{page + 1}/{pages}", make(page))]
    if page > 0:
        row.insert(0, button("◀", make(page - 1)))
    if page + 1 < pages:
        row.append(button("▶", make(page + 1)))
    return keyboard(row)


def _term_block(catalog: Catalog, term: GlossaryTerm, t: Translator) -> str:
    lang = t.lang
    name = quote(term.name.get(lang))
    head = f"<b>{quote(term.abbr.get(lang))}</b> — {name}" if term.abbr else f"<b>{name}</b>"
    others = [
        f"{code}: {quote(term.abbr.get(code) + ' — ' if term.abbr else '')}"
        f"{quote(term.name.get(code))}"
        for code in LANGS
        if code != lang and term.name.has(code)
    ]
    note = f"\n{quote(term.note.get(lang))}" if term.note else ""
    if term.cite:
        note += f"\n{sources_line(catalog, term.cite, t)}{as_of_line(term, t)}"
    return f"{head}{note}\n<i>{'; '.join(others)}</i>"


def glossary_screen(catalog: Catalog, t: Translator, page: int) -> Screen:
    terms = catalog.glossary
    pages = max(1, -(-len(terms) // GLOSSARY_PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = terms[page * GLOSSARY_PAGE : (page + 1) * GLOSSARY_PAGE]
    lines: list[str] = [t("glossary.header", page=page + 1, pages=pages)]
    lines += [_term_block(catalog, term, t) for term in chunk] or [t("glossary.empty")]
    return Screen(Html("\n\n".join(lines)), _pager(page, pages, lambda p: GlossaryCb(page=p)))


def glossary_lookup_screen(
    catalog: Catalog, t: Translator, query: str, terms: list[GlossaryTerm]
) -> Screen:
    if not terms:
        return Screen(t("glossary.not_found", query=query))
    blocks = [_term_block(catalog, term, t) for term in terms]
    return Screen(fit(Html("\n\n".join(blocks))))


def search_screen(catalog: Catalog, t: Translator, query: str, hits: list[Hit]) -> Screen:
    """Each result: the section it opens (its title, and a button with the same label) and
    the sentences that answer the query, the matched words in bold.

    A pure function of immutable inputs, and students ask the same questions: the search core
    keeps their results, and this keeps their replies (rendering five results, their buttons
    and highlighted sentences costs as much again as finding them)."""
    return _kept_search_screen(_Same(catalog), _Same(t.ui), t.lang, query, tuple(hits))


class _Same(Generic[T]):
    """A key part that is its object itself (the catalogue and the interface strings hold
    dicts, so they have no value hash; they never change once loaded)."""

    __slots__ = ("item",)

    def __init__(self, item: T) -> None:
        self.item = item

    def __hash__(self) -> int:
        return id(self.item)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.item is self.item


@lru_cache(maxsize=SEARCH_SCREENS)
def _kept_search_screen(
    catalog: _Same[Catalog], ui: _Same[UiCatalog], lang: Lang, query: str, hits: tuple[Hit, ...]
) -> Screen:
    return _render_search(catalog.item, Translator(ui.item, lang), query, list(hits))


def _render_search(catalog: Catalog, t: Translator, query: str, hits: list[Hit]) -> Screen:
    if not hits:
        return Screen(t("search.nothing", query=query))
    lines: list[str] = [t("search.header", query=query, count=len(hits))]
    buttons: list[InlineKeyboardButton] = []
    for number, hit in enumerate(hits, start=1):
        topic = catalog.topics.get(hit.document.topic or "")
        emoji = topic.emoji if topic else "📘"
        if hit.section is not None:
            label = hit.section.title
        else:
            label = topic.title.get(t.lang) if topic else hit.document.title
        lines.append(f"{number}. {emoji} <b>{quote(label)}</b>\n{_highlight(hit)}")
        if topic is not None:
            section = section_index(topic, hit.section) if hit.section is not None else -1
            buttons.append(
                button(shorten(f"{number}. {label}", 60), TopicCb(topic=topic.id, section=section))
            )
    return Screen(fit(Html("\n\n".join(lines))), columns(buttons))


def section_index(topic: Topic, document: Document) -> int:
    """The position in ``topic`` of the section a search document is, or -1 (the overview)."""
    if document.kind != DocumentKind.SECTION:
        return -1
    section_id = document.ref.split("/", 1)[1]
    return next(i for i, item in enumerate(topic.sections) if item.id == section_id)


def _highlight(hit: Hit) -> str:
    snippet = quote(hit.snippet)
    for word in sorted(hit.matched, key=len, reverse=True):
        escaped = quote(word)
        snippet = Html(snippet.replace(escaped, f"\x00{escaped}\x01"))
    return snippet.replace("\x00", "<b>").replace("\x01", "</b>")


def sources_screens(catalog: Catalog, t: Translator) -> list[Screen]:
    lang = t.lang
    seeds = [s for s in catalog.sources.values() if s.kind == "seed"]
    public = [s for s in catalog.sources.values() if s.kind == "public"]
    lines: list[str] = [t("sources.header")]
    for source in seeds:
        symbol = f" ({quote(source.symbol)})" if source.symbol else ""
        lines.append(
            f"📄 <b>{quote(source.short.get(lang))}</b>{symbol}\n{quote(source.title.get(lang))}"
        )
    lines.append(t("sources.public_header"))
    for source in public:
        symbol = f" — {quote(source.symbol)}" if source.symbol else ""
        lines.append(f"• {quote(source.title.get(lang))}{symbol}")
    return [Screen(page) for page in paginate(lines)]
