"""The reminders' data: which events, planned deliveries, subscriptions (storage returns these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from content.models import CalendarEvent


class Scope(StrEnum):
    """Which events a subscription is about; the value is what the database stores."""

    KEY = "key"  # the key dates only
    ALL = "all"
    TOPICS = "topics"  # the events of the chosen topics


class DeliveryStatus(StrEnum):
    """Where a delivery stands; the value is what the database stores."""

    PENDING = "pending"  # queued (again, after a retryable error)
    SENDING = "sending"  # claimed: its request has not left yet (safe to send again)
    DEPARTED = "departed"  # its request is leaving or has left: never sent again
    SENT = "sent"
    MISSED = "missed"  # due longer ago than the catch-up window: never sent days late
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing to send: the chat left, unsubscribed, or nothing matches
    # Its request left and no outcome came (a timeout, or the process died): most likely
    # delivered, never sent again.
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Selection:
    scope: Scope
    topics: frozenset[str] = frozenset()

    def wants(self, event: CalendarEvent) -> bool:
        if self.scope == Scope.ALL:
            return True
        if self.scope == Scope.TOPICS:
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
class Subscription:
    """A chat's subscription as stored, with its chat's time zone and reachability."""

    chat_id: int
    scope: Scope
    topics: frozenset[str]
    leads: tuple[int, ...]
    send_hour: int
    timezone: str | None  # the chat's; None = the bot's default
    active: bool  # the chat is reachable


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    """A subscription as its screen shows it: the row, the time zone the chat lives in (its own,
    else the bot's) and when its reminder hour next comes (what its reminders wait for)."""

    row: Subscription
    zone: str
    next_send: datetime


# A delivery's primary key: chat, calendar day, occurrence (ISO date), lead in days.
DeliveryKey = tuple[int, str, str, int]


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
    def key(self) -> DeliveryKey:
        return (self.chat_id, self.day, self.occurrence.isoformat(), self.lead)


@dataclass(frozen=True, slots=True)
class Upcoming:
    """The next anniversaries as a chat sees them: counted from its local today."""

    timezone: str
    today: date
    dates: list[tuple[date, CalendarEvent]]
