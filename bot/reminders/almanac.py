"""The next anniversaries, and those of one year or one month of it: what /dates shows.

Pure, like the planner it builds on: dates are calendar dates, so no time zone enters here (the
caller decides which year "this year" is in the chat's zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.reminders.planner import next_occurrence, occurrence_in
from bot.reminders.types import Selection
from content.models import CalendarEvent

# The years /dates can show: callback data outside them does not unpack (bot/callbacks.py), and
# navigation offers no button past them. The content's events lie within these years too.
FIRST_YEAR = 1900
LAST_YEAR = 2100


def next_anniversaries(
    calendar: Sequence[CalendarEvent], today: date, count: int
) -> list[tuple[date, CalendarEvent]]:
    """The next ``count`` anniversaries on or after ``today``, by date, oldest event first on a
    shared day."""
    dated = [(next_occurrence(event, today), event) for event in calendar]
    dated.sort(key=lambda pair: (pair[0], pair[1].year))
    return dated[:count]


def anniversaries_in(
    calendar: Sequence[CalendarEvent], selection: Selection, year: int, month: int | None = None
) -> list[tuple[date, CalendarEvent]]:
    """The selected events' anniversaries falling in ``year`` (in one ``month`` of it if given),
    by date, oldest event first on a shared day.

    An anniversary is counted from the year after the event, as the reminders count it; 29
    February falls on 28 February in common years, so it stays in February.
    """
    found = [
        (occurrence_in(year, event.month, event.day), event)
        for event in calendar
        if event.year < year and selection.wants(event) and month in (None, event.month)
    ]
    found.sort(key=lambda pair: (pair[0], pair[1].year))
    return found
