"""The reminder planner: a pure function of calendar, subscriptions and a time window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.reminders.planner import (
    ReminderRule,
    events_on,
    next_occurrence,
    occurrence_in,
    plan_groups,
)
from bot.reminders.types import Scope, Selection
from content.loader import Catalog
from content.models import CalendarEvent

KEY = Selection(Scope.KEY)


def event(
    day: int, month: int, year: int, key: bool = True, topic: str = "canwfz"
) -> CalendarEvent:
    return CalendarEvent.model_validate(
        {
            "id": f"e-{year}-{month}-{day}", "day": day, "month": month, "year": year, "key": key,
            "topic": topic, "text": {"ru": "x", "en": "x"}, "cite": ["seed002#1"],
        }
    )  # fmt: skip


def chat_one(
    tz: str = "Asia/Almaty", hour: int = 9, leads: tuple[int, ...] = (0,)
) -> list[tuple[ReminderRule, list[int]]]:
    """One chat (id 1) with one rule, as the service groups it."""
    return [(ReminderRule(tz, hour, leads, KEY), [1])]


def window(start: datetime, days: float) -> tuple[datetime, datetime]:
    return start, start + timedelta(days=days)


def test_nine_in_almaty_is_four_utc_and_one_message_per_day(catalog: Catalog) -> None:
    start, end = window(datetime(2026, 8, 28, tzinfo=UTC), 3)
    planned = list(plan_groups(catalog.calendar, chat_one(), start, end))
    assert [(p.day, p.due_at) for p in planned] == [
        ("08-29", datetime(2026, 8, 29, 4, tzinfo=UTC))
    ]
    events = events_on(catalog.calendar, planned[0].occurrence, KEY)
    assert [e.year for e in events] == [1949, 1991], "both 29 August events, oldest first"


def test_daylight_saving_keeps_local_nine() -> None:
    calendar = [event(15, 1, 2000), event(15, 7, 2000)]
    start, end = window(datetime(2026, 1, 1, tzinfo=UTC), 365)
    due = [p.due_at for p in plan_groups(calendar, chat_one("Europe/Berlin"), start, end)]
    assert due == [
        datetime(2026, 1, 15, 8, tzinfo=UTC),  # CET, UTC+1
        datetime(2026, 7, 15, 7, tzinfo=UTC),  # CEST, UTC+2
    ]


def test_leads_cross_the_year_end() -> None:
    calendar = [event(2, 1, 1990)]
    start, end = window(datetime(2026, 12, 20, tzinfo=UTC), 20)
    planned = list(plan_groups(calendar, chat_one(leads=(0, 1, 7)), start, end))
    assert [(p.lead, p.occurrence, p.due_at.date()) for p in planned] == [
        (7, date(2027, 1, 2), date(2026, 12, 26)),
        (1, date(2027, 1, 2), date(2027, 1, 1)),
        (0, date(2027, 1, 2), date(2027, 1, 2)),
    ]


def test_29_february_is_kept_on_28_february_in_common_years() -> None:
    calendar = [event(29, 2, 2000)]
    assert occurrence_in(2027, 2, 29) == date(2027, 2, 28)
    assert occurrence_in(2028, 2, 29) == date(2028, 2, 29)
    start, end = window(datetime(2027, 2, 1, tzinfo=UTC), 400)
    planned = [p.occurrence for p in plan_groups(calendar, chat_one(), start, end)]
    assert planned == [date(2027, 2, 28), date(2028, 2, 29)]
    assert next_occurrence(calendar[0], date(2027, 3, 1)) == date(2028, 2, 29)


def test_selection_by_scope_and_topics() -> None:
    calendar = [
        event(1, 6, 2000, key=True, topic="ctbt"),
        event(2, 6, 2000, key=False, topic="iaea"),
    ]
    start, end = window(datetime(2026, 5, 31, tzinfo=UTC), 5)
    groups = [
        (ReminderRule("UTC", 9, (0,), Selection(Scope.KEY)), [1]),
        (ReminderRule("UTC", 9, (0,), Selection(Scope.ALL)), [2]),
        (ReminderRule("UTC", 9, (0,), Selection(Scope.TOPICS, frozenset({"iaea"}))), [3]),
    ]
    by_chat: dict[int, list[str]] = {}
    for planned in plan_groups(calendar, groups, start, end):
        by_chat.setdefault(planned.chat_id, []).append(planned.day)
    assert by_chat == {1: ["06-01"], 2: ["06-01", "06-02"], 3: ["06-02"]}


def test_window_is_half_open_and_events_in_the_future_are_not_anniversaries() -> None:
    calendar = [event(10, 3, 2026)]  # the event itself, not yet an anniversary in 2026
    nine = datetime(2027, 3, 10, 4, tzinfo=UTC)
    assert (
        list(
            plan_groups(
                calendar,
                chat_one(),
                datetime(2026, 3, 1, tzinfo=UTC),
                datetime(2026, 4, 1, tzinfo=UTC),
            )
        )
        == []
    )
    assert len(list(plan_groups(calendar, chat_one(), nine, nine + timedelta(minutes=1)))) == 1
    assert list(plan_groups(calendar, chat_one(), nine - timedelta(minutes=1), nine)) == []


def test_a_hundred_thousand_identical_subscriptions_plan_as_one_group(catalog: Catalog) -> None:
    [(rule, _)] = chat_one()
    group = [(rule, range(100_000))]
    start = datetime(2026, 8, 29, 3, 55, tzinfo=UTC)
    planned = list(plan_groups(catalog.calendar, group, start, start + timedelta(minutes=10)))
    assert len(planned) == 100_000
    assert len({p.chat_id for p in planned}) == 100_000
