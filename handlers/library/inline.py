"""Inline mode: ``@bot words`` in any chat offers facts, terms and topic cards to share; a quiz
link's payload (``@bot quiz-npt-L2``, what "play this in a group" and "challenge a friend" put
there) offers that quiz's card.

Results depend on the user's language, so they are personal; the content changes only with a
deploy, so Telegram may cache them for five minutes.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultUnion,
    InputTextMessageContent,
)

from bot.library.deeplinks import (
    PayloadKind,
    deep_link,
    parse_payload,
    topic_payload,
    with_language,
)
from bot.library.service import Library
from bot.library.types import DocumentKind, Hit
from bot.library.views import section_index, sources_line
from bot.profiles.types import Chat
from bot.quiz import views as quiz_views
from bot.reminders.service import ReminderService
from bot.telegram.i18n import Translator, quote
from bot.telegram.ui import long_date, shorten
from content.loader import Catalog
from content.models import Fact

CACHE_SECONDS = 300
RESULTS = 10
QUERY_MAX = 200
DESCRIPTION_MAX = 120


def _article(
    result_id: str, title: str, description: str, text: str, url: str | None, t: Translator
) -> InlineQueryResultArticle:
    markup = None
    if url is not None:
        button = InlineKeyboardButton(text=t.plain("inline.open_in_bot"), url=url)
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    return InlineQueryResultArticle(
        id=result_id,
        title=title,
        description=shorten(description, DESCRIPTION_MAX),
        input_message_content=InputTextMessageContent(message_text=text),
        reply_markup=markup,
    )


def _hit_article(
    hit: Hit, catalog: Catalog, t: Translator, username: str
) -> InlineQueryResultArticle:
    document = hit.document
    topic = catalog.topics.get(document.topic or "")
    url = deep_link(username, with_language(topic_payload(topic.id), t.lang)) if topic else None
    cites = []
    if document.kind == DocumentKind.FACT:
        cites = catalog.facts[document.ref].cite
    elif document.kind == DocumentKind.SECTION and topic is not None:
        cites = topic.sections[section_index(topic, document)].cite
    body = f"<b>{quote(document.title)}</b>\n\n{quote(document.text)}"
    if cites:
        body += f"\n\n{sources_line(catalog, cites, t)}"
    if len(body) > 4000:
        sources = sources_line(catalog, cites, t)
        body = f"<b>{quote(document.title)}</b>\n\n{quote(hit.snippet)}\n\n{sources}"
    return _article(f"{document.kind}:{document.ref}", document.title, hit.snippet, body, url, t)


def _fact_article(
    fact: Fact, catalog: Catalog, t: Translator, username: str
) -> InlineQueryResultArticle:
    topic = catalog.fact_topic[fact.id]
    url = deep_link(username, with_language(topic_payload(topic), t.lang))
    body = f"💡 {quote(fact.text.get(t.lang))}\n\n{sources_line(catalog, fact.cite, t)}"
    title = t.plain("inline.fact_of_the_day")
    return _article(f"fact-of-day:{fact.id}", title, fact.text.get(t.lang), body, url, t)


async def on_inline_query(
    query: InlineQuery, bot: Bot, t: Translator, library: Library,
    reminders: ReminderService, chat_record: Chat | None,
) -> None:  # fmt: skip
    me = await bot.me()
    username = me.username or ""
    catalog = library.catalog
    text = query.query.strip()[:QUERY_MAX]
    results: list[InlineQueryResultUnion] = []
    quiz = parse_payload(text) if text else None
    if quiz is not None and quiz.kind == PayloadKind.QUIZ:
        if quiz.topic is None or quiz.topic in catalog.topics:  # not a renamed topic
            card = quiz_views.quiz_card(catalog, t, username, quiz, query.chat_type)
            results = [card]
    elif text:
        results = [
            _hit_article(hit, catalog, t, username)
            for hit in library.search(text, t.lang, RESULTS)
        ]
    else:
        # An inline query comes from no chat: "today" is then the bot's time zone's.
        zone = chat_record.timezone if chat_record else None
        fact = library.fact_of_the_day(zone)
        if fact is not None:
            results.append(_fact_article(fact, catalog, t, username))
        for day, event in reminders.upcoming(zone, 1).dates:
            years = day.year - event.year
            when = long_date(day, t.lang)
            body = (
                f"🗓 <b>{quote(when)}</b> — {t('reminders.anniversary', count=years)}\n"
                f"{quote(event.text.get(t.lang))}\n\n{sources_line(catalog, event.cite, t)}"
            )
            event_topic = catalog.topics.get(event.topic)
            event_url = (
                deep_link(username, with_language(topic_payload(event_topic.id), t.lang))
                if event_topic
                else None
            )
            results.append(
                _article(
                    f"next:{event.id}",
                    t.plain("inline.next_anniversary", date=when),
                    event.text.get(t.lang),
                    body,
                    event_url,
                    t,
                )
            )
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)


def setup() -> Router:
    router = Router(name=__name__)
    router.inline_query.register(on_inline_query)
    return router
