"""The reminders' data: which events, planned deliveries, subscriptions (storage returns these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from content.models import CalendarEvent


@dataclass(frozen=True, slots=True)
class Selection:
    scope: str  # "key" | "all" | "topics"
    topics: frozenset[str] = frozenset()

    def wants(self, event: CalendarEvent) -> bool:
        if self.scope == "all":
            return True
        if self.scope == "topics":
            return event.topic in self.topics
        return event.key


@dataclass(frozen=True, slots=True)
class Planned:
    chat_id: int
    day: str  # the calendar day, "MM-DD"
    occurrence: date  # the anniversary's date this year
    lead: int
    due_at: datetime  # UTC


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    chat_id: int
    scope: str
    topics: frozenset[str]
    leads: tuple[int, ...]
    send_hour: int
    timezone: str | None  # the chat's; None = the bot's default
    active: bool  # the chat is reachable


@dataclass(frozen=True, slots=True)
class Delivery:
    chat_id: int
    day: str
    occurrence: date
    lead: int
    due_at: datetime
    attempts: int
    # None for rows planned before the column existed: they follow the subscription.
    selection: Selection | None = None

    @property
    def key(self) -> tuple[int, str, str, int]:
        return (self.chat_id, self.day, self.occurrence.isoformat(), self.lead)
