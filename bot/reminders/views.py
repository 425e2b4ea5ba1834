"""Reminder screens: the reminder itself, the settings, and the coming dates."""

from __future__ import annotations

from datetime import date

from aiogram.types import InlineKeyboardButton

from bot.callbacks import ReminderCb, TopicCb
from bot.i18n import Html, Translator, quote
from bot.reminders.planner import LEADS
from bot.views import Screen, button, columns, day_month, fit, keyboard, long_date
from content.loader import Catalog
from content.models import CalendarEvent
from storage.reminders import SubscriptionRow

COMMON_ZONES = ("Asia/Almaty", "Europe/Moscow", "Europe/Berlin", "America/New_York", "UTC")

__all__ = ["Screen", "dates", "reminder", "settings", "topic_picker"]


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


def settings(catalog: Catalog, t: Translator, row: SubscriptionRow, timezone: str) -> Screen:
    if row.scope == "topics":
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
        hour=f"{row.send_hour:02d}:00",
        timezone=timezone,
    )

    def choice(label: str, setting: str, value: str = "") -> InlineKeyboardButton:
        return button(label, ReminderCb(setting=setting, value=value))

    rows = [
        [
            choice(_toggle(t.plain("reminders.key_dates"), row.scope == "key"), "scope", "key"),
            choice(_toggle(t.plain("reminders.all_dates"), row.scope == "all"), "scope", "all"),
        ],
        [choice(_toggle(t.plain("reminders.by_topic"), row.scope == "topics"), "topics")],
        [
            choice(
                _toggle(t.plain(f"reminders.lead.{lead}"), lead in row.leads), "lead", str(lead)
            )
            for lead in LEADS
        ],
        [
            choice("◀", "hour", str((row.send_hour - 1) % 24)),
            choice(f"🕘 {row.send_hour:02d}:00", "hour", str(row.send_hour)),
            choice("▶", "hour", str((row.send_hour + 1) % 24)),
        ],
        [choice(_toggle(zone, zone == timezone), "tz", zone) for zone in COMMON_ZONES[:3]],
        [choice(_toggle(zone, zone == timezone), "tz", zone) for zone in COMMON_ZONES[3:]],
        [choice(t.plain("reminders.unsubscribe_button"), "off")],
    ]
    return Screen(text, keyboard(*rows))


def topic_picker(catalog: Catalog, t: Translator, row: SubscriptionRow) -> Screen:
    buttons = [
        button(
            _toggle(
                f"{topic.emoji} {topic.title.get(t.lang)}",
                row.scope == "topics" and topic.id in row.topics,
            ),
            ReminderCb(setting="topic", value=topic.id),
        )
        for topic in catalog.topics.values()
    ]
    buttons.append(button(t.plain("reminders.back"), ReminderCb(setting="back")))
    return Screen(t("reminders.choose_topics"), columns(buttons))


def dates(
    catalog: Catalog,
    t: Translator,
    upcoming: list[tuple[date, CalendarEvent]],
    today: date,
    timezone: str,
) -> Screen:
    lines: list[str] = [t("reminders.dates_header", timezone=timezone)]
    for day, event in upcoming:
        days = (day - today).days
        when = t("reminders.today_short") if days == 0 else t("reminders.in_n_days", count=days)
        years = day.year - event.year
        lines.append(
            f"{'★ ' if event.key else ''}<b>{quote(long_date(day, t.lang))}</b> ({when}) — "
            f"{t('reminders.anniversary', count=years)}\n{quote(event.text.get(t.lang))}"
        )
    return Screen(fit(Html("\n\n".join(lines))))
