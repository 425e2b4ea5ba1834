"""The anniversary calendar as an .ics file (RFC 5545): every event, yearly, all day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, vRecur

from content.loader import Catalog
from content.models import Lang


def anniversaries_ics(catalog: Catalog, lang: Lang, name: str, stamp: datetime) -> bytes:
    """All calendar events of ``catalog`` as yearly all-day events in ``lang``; ``name`` is the
    calendar's title, ``stamp`` the DTSTAMP of every event."""
    calendar = Calendar()
    calendar.add("prodid", "-//nwfz-bot//anniversaries//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for item in catalog.calendar:
        event = Event()
        event.add("uid", f"{item.id}@nwfz-bot")
        event.add("dtstamp", stamp)
        event.add("dtstart", date(item.year, item.month, item.day))
        event.add("dtend", date(item.year, item.month, item.day) + timedelta(days=1))
        rule: dict[str, object] = {"freq": "yearly"}
        if (item.month, item.day) == (2, 29):
            # In common years the anniversary is kept on 28 February (see the planner).
            rule.update(bymonth=2, bymonthday=-1)
        event.add("rrule", vRecur(rule))
        event.add("summary", item.text.get(lang))
        event.add("description", catalog.cite_labels(item.cite, lang))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    result: bytes = calendar.to_ical()
    return result
