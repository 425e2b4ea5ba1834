"""/dates beyond the next five: the key dates of a year and every date of a month, one tap away.

End to end through the real dispatcher and the offline Telegram, on the shipped content (the
real 29 August), in ru, en and kk; the pure listing under it is checked with Hypothesis.
"""

from __future__ import annotations

import re
from calendar import isleap, monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app.container import Services
from bot.clock import FakeClock
from bot.offline.world import Actor, World
from bot.reminders.almanac import anniversaries_in, next_anniversaries
from bot.reminders.planner import next_occurrence
from bot.reminders.types import Scope, Selection
from content.loader import Catalog
from content.models import CalendarEvent

# 10 December 2026, 12:00 in Almaty: the next five anniversaries all fall in December.
DECEMBER = datetime(2026, 12, 10, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog(shipped: Catalog) -> Catalog:
    """The shipped content instead of the small fixture: the real calendar, in all languages."""
    return shipped


@dataclass(frozen=True)
class Words:
    """What a reader of each language sees (written out, not computed by the code under test)."""

    key_dates: str  # the /dates button to the year
    closure: str  # the closure of the test site, counted for 2026
    closure_2027: str
    first_test: str  # 29 August 1949, counted for 2026
    sources: str
    december: str  # the month button on /dates in December 2026
    january_next: str  # the › button from December 2026
    december_back: str  # the ‹ button from January 2027
    january_header: str


WORDS = {
    "en": Words(
        "Key dates of 2026", "29 August, 1991 — 35 years", "29 August, 1991 — 36 years",
        "29 August, 1949 — 77 years", "Sources:", "December 2026", "January 2027 ›",
        "‹ December 2026", "January 2027: every anniversary",
    ),
    "ru": Words(
        "Ключевые даты 2026 года", "29 августа, 1991 — 35 лет", "29 августа, 1991 — 36 лет",
        "29 августа, 1949 — 77 лет", "Источники:", "Декабрь 2026", "Январь 2027 ›",
        "‹ Декабрь 2026", "Январь 2027: все годовщины",
    ),
    "kk": Words(
        "2026 жылдың негізгі даталары", "29 тамыз, 1991 — 35 жыл толады",
        "29 тамыз, 1991 — 36 жыл толады", "29 тамыз, 1949 — 77 жыл толады", "Дереккөздер:",
        "Желтоқсан 2026", "Қаңтар 2027 ›", "‹ Желтоқсан 2026", "Қаңтар 2027: айдың барлық",
    ),
}  # fmt: skip


def set_clock(services: Services, when: datetime) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(when)


async def dates_in_december(world: World, services: Services, lang: str) -> tuple[Actor, Words]:
    """A reader who sent /dates on 10 December 2026, and the words of their language."""
    set_clock(services, DECEMBER)
    reader = world.user("Alice", lang)
    await reader.send("/dates")
    return reader, WORDS[lang]


@pytest.mark.parametrize("lang", ["ru", "en", "kk"])
async def test_from_december_one_tap_reaches_29_august(
    world: World, services: Services, lang: str
) -> None:
    alice, words = await dates_in_december(world, services, lang)
    listing = world.last(alice.private)
    assert "августа" not in (listing.text or "") and "August" not in (listing.text or "")
    requests = await alice.tap(words.key_dates)
    [edit] = [r for r in requests if r.method == "editMessageText"]
    assert edit.params["message_id"] == listing.message_id, "the same message, edited"
    page = world.last(alice.private)
    assert page.message_id == listing.message_id
    text = page.text or ""
    assert words.closure in text and words.first_test in text
    closure = text[text.index(words.closure) :].split("\n\n")[0]
    assert words.sources in closure, "each date cites its sources"
    assert text.split(words.closure)[0].endswith("★ "), "a key date"
    # A year on, the same date counts one more year.
    await alice.tap("2027 ›")
    assert words.closure_2027 in world.last_text(alice.private)


@pytest.mark.parametrize("lang", ["ru", "en", "kk"])
async def test_month_navigation_wraps_across_new_year(
    world: World, services: Services, lang: str
) -> None:
    alice, words = await dates_in_december(world, services, lang)
    await alice.tap(words.december)
    december = world.last_text(alice.private)
    # Every date of the month, key or not: Independence Day (16 December 1991) is not a key one.
    assert re.search(r"^16 \w+, 1991 — 35 ", december, re.MULTILINE), december
    await alice.tap(words.january_next)
    january = world.last(alice.private)
    assert (january.text or "").startswith(f"🗓 {words.january_header}")
    assert "2018 — 9 " in (january.text or ""), "the UNSC briefing of 18 January 2018, in 2027"
    await alice.tap(words.december_back)
    assert world.last(alice.private).text == december, "and back to where it started"
    await alice.tap("★ 2026")
    assert words.closure in world.last_text(alice.private)


async def test_today_is_the_chat_time_zone_s_today(world: World, services: Services) -> None:
    # 20:00 UTC on 31 December 2026 is already 1 January 2027 in Almaty (UTC+5).
    set_clock(services, datetime(2026, 12, 31, 20, 0, tzinfo=UTC))
    alice = world.user("Alice", "en")
    await alice.send("/dates")
    labels = [button["text"] for button in world.last(alice.private).buttons()]
    assert labels == ["★ Key dates of 2027", "📅 January 2027"]
    await alice.tap("Key dates of 2027")
    assert "29 August, 1991 — 36 years" in world.last_text(alice.private)
    # In New York it is still 15:00 on 31 December.
    await alice.send("/subscribe")
    await alice.send("/reminders America/New_York")
    await alice.send("/dates")
    labels = [button["text"] for button in world.last(alice.private).buttons()]
    assert labels == ["★ Key dates of 2026", "📅 December 2026"]


async def test_group_members_turn_the_pages_too(world: World, services: Services) -> None:
    set_clock(services, DECEMBER)
    admin, member = world.user("Admin", "ru"), world.user("Member", "ru")
    group = world.group("Delegates", {admin: "administrator", member: "member"})
    await admin.send("/dates", chat=group)
    requests = await member.tap("Ключевые даты 2026 года", chat=group)
    [answer] = [r for r in requests if r.method == "answerCallbackQuery"]
    assert not answer.params.get("show_alert"), "reading the calendar is for everyone"
    assert "29 августа, 1991 — 35 лет" in world.last_text(group)


@pytest.mark.parametrize(
    "data",
    [
        "dt:2026:13",  # no thirteenth month
        "dt:2026:-1",
        "dt:1899:0",  # before the first year /dates shows
        "dt:99999999999999999999999:1",
        "dt:abc:1",
        "dt:2026:1:7",  # one part too many
        "dt:",
    ],
)
async def test_forged_dates_buttons_are_answered_as_expired(
    world: World, services: Services, data: str
) -> None:
    alice, _ = await dates_in_december(world, services, "en")
    listing = world.last(alice.private)
    requests = await alice.press(listing, data)
    assert [r.method for r in requests] == ["answerCallbackQuery"], "nothing edited"
    assert requests[0].params.get("show_alert")
    assert "expired" in requests[0].params["text"]
    assert world.last(alice.private).text == listing.text


async def test_stale_pages_still_show_and_navigation_stops_at_the_last_year(
    world: World, services: Services
) -> None:
    alice, _ = await dates_in_december(world, services, "en")
    listing = world.last(alice.private)
    set_clock(services, datetime(2031, 3, 1, tzinfo=UTC))  # a button pressed years later
    await alice.press(listing, "dt:2100:12")
    last_page = world.last(alice.private)
    assert (last_page.text or "").startswith("🗓 December 2100")
    labels = [button["text"] for button in last_page.buttons()]
    assert labels == ["‹ November", "★ 2100"], "no January 2101"
    await alice.tap("★ 2100")
    labels = [button["text"] for button in world.last(alice.private).buttons()]
    assert "‹ 2099" in labels and not any("2101" in label for label in labels)
    await alice.press(listing, "dt:1900:1")
    first_page = world.last(alice.private)
    assert "No anniversaries fall here." in (first_page.text or "")
    assert [button["text"] for button in first_page.buttons()] == ["★ 1900", "February ›"]


@pytest.mark.parametrize("lang", ["ru", "en", "kk"])
async def test_every_page_of_a_year_fits_a_message_and_lists_every_date(
    world: World, services: Services, catalog: Catalog, lang: str
) -> None:
    """The year's key dates and all twelve months, each in full under Telegram's 4096."""
    set_clock(services, DECEMBER)
    world.pause_between_updates = timedelta(seconds=1)  # a reader, not a flood
    reader = world.user("Reader", lang)
    await reader.send("/dates")
    await reader.tap("★")
    page = world.last(reader.private)
    texts = [page.text or ""]
    for month in range(1, 13):
        await reader.press(page, f"dt:2026:{month}")
        texts.append(world.last_text(reader.private))
    expected = [
        sum(event.key for event in catalog.calendar),
        *(sum(event.month == month for event in catalog.calendar) for month in range(1, 13)),
    ]
    sources = WORDS[lang].sources
    assert [text.count(sources) for text in texts] == expected, "nothing cut off"
    lengths = [len(text) for text in texts]
    assert max(lengths) <= 4096, lengths
    assert not world.telegram.violations


# ---- the pure listing -------------------------------------------------------------------------


@st.composite
def calendar_event(draw: st.DrawFn) -> CalendarEvent:
    month = draw(st.integers(1, 12))
    return CalendarEvent.model_validate(
        {
            "id": f"e{draw(st.integers(0, 10**6))}",
            "day": draw(st.integers(1, monthrange(2000, month)[1])),  # 2000 has a 29 February
            "month": month,
            "year": draw(st.integers(1900, 2100)),
            "key": draw(st.booleans()),
            "topic": "npt",
            "text": {"ru": "x", "en": "x"},
            "cite": ["seed002#1"],
        }
    )


@given(
    st.lists(calendar_event(), max_size=30),
    st.integers(1900, 2100),
    st.sampled_from([Scope.KEY, Scope.ALL]),
)
def test_the_months_partition_the_year(
    calendar: list[CalendarEvent], year: int, scope: Scope
) -> None:
    selection = Selection(scope)
    whole = anniversaries_in(calendar, selection, year)
    months = [anniversaries_in(calendar, selection, year, month) for month in range(1, 13)]
    assert [pair for month in months for pair in month] == whole
    assert whole == sorted(whole, key=lambda pair: (pair[0], pair[1].year))
    wanted = [e for e in calendar if e.year < year and (scope == "all" or e.key)]
    assert sorted(e.id for _, e in whole) == sorted(e.id for e in wanted), "each exactly once"
    for day, event in whole:
        assert day.year == year and day.month == event.month
        leap_day_in_common_year = (event.month, event.day) == (2, 29) and day.day == 28
        assert day.day == event.day or leap_day_in_common_year
        assert leap_day_in_common_year == (
            (event.month, event.day) == (2, 29) and not isleap(year)
        )


@given(
    st.lists(calendar_event(), max_size=30),
    st.dates(date(1990, 1, 1), date(2090, 12, 31)),
    st.integers(0, 10),
)
def test_the_next_anniversaries_are_the_earliest_from_today(
    calendar: list[CalendarEvent], today: date, count: int
) -> None:
    found = next_anniversaries(calendar, today, count)
    assert len(found) == min(count, len(calendar))
    assert found == sorted(found, key=lambda pair: (pair[0], pair[1].year))
    for day, event in found:
        assert today <= day < today + timedelta(days=366)
        assert day.month == event.month and day == next_occurrence(event, today)
    if found:
        listed = {event.id for _, event in found}
        last = found[-1][0]
        assert all(next_occurrence(e, today) >= last for e in calendar if e.id not in listed)
