"""Reminders end to end: subscribe, settings, on-time delivery in each chat's zone, restarts."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from bot.app.container import Services
from bot.clock import FakeClock
from bot.offline.records import SimulatedCrash
from bot.offline.world import World
from bot.reminders.service import CONCURRENCY
from content.loader import Catalog
from tests.vocabulary import Restartable, run_jobs

# 28 August 2026, 20:00 UTC: the evening before the 35th anniversary of the closure.
EVE = datetime(2026, 8, 28, 20, 0, tzinfo=UTC)


def reminders_in(world: World, chat: dict[str, object]) -> list[str]:
    return [m.text or "" for m in world.messages(chat) if "🗓" in (m.text or "")]  # type: ignore[arg-type]


async def test_private_subscription_delivers_at_nine_almaty(
    world: World, services: Services
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    alice = world.user("Alice", "en")
    await alice.send("/subscribe")
    texts = [m.text or "" for m in world.messages(alice.private)]
    assert "subscribed" in texts[0] and "Key dates" in str(world.last(alice.private).buttons())
    assert "Asia/Almaty" in texts[1] and "09:00" in texts[1]
    await run_jobs(world, services, datetime(2026, 8, 29, 3, 59, tzinfo=UTC))
    assert reminders_in(world, alice.private) == [], "not before 09:00 local"
    await run_jobs(world, services, datetime(2026, 8, 29, 4, 1, tzinfo=UTC))
    [reminder] = reminders_in(world, alice.private)
    sent = world.last(alice.private)
    assert sent.date == int(datetime(2026, 8, 29, 4, 0, tzinfo=UTC).timestamp()), "on time"
    assert "Today, 29 August" in reminder
    assert "35 years ago</b>, 29 August 1991" in (sent.html or "")
    assert "77 years ago</b>, 29 August 1949" in (sent.html or "")
    assert "Semipalatinsk" in str(sent.buttons())
    await run_jobs(world, services, datetime(2026, 8, 30, 12, 0, tzinfo=UTC), step=600)
    assert len(reminders_in(world, alice.private)) == 1, "never doubled"


async def test_group_subscription_is_for_admins_and_follows_the_zone(
    world: World, services: Services
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    admin, member = world.user("Admin", "en"), world.user("Member", "en")
    group = world.group("Delegates", {admin: "administrator", member: "member"})
    await member.send("/subscribe", chat=group)
    assert "administrators" in world.last_text(group) or "администраторы" in (
        world.last_text(group)
    )
    await admin.send_as_group("/subscribe", chat=group)  # an anonymous admin counts as admin
    requests = await member.tap("Europe/Berlin", chat=group)
    assert requests[-1].params.get("show_alert"), "members cannot change settings"
    await admin.tap("Europe/Berlin", chat=group)
    assert "Europe/Berlin" in world.last_text(group)
    await run_jobs(world, services, datetime(2026, 8, 29, 6, 59, tzinfo=UTC))
    assert reminders_in(world, group) == []
    await run_jobs(world, services, datetime(2026, 8, 29, 7, 1, tzinfo=UTC))
    assert len(reminders_in(world, group)) == 1, "09:00 in Berlin is 07:00 UTC in summer"


async def test_settings_lead_times_and_hour(world: World, services: Services) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(datetime(2026, 8, 20, 0, 0, tzinfo=UTC))
    alice = world.user("Alice", "ru")
    await alice.send("/subscribe")
    await alice.tap("за 7 дней")
    await alice.tap("за 1 день")
    await alice.tap("▶")  # 10:00
    settings = world.last_text(alice.private)
    assert "в день события, за 1 день, за 7 дней, в 10:00" in settings
    await run_jobs(world, services, datetime(2026, 8, 30, 0, 0, tzinfo=UTC), step=300)
    texts = reminders_in(world, alice.private)
    assert [t.split("\n")[0] for t in texts] == [
        "🗓 Через 7 дней, 29 августа",
        "🗓 Завтра, 29 августа",
        "🗓 Сегодня, 29 августа",
    ]
    assert "35 лет" in texts[0] and "35 лет назад" in texts[2]
    sends = [m.date for m in world.messages(alice.private) if "🗓" in (m.text or "")]
    assert all(datetime.fromtimestamp(d, UTC).hour == 5 for d in sends), "10:00 Almaty = 05:00 UTC"


async def test_changing_the_hour_replans_without_doubling(
    world: World, services: Services
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    alice = world.user("Alice", "en")
    await alice.send("/subscribe")
    await run_jobs(world, services, EVE + timedelta(hours=1))  # 29 Aug 09:00 is now planned
    await alice.tap("▶")  # 10:00 instead
    await run_jobs(world, services, datetime(2026, 8, 29, 6, 0, tzinfo=UTC))
    sends = [m.date for m in world.messages(alice.private) if "🗓" in (m.text or "")]
    assert sends == [int(datetime(2026, 8, 29, 5, 0, tzinfo=UTC).timestamp())]


async def test_any_iana_zone_as_text_and_a_clear_reply_for_a_bad_one(
    world: World, services: Services
) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/subscribe")
    await alice.send("/reminders America/Argentina/Buenos_Aires")
    assert "America/Argentina/Buenos_Aires" in world.last_text(alice.private)
    await alice.send("/reminders Mars/Olympus_Mons")
    assert "not a time zone name I know" in world.last_text(alice.private)


async def test_unsubscribe_stops_reminders(world: World, services: Services) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    alice = world.user("Alice", "en")
    await alice.send("/subscribe")
    await run_jobs(world, services, EVE + timedelta(minutes=30))
    await alice.send("/unsubscribe")
    assert "off" in world.last_text(alice.private)
    await run_jobs(world, services, datetime(2026, 8, 29, 6, 0, tzinfo=UTC), step=300)
    assert reminders_in(world, alice.private) == []
    await alice.send("/reminders")
    assert "not subscribed" in world.last_text(alice.private)


async def test_dates_lists_the_next_anniversaries(world: World, services: Services) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    alice = world.user("Alice", "en")
    await alice.send("/dates 3")
    text = world.last_text(alice.private)
    assert "(Asia/Almaty)" in text
    # 20:00 UTC on 28 August is already 01:00 on 29 August in Almaty.
    assert "29 August 2026 (today) — 35 years" in text
    assert "29 August 2026 (today) — 77 years" in text
    assert "8 September 2026 (in 10 days) — 20 years" in text
    await alice.send("/dates 500")
    assert "from 1 to 20" in world.last_text(alice.private)


async def test_calendar_file_parses_back(world: World, catalog: Catalog) -> None:
    alice = world.user("Alice", "ru")
    requests = await alice.send("/calendar")
    [send] = [r for r in requests if r.method == "sendDocument"]
    [(name, data)] = send.files.values()
    assert name == "nwfz-anniversaries-ru.ics"
    parsed = Calendar.from_ical(data)
    events = list(parsed.walk("VEVENT"))
    assert len(events) == len(catalog.calendar)
    closure = next(e for e in events if str(e["uid"]).startswith("site-closed"))
    assert closure["rrule"]["FREQ"] == ["YEARLY"]
    assert closure.decoded("dtstart").isoformat() == "1991-08-29"
    assert "Семипалатинский" in str(closure["summary"])
    leap = next(e for e in events if str(e["uid"]).startswith("leap-day"))
    assert leap["rrule"]["BYMONTHDAY"] == [-1]


async def test_downtime_within_the_catch_up_window_still_delivers(
    world: World, services: Services
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    alice = world.user("Alice", "en")
    await alice.send("/subscribe")
    await run_jobs(world, services, EVE + timedelta(minutes=5))
    services.clock.set(datetime(2026, 8, 29, 9, 30, tzinfo=UTC))  # down 04:00-09:30 UTC
    await run_jobs(world, services, datetime(2026, 8, 29, 9, 31, tzinfo=UTC))
    assert len(reminders_in(world, alice.private)) == 1


async def test_downtime_beyond_the_window_is_recorded_as_missed(
    world: World, services: Services
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    alice = world.user("Alice", "en")
    await alice.send("/subscribe")
    await run_jobs(world, services, EVE + timedelta(minutes=5))
    services.clock.set(datetime(2026, 8, 30, 12, 0, tzinfo=UTC))  # down for 40 hours
    await run_jobs(world, services, datetime(2026, 8, 30, 12, 5, tzinfo=UTC))
    assert reminders_in(world, alice.private) == [], "never sent days late"
    statuses = await services.reminders.repo.statuses()
    assert list(statuses.values()) == ["missed"]


async def test_blocked_user_is_deactivated_and_skipped(world: World, services: Services) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    alice = world.user("Alice", "en")
    await alice.send("/subscribe")
    world.telegram.blocked_by.add(alice.id)  # no update: the 403 is how the bot finds out
    await run_jobs(world, services, datetime(2026, 8, 29, 4, 1, tzinfo=UTC))
    chat = await services.profiles.chats.get(alice.id)
    assert chat is not None and not chat.active
    assert list((await services.reminders.repo.statuses()).values()) == ["failed"]
    sends_before = len(world.telegram.requests)
    await run_jobs(world, services, datetime(2026, 9, 8, 5, 0, tzinfo=UTC), step=1800)
    assert not [r for r in world.telegram.requests[sends_before:] if r.method == "sendMessage"]
    await alice.unblock_bot()  # my_chat_member: the chat is active again
    chat = await services.profiles.chats.get(alice.id)
    assert chat is not None and chat.active


async def test_migrated_group_gets_the_reminder_at_its_new_id(
    world: World, services: Services
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    admin = world.user("Admin", "en")
    group = world.group("Class", {admin: "creator"}, supergroup=False)
    await admin.send("/subscribe", chat=group)
    supergroup = {
        "id": -(1_000_000_000_000 + -group["id"]),
        "type": "supergroup",
        "title": "Class",
    }
    world.telegram.add_chat(supergroup)
    world.telegram.migrated[group["id"]] = supergroup["id"]  # upgraded; the bot has not heard
    await run_jobs(world, services, datetime(2026, 8, 29, 4, 1, tzinfo=UTC))
    assert len(reminders_in(world, supergroup)) == 1
    assert await services.reminders.repo.get(supergroup["id"]) is not None
    assert await services.reminders.repo.get(group["id"]) is None


async def test_429_waits_and_5xx_retries(world: World, services: Services) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    await alice.send("/subscribe")
    await bob.send("/subscribe")
    world.telegram.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    world.telegram.fail("sendMessage", 502, "Bad Gateway")
    await run_jobs(world, services, datetime(2026, 8, 29, 4, 0, tzinfo=UTC))
    delivered = [len(reminders_in(world, actor.private)) for actor in (alice, bob)]
    assert sorted(delivered) == [0, 1], "one waited out the 429; one is queued for a retry"
    queued = [s for s in (await services.reminders.repo.statuses()).values() if s == "pending"]
    assert queued == ["pending"]
    await run_jobs(world, services, datetime(2026, 8, 29, 4, 3, tzinfo=UTC), step=30)
    assert [len(reminders_in(world, actor.private)) for actor in (alice, bob)] == [1, 1]


class _StopsInALongWait:
    """The limiter's clock for a process that dies while a request waits out a 429: any wait
    of a second or more (pacing waits are shorter) never ends, and says it has begun."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.reached = asyncio.Event()

    def now(self) -> datetime:
        return self.clock.now()

    async def sleep(self, seconds: float) -> None:
        if seconds >= 1:
            self.reached.set()
            await asyncio.get_running_loop().create_future()  # never resolved
        await self.clock.sleep(seconds)


