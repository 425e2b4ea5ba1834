"""Reminder screens: the reminder itself, the subscription screen, and the coming dates."""

from __future__ import annotations

from datetime import date

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_date

from bot.library.views import sources_line
from bot.reminders.almanac import FIRST_YEAR, LAST_YEAR
from bot.reminders.planner import LEADS
from bot.reminders.types import Scope, Subscription, SubscriptionStatus, Upcoming
from bot.telegram.callbacks import DatesCb, ReminderCb, ReminderSetting, TopicCb
from bot.telegram.i18n import Html, Translator, quote
from bot.telegram.ui import (
    BABEL_LOCALES,
    Screen,
    button,
    columns,
    day_month,
    fit,
    keyboard,
    long_date,
    moment,
)
from content.loader import Catalog
from content.models import CalendarEvent, Lang

COMMON_ZONES = ("Asia/Almaty", "Europe/Moscow", "Europe/Berlin", "America/New_York", "UTC")

__all__ = [
    "Screen", "dates", "key_dates", "month_dates", "reminder", "subscribed",
    "subscription_screen", "topic_picker",
]  # fmt: skip


def reminder(
    catalog: Catalog, t: Translator, events: list[CalendarEvent], occurrence: date, lead: int
) -> Screen:
    """One message for every selected event on one day, each with its anniversary number."""
    header_key = {0: "reminders.today", 1: "reminders.tomorrow"}.get(lead, "reminders.in_days")
    lines: list[str] = [t(header_key, count=lead, date=day_month(occurrence, t.lang))]
    for event in events:
        years = occurrence.year - event.year
        ago = t("reminders.years_ago" if lead == 0 else "reminders.years", count=years)
        then = long_date(date(event.year, event.month, event.day), t.lang)
        lines.append(f"• <b>{ago}</b>, {quote(then)}: {quote(event.text.get(t.lang))}")
    topics = {e.topic: catalog.topics[e.topic] for e in events if e.topic in catalog.topics}
    buttons = [
        button(f"{topic.emoji} {topic.title.get(t.lang)}", TopicCb(topic=topic.id))
        for topic in topics.values()
    ]
    return Screen(fit(Html("\n\n".join(lines))), columns(buttons))


def _toggle(label: str, on: bool) -> str:
    return f"{'✅' if on else '▫️'} {label}"


def subscription_screen(catalog: Catalog, t: Translator, status: SubscriptionStatus) -> Screen:
    """A chat's subscription and the buttons that change it. The hour is the next moment it
    comes (``next_send``), so each reader sees it on their own clock."""
    row, timezone = status.row, status.zone
    if row.scope == Scope.TOPICS:
        chosen = ", ".join(
            catalog.topics[topic].title.get(t.lang)
            for topic in sorted(row.topics)
            if topic in catalog.topics
        )
        what = t("reminders.scope_topics", topics=chosen)
    else:
        what = t(f"reminders.scope_{row.scope}")
    leads = ", ".join(t.plain(f"reminders.lead.{lead}") for lead in row.leads)
    text = t(
        "reminders.settings",
        what=what,
        leads=leads,
        hour=moment(status.next_send, f"{row.send_hour:02d}:00", "t"),
        timezone=timezone,
    )

    def choice(label: str, setting: ReminderSetting, value: str = "") -> InlineKeyboardButton:
        return button(label, ReminderCb(setting=setting, value=value))

    def scope(label_key: str, scope: Scope) -> InlineKeyboardButton:
        return choice(
            _toggle(t.plain(label_key), row.scope == scope), ReminderSetting.SCOPE, scope
        )

    def hour(label: str, value: int) -> InlineKeyboardButton:
        return choice(label, ReminderSetting.HOUR, str(value % 24))

    def zones(names: tuple[str, ...]) -> list[InlineKeyboardButton]:
        return [
            choice(_toggle(zone, zone == timezone), ReminderSetting.TIMEZONE, zone)
            for zone in names
        ]

    by_topic = _toggle(t.plain("reminders.by_topic"), row.scope == Scope.TOPICS)
    rows = [
        [scope("reminders.key_dates", Scope.KEY), scope("reminders.all_dates", Scope.ALL)],
        [choice(by_topic, ReminderSetting.TOPICS)],
        [
            choice(
                _toggle(t.plain(f"reminders.lead.{lead}"), lead in row.leads),
                ReminderSetting.LEAD,
                str(lead),
            )
            for lead in LEADS
        ],
        [
            hour("◀", row.send_hour - 1),
            hour(f"🕘 {row.send_hour:02d}:00", row.send_hour),
            hour("▶", row.send_hour + 1),
        ],
        zones(COMMON_ZONES[:3]),
        zones(COMMON_ZONES[3:]),
        [choice(t.plain("reminders.unsubscribe_button"), ReminderSetting.OFF)],
    ]
    return Screen(text, keyboard(*rows))


