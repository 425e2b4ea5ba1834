"""The reminder planner: a pure function of (calendar, subscriptions, time window).

A subscription asks for the anniversaries of some events (key dates, all, or some topics),
``lead`` days before each (0 = on the day), at ``send_hour`` local time in its time zone.
``plan_groups`` yields every delivery whose local send time falls in ``[start, end)``, one per
(chat, calendar day, occurrence date, lead): several events on one day make one delivery.

29 February: an event on that day is remembered on 28 February in common years (the last day
of February, as a yearly calendar entry with BYMONTHDAY=-1 does).
Daylight saving: send times are built as local wall-clock times with ``zoneinfo``, so 09:00 is
09:00 in summer and in winter.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.reminders.types import Planned, Selection, Subscription
from content.models import CalendarEvent

LEADS = (0, 1, 7)
FAN_OUT_SPAN = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ReminderRule:
    """What a subscription asks for, in its chat's time zone; many chats share one rule."""

    timezone: str
    send_hour: int
    leads: tuple[int, ...]
    selection: Selection

    @classmethod
    def of(cls, subscription: Subscription, default_timezone: str) -> ReminderRule:
        """What a stored subscription asks for: in its chat's time zone, else the bot's."""
        return cls(
            timezone=subscription.timezone or default_timezone,
            send_hour=subscription.send_hour,
            leads=subscription.leads,
            selection=Selection(subscription.scope, subscription.topics),
        )


def day_key(month: int, day: int) -> str:
    return f"{month:02d}-{day:02d}"


def occurrence_in(year: int, month: int, day: int) -> date:
    """The date an anniversary falls on in ``year`` (29 February → 28 February in common years)."""
    if (month, day) == (2, 29) and not gregorian.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def events_on(
    calendar: Sequence[CalendarEvent], when: date, selection: Selection
) -> list[CalendarEvent]:
    """The selected events whose anniversary falls on ``when``, oldest first."""
    return sorted(
        (
            event
            for event in calendar
            if occurrence_in(when.year, event.month, event.day) == when
            and event.year < when.year
            and selection.wants(event)
        ),
        key=lambda event: event.year,
    )


def next_at_hour(now: datetime, hour: int, zone: ZoneInfo) -> datetime:
    """The next moment after ``now`` when the clock in ``zone`` shows ``hour``:00."""
    local = now.astimezone(zone)
    day = local.date() if local.hour < hour else local.date() + timedelta(days=1)
    # zoneinfo gives that day's offset at that hour, a day with a clock change included.
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def next_occurrence(event: CalendarEvent, today: date) -> date:
    """The next anniversary of ``event`` on or after ``today``."""
    this_year = occurrence_in(today.year, event.month, event.day)
    return (
        this_year if this_year >= today else occurrence_in(today.year + 1, event.month, event.day)
    )


def local_send_time(day: date, hour: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def plan_groups(
    calendar: Sequence[CalendarEvent],
    groups: Iterable[tuple[ReminderRule, Sequence[int]]],
    start: datetime,
    end: datetime,
) -> Iterator[Planned]:
    """Every delivery due in ``[start, end)`` to chats grouped by identical rules: each
    group's dates are worked out once and fanned out, so 100,000 chats cost little more than
    a handful."""
    for rule, chat_ids in groups:
        zone = ZoneInfo(rule.timezone)
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        send_day = first
        while send_day <= last:
            due_at = local_send_time(send_day, rule.send_hour, zone)
            if start <= due_at < end:
                for lead in rule.leads:
                    occurrence = send_day + timedelta(days=lead)
                    if not events_on(calendar, occurrence, rule.selection):
                        continue
                    day = day_key(occurrence.month, occurrence.day)
                    for chat_id in chat_ids:
                        yield Planned(chat_id, day, occurrence, lead, due_at)
            send_day += timedelta(days=1)


def next_fan_out(
    calendar: Sequence[CalendarEvent],
    groups: Sequence[tuple[ReminderRule, Sequence[int]]],
    start: datetime,
    horizon: timedelta = timedelta(days=366),
) -> tuple[datetime, int] | None:
    """The next fan-out after ``start``: when its first delivery falls due, and how many fall
    due within ``FAN_OUT_SPAN`` of it (the chats' time zones spread one date over a day).
    One chat stands for its group, so 100,000 chats cost what their few rules cost."""
    firsts = [
        planned.due_at
        for rule, _ in groups
        if (planned := next(plan_groups(calendar, [(rule, [0])], start, start + horizon), None))
    ]
    if not firsts:
        return None
    first, end = min(firsts), min(firsts) + FAN_OUT_SPAN
    count = sum(
        len(chats) * sum(1 for _ in plan_groups(calendar, [(rule, [0])], first, end))
        for rule, chats in groups
    )
    return first, count