async def test_a_reminder_waiting_out_a_429_when_the_process_dies_goes_after_the_restart(
    restartable: Restartable, clock: FakeClock
) -> None:
    """A 429 says Telegram did not carry the request out: the reminder waiting to go again
    is sent after the restart, not recorded as one that may have arrived."""
    clock.set(EVE)
    world, services = await restartable()
    alice = world.user("Alice", "en")
    await services.reminders.subscribe(alice.id)
    await run_jobs(world, services, EVE + timedelta(minutes=5))
    world.telegram.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    stops = _StopsInALongWait(clock)
    services.limiter.clock = stops
    jobs = asyncio.create_task(run_jobs(world, services, datetime(2026, 8, 29, 4, 1, tzinfo=UTC)))
    reached = asyncio.create_task(stops.reached.wait())
    await asyncio.wait((jobs, reached), return_when=asyncio.FIRST_COMPLETED)
    reached.cancel()
    assert stops.reached.is_set(), "the reminder met the 429 and waits it out"
    jobs.cancel()  # the process dies: nothing it would still do is done
    with contextlib.suppress(asyncio.CancelledError):
        await jobs
    assert reminders_in(world, alice.private) == []
    statuses = await services.reminders.repo.statuses()
    assert Counter(statuses.values()) == Counter(sending=1), "refused, so it never left"

    world2, services2 = await restartable()
    await run_jobs(world2, services2, datetime(2026, 8, 29, 4, 10, tzinfo=UTC))
    assert len(reminders_in(world2, alice.private)) == 1, "sent after the restart, once"
    statuses = await services2.reminders.repo.statuses()
    assert Counter(statuses.values()) == Counter(sent=1)