def topic_picker(catalog: Catalog, t: Translator, row: Subscription) -> Screen:
    buttons = [
        button(
            _toggle(
                f"{topic.emoji} {topic.title.get(t.lang)}",
                row.scope == Scope.TOPICS and topic.id in row.topics,
            ),
            ReminderCb(setting=ReminderSetting.TOPIC, value=topic.id),
        )
        for topic in catalog.topics.values()
    ]
    buttons.append(button(t.plain("reminders.back"), ReminderCb(setting=ReminderSetting.BACK)))
    return Screen(t("reminders.choose_topics"), columns(buttons))


def subscribed(catalog: Catalog, t: Translator, status: SubscriptionStatus) -> list[Screen]:
    """What /subscribe (and the "subscribe" deep link) answers: the news, then the subscription."""
    return [Screen(t("reminders.subscribed")), subscription_screen(catalog, t, status)]


def dates(catalog: Catalog, t: Translator, upcoming: Upcoming) -> Screen:
    today = upcoming.today
    lines: list[str] = [t("reminders.dates_header", timezone=upcoming.timezone)]
    for day, event in upcoming.dates:
        days = (day - today).days
        when = t("reminders.today_short") if days == 0 else t("reminders.in_n_days", count=days)
        years = day.year - event.year
        lines.append(
            f"{'★ ' if event.key else ''}<b>{quote(long_date(day, t.lang))}</b> ({when}) — "
            f"{t('reminders.anniversary', count=years)}\n{quote(event.text.get(t.lang))}"
        )
    more = keyboard(
        [button(t.plain("reminders.key_dates_of", year=today.year), DatesCb(year=today.year))],
        [
            button(
                f"📅 {month_title(today.year, today.month, t.lang)}",
                DatesCb(year=today.year, month=today.month),
            )
        ],
    )
    return Screen(fit(Html("\n\n".join(lines))), more)


def month_title(year: int, month: int, lang: Lang, pattern: str = "LLLL y") -> str:
    """ "August 2026", "Август 2026", "Тамыз 2026": the stand-alone month name, capitalised
    (Russian writes it in lower case); ``pattern`` "LLL" gives "Aug", "Авг.", "Там."."""
    title = str(format_date(date(year, month, 1), format=pattern, locale=BABEL_LOCALES[lang]))
    return title[:1].upper() + title[1:]


def _anniversary_block(catalog: Catalog, t: Translator, day: date, event: CalendarEvent) -> str:
    """ "★ 29 August, 1991 — 35 years", the event and its sources: the anniversary's day in the
    shown year, the year it happened and the number counted for the shown year."""
    return (
        f"{'★ ' if event.key else ''}<b>{quote(day_month(day, t.lang))}</b>, {event.year} — "
        f"{t('reminders.anniversary', count=day.year - event.year)}\n"
        f"{quote(event.text.get(t.lang))}\n{sources_line(catalog, event.cite, t)}"
    )


def _calendar_page(
    catalog: Catalog,
    t: Translator,
    header: Html,
    found: list[tuple[date, CalendarEvent]],
    markup: InlineKeyboardMarkup,
) -> Screen:
    blocks = [_anniversary_block(catalog, t, day, event) for day, event in found]
    lines = [header, *(blocks or [t("reminders.no_anniversaries")])]
    return Screen(fit(Html("\n\n".join(lines))), markup)


def key_dates(
    catalog: Catalog, t: Translator, year: int, found: list[tuple[date, CalendarEvent]]
) -> Screen:
    """The key dates of ``year``, a button for each month's full list, and the years around."""
    months = [
        button(month_title(year, month, t.lang, "LLL"), DatesCb(year=year, month=month))
        for month in range(1, 13)
    ]
    years = [
        button(label, DatesCb(year=other))
        for label, other in ((f"‹ {year - 1}", year - 1), (f"{year + 1} ›", year + 1))
        if FIRST_YEAR <= other <= LAST_YEAR
    ]
    markup = keyboard(*columns(months, 4).inline_keyboard, years)
    return _calendar_page(catalog, t, t("reminders.key_dates_header", year=year), found, markup)


def month_dates(
    catalog: Catalog,
    t: Translator,
    year: int,
    month: int,
    found: list[tuple[date, CalendarEvent]],
) -> Screen:
    """Every anniversary in one month; ‹ › step through the months, across New Year too."""

    def neighbour(step: int) -> list[InlineKeyboardButton]:
        other_year, index = divmod(year * 12 + month - 1 + step, 12)
        if not FIRST_YEAR <= other_year <= LAST_YEAR:
            return []
        # The year is named only when stepping into another one: "‹ July", "January 2027 ›".
        pattern = "LLLL" if other_year == year else "LLLL y"
        name = month_title(other_year, index + 1, t.lang, pattern)
        label = f"‹ {name}" if step < 0 else f"{name} ›"
        return [button(label, DatesCb(year=other_year, month=index + 1))]

    row = [*neighbour(-1), button(f"★ {year}", DatesCb(year=year)), *neighbour(1)]
    header = t("reminders.month_header", month=month_title(year, month, t.lang))
    return _calendar_page(catalog, t, header, found, keyboard(row))