async def test_kill_in_the_middle_of_a_1000_chat_fan_out(
    restartable: Restartable, clock: FakeClock
) -> None:
    clock.set(EVE)
    world, services = await restartable()
    people = [world.user(f"U{i}", "en") for i in range(1000)]
    for person in people:
        await services.reminders.subscribe(person.id)
    await run_jobs(world, services, EVE + timedelta(minutes=5))
    world.telegram.crash_after_messages = 437  # kill -9 while the fan-out is under way
    with pytest.raises(BaseExceptionGroup) as crash:
        await run_jobs(world, services, datetime(2026, 8, 29, 4, 1, tzinfo=UTC))
    assert crash.group_contains(SimulatedCrash)
    world.telegram.crash_after_messages = None

    world2, services2 = await restartable()
    await run_jobs(world2, services2, datetime(2026, 8, 29, 4, 10, tzinfo=UTC))
    received = Counter(
        message.chat_id
        for message in world2.telegram.messages.values()
        if "🗓" in (message.text or "")
    )
    # The requests that had left (or were leaving) when the process died are in doubt:
    # recorded unknown and never sent again, whether Telegram got them or not.
    statuses = await services2.reminders.repo.statuses()
    in_doubt = {key[0] for key, status in statuses.items() if status == "unknown"}
    assert 0 < len(in_doubt) <= CONCURRENCY, "only what was in flight at the kill"
    assert all(received[p.id] == 1 for p in people if p.id not in in_doubt), "the rest once"
    assert all(received[chat_id] <= 1 for chat_id in in_doubt), "none doubled"
    assert in_doubt - set(received), "the request the kill stopped never arrived"
    assert Counter(statuses.values()) == Counter(sent=1000 - len(in_doubt), unknown=len(in_doubt))
    await services.close()
    await services2.close()
