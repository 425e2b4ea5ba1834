"""Reminders as a state machine: no delivery lost, doubled or sent to a chat that did not ask.

Hypothesis (``RuleBasedStateMachine``) plays random sequences of what happens to the bot: people
subscribe, change the settings (hour, lead times, key dates / all / topics, time zone) and
unsubscribe in private chats and groups; a group becomes a supergroup; the clock moves (a few
seconds to a year); the bot stops gracefully, is killed in the middle of a fan-out, starts again.
Everything real runs: ``create_services`` on a database that outlives each start (an SQLite
file, and a PostgreSQL database: the machine runs on both backends),
``create_dispatcher`` behind the offline Telegram (user actions are updates through it), the
start-up and shutdown hooks, and the scheduler's reminder jobs (``lifecycle.background_jobs``)
on their real cadence, first runs included. Only the clock is fake; between the moments where
something can happen (a due time, the first planning run after a start) the machine skips the
job runs that would find nothing, as an idle bot's runs do.

After every step the invariant compares the database and what Telegram received with an
ORACLE worked out here from the calendar and the settings the people chose, without the
planner: a delivery (chat, anniversary, lead) is owed when, at its local send time, the chat was
subscribed with settings that ask for it. Every owed delivery whose time has come and that a
completed sending run has seen is, exactly once, sent (one message, between its due time and
the end of that run) or recorded missed, and missed only when that run came more than the
catch-up window (6 h) after the due time, i.e. the bot was down; or, when a kill cut its request
(departed: it may have reached Telegram), recorded unknown with at most one message; nothing is
sent twice; no row and no message exist for a delivery that was not owed.

Examples are derandomized (the same on every run, a few seconds in CI);
``NWFZ_FUZZ_EXAMPLES=300 pytest tests/test_reminder_machine.py`` explores with a fresh seed, on
both backends.
"""

from __future__ import annotations

import asyncio
import bisect
import calendar as gregorian
import os
import random
import shutil
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bot.app import lifecycle
from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.app.runner import emit_shutdown, emit_startup
from bot.clock import FakeClock
from bot.offline.records import SimulatedCrash
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.offline.world import Actor, World
from bot.telegram.callbacks import ReminderCb
from content.loader import DATA_DIR, load_catalog
from content.models import CalendarEvent
from storage.database import Database
from storage.db import open_database
from tests.databases import empty_postgres

T = TypeVar("T")
CATALOG = load_catalog(Path(__file__).parent / "fixtures" / "content", ui_root=DATA_DIR / "ui")
# The README's promises, restated rather than imported from the code under test.
CATCH_UP = timedelta(hours=6)
DEFAULT_ZONE = "Asia/Almaty"
DEFAULT_HOUR = 9
# Within a minute of the catch-up boundary both outcomes are right: the check runs a moment
# after the start, and a fan-out takes a few (fake) seconds.
EDGE = timedelta(minutes=1)
# DST in both hemispheres, a 45-minute offset, a date line neighbour, far west and UTC.
ZONES = [
    "Asia/Almaty", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kathmandu",
    "Pacific/Chatham", "Pacific/Pago_Pago", "UTC",
]  # fmt: skip
FIRST_START = datetime(2026, 8, 28, 4, 0, tzinfo=UTC)  # the eve of 29 August, in Almaty
PLAN_JOB, SEND_JOB = "reminders-plan", "reminders-send"

EXPLORE = int(os.environ.get("NWFZ_FUZZ_EXAMPLES", "0"))
MACHINE = settings(
    max_examples=EXPLORE or 25,
    stateful_step_count=30,
    deadline=None,
    database=None,
    derandomize=not EXPLORE,
    # No shrinking in CI (minutes at ~0.5 s an example); a failure prints its steps.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# PostgreSQL runs the same steps about three times slower; its claims (SKIP LOCKED, leases) and
# SQL differences show in the first examples, the rest re-walk the planner SQLite walks too.
EXAMPLES = {"sqlite": MACHINE, "postgresql": settings(MACHINE, max_examples=EXPLORE or 8)}


# ---- the oracle: what is owed, from the calendar ----------------------------------------------


@dataclass(frozen=True)
class Prefs:
    """A subscription's settings as the people chose them on the settings screen."""

    zone: str
    hour: int = DEFAULT_HOUR
    leads: frozenset[int] = frozenset({0})
    scope: str = "key"  # "key" | "all" | "topics"
    topics: frozenset[str] = frozenset()

    def wants(self, event: CalendarEvent) -> bool:
        if self.scope == "all":
            return True
        if self.scope == "topics":
            return event.topic in self.topics
        return event.key


Key = tuple[date, int]  # (the anniversary's date, days before it)


def anniversary(event: CalendarEvent, year: int) -> date:
    """29 February is remembered on 28 February in common years (README)."""
    if (event.month, event.day) == (2, 29) and not gregorian.isleap(year):
        return date(year, 2, 28)
    return date(year, event.month, event.day)


def owed_between(prefs: Prefs, start: datetime, end: datetime) -> dict[Key, datetime]:
    """Each (anniversary, lead) ``prefs`` asks for whose local send time is in [start, end)."""
    zone = ZoneInfo(prefs.zone)
    owed: dict[Key, datetime] = {}
    for event in CATALOG.calendar:
        if not prefs.wants(event):
            continue
        for year in range(start.year - 1, end.year + 2):
            if year <= event.year:  # an anniversary comes after the event
                continue
            occurrence = anniversary(event, year)
            for lead in prefs.leads:
                day = occurrence - timedelta(days=lead)
                due = datetime(day.year, day.month, day.day, prefs.hour, tzinfo=zone)
                if start <= due.astimezone(UTC) < end:
                    owed[(occurrence, lead)] = due.astimezone(UTC)
    return owed


@dataclass
class Slot:
    """One chat as people see it; a group keeps its slot when it becomes a supergroup."""

    name: str
    chat: dict[str, Any]
    admin: Actor
    ids: set[int]
    zone: str | None = None  # the chat's own time zone, once chosen
    # The settings in force from each moment on; None: not subscribed.
    history: list[tuple[datetime, Prefs | None]] = field(default_factory=list)

    @property
    def prefs(self) -> Prefs | None:
        return self.history[-1][1] if self.history else None

    def owed(self, until: datetime) -> dict[Key, datetime]:
        """Every delivery owed before ``until``, with the first moment it was owed."""
        owed: dict[Key, datetime] = {}
        for index, (start, prefs) in enumerate(self.history):
            end = self.history[index + 1][0] if index + 1 < len(self.history) else until
            if prefs is not None and start < min(end, until):
                for key, due in owed_between(prefs, start, min(end, until)).items():
                    owed.setdefault(key, due)
        return owed


@dataclass(frozen=True)
class Run:
    """A sending run: when it started and ended, and whether the process died in it."""

    started: datetime
    ended: datetime
    crashed: bool


# ---- the machine ------------------------------------------------------------------------------


class ReminderMachine(RuleBasedStateMachine):
    def __init__(self, postgres_url: str | None = None) -> None:
        """On ``postgres_url`` (emptied first) when given, else on an SQLite file."""
        super().__init__()
        # kill -9 on PostgreSQL leaves the dead process's claims to wait out their lease (one
        # replica cannot tell a dead one from a live one): the oracle models SQLite's restart
        # (every claim back at once), not the lease. tests/test_replicas_process.py kills a
        # replica on PostgreSQL.
        self.can_be_killed = postgres_url is None
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="nwfz-machine-"))
        self.database = postgres_url or str(self.folder / "bot.sqlite3")
        if postgres_url is not None:
            self.run(empty_postgres(postgres_url))
        self.reader: Database | None = None  # the invariant's own connection
        self.clock = FakeClock(FIRST_START)
        self.telegram = FakeTelegram(self.clock)
        self.settings = Settings(_env_file=None, bot_token=None)
        self.services: Services | None = None
        self.world: World | None = None
        self.slots: dict[str, Slot] = {}
        self.started_at = FIRST_START
        self.runs: list[Run] = []
        self.reminders: list[tuple[int, datetime]] = []  # (chat id, when) sent in a run

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        if self.services is not None:
            self.run(self.services.close())
        if self.reader is not None:
            self.run(self.reader.close())
        self.loop.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def up(self) -> bool:
        return self.services is not None

    # ---- the process ----

    @initialize(seconds=st.integers(0, 86_399))
    def first_start(self, seconds: int) -> None:
        self.clock.set(FIRST_START + timedelta(seconds=seconds))
        self.start()
        assert self.world is not None
        alice, bob = self.world.user("Alice", "en"), self.world.user("Bob", "ru")
        admin, member = self.world.user("Admin", "en"), self.world.user("Member", "kk")
        basic = self.world.group("Class", {admin: "creator", member: "member"}, supergroup=False)
        club = self.world.group("Club", {admin: "creator", member: "member"})
        for name, chat, actor in (
            ("alice", alice.private, alice), ("bob", bob.private, bob),
            ("class", basic, admin), ("club", club, admin),
        ):  # fmt: skip
            self.slots[name] = Slot(name, chat, actor, {chat["id"]})

    @precondition(lambda self: not self.up)
    @rule()
    def start(self) -> None:
        services = self.run(
            create_services(
                self.settings, self.clock, catalog=CATALOG,
                database=self.database, rng=random.Random(1),
            )
        )  # fmt: skip
        services.run_scheduler = False  # the machine runs the jobs on the fake clock
        fresh = offline_world(self.telegram, services)
        if self.world is None:
            self.world = fresh
        else:  # the same people and chats meet the new process
            self.world.bot, self.world.dispatcher = fresh.bot, fresh.dispatcher
        self.services = services
        self.started_at = self.clock.now()
        self.run(emit_startup(self.world.dispatcher, self.world.bot))
        if SEND_JOB in lifecycle.RUN_AT_START:
            self.job(SEND_JOB)

    @precondition(lambda self: self.up)
    @rule()
    def stop(self) -> None:
        """SIGTERM: the shutdown hooks run, then the database closes."""
        assert self.services is not None and self.world is not None
        self.run(emit_shutdown(self.world.dispatcher, self.world.bot))
        self.run(self.services.close())
        self.services = None

    @precondition(lambda self: self.can_be_killed and self.up and self.subscribed())
    @rule(after=st.integers(0, 3))
    def kill_during_the_next_fan_out(self, after: int) -> None:
        """kill -9 after ``after`` more messages, in the next run that sends anything."""
        self.telegram.crash_after_messages = self.telegram.sent_per_chat.total() + after
        try:
            due = self.next_due()
            if due is not None:
                self.move(due + timedelta(seconds=5))
        finally:
            self.telegram.crash_after_messages = None

    # ---- time ----

    @rule(
        seconds=st.one_of(
            st.integers(1, 120), st.integers(120, 86_400), st.integers(86_400, 366 * 86_400)
        )
    )
    def wait(self, seconds: int) -> None:
        self.move(self.clock.now() + timedelta(seconds=seconds))

    @precondition(lambda self: self.subscribed())
    @rule(offset=st.integers(-90, 90))
    def wait_until_near_the_next_due_time(self, offset: int) -> None:
        """Stops and starts around a due time are where reminders used to get lost."""
        due = self.next_due()
        if due is not None:
            self.move(max(self.clock.now(), due + timedelta(seconds=offset)))

    # ---- people ----

    @precondition(lambda self: self.up)
    @rule(slot=st.sampled_from(["alice", "bob", "class", "club"]))
    def subscribe(self, slot: str) -> None:
        chat = self.slots[slot]
        at = self.act(chat, "/subscribe")
        if chat.prefs is None:
            chat.history.append((at, Prefs(chat.zone or DEFAULT_ZONE)))

    @precondition(lambda self: self.up)
    @rule(slot=st.sampled_from(["alice", "bob", "class", "club"]), by_button=st.booleans())
    def unsubscribe(self, slot: str, by_button: bool) -> None:
        chat = self.slots[slot]
        if by_button:
            at = self.press(chat, ReminderCb(setting="off"))
        else:
            at = self.act(chat, "/unsubscribe")
        if chat.prefs is not None:
            chat.history.append((at, None))

    @precondition(lambda self: self.up)
    @rule(
        slot=st.sampled_from(["alice", "bob", "class", "club"]),
        change=st.one_of(
            st.tuples(st.just("hour"), st.integers(0, 23).map(str)),
            st.tuples(st.just("lead"), st.sampled_from(["0", "1", "7"])),
            st.tuples(st.just("scope"), st.sampled_from(["key", "all"])),
            st.tuples(st.just("topic"), st.sampled_from(list(CATALOG.topics))),
        ),
    )
    def change_a_setting(self, slot: str, change: tuple[str, str]) -> None:
        chat = self.slots[slot]
        setting, value = change
        at = self.press(chat, ReminderCb(setting=setting, value=value))
        prefs = chat.prefs
        if prefs is None:
            return  # "not subscribed": nothing changes
        if setting == "hour":
            prefs = replace(prefs, hour=int(value))
        elif setting == "lead":
            leads = prefs.leads ^ {int(value)}
            prefs = replace(prefs, leads=leads or prefs.leads)  # the last one cannot go
        elif setting == "scope":
            prefs = replace(prefs, scope=value)
        else:
            topics = prefs.topics ^ {value}
            prefs = replace(prefs, topics=topics, scope="topics" if topics else "key")
        chat.history.append((at, prefs))

    @precondition(lambda self: self.up)
    @rule(slot=st.sampled_from(["alice", "bob", "class", "club"]), zone=st.sampled_from(ZONES))
    def choose_a_time_zone(self, slot: str, zone: str) -> None:
        chat = self.slots[slot]
        at = self.act(chat, f"/reminders {zone}")
        if chat.prefs is not None:  # "/reminders Zone" needs a subscription
            chat.zone = zone
            chat.history.append((at, replace(chat.prefs, zone=zone)))

    @precondition(lambda self: self.up and self.slots["class"].chat["type"] == "group")
    @rule()
    def the_group_becomes_a_supergroup(self) -> None:
        assert self.world is not None
        chat = self.slots["class"]
        self.move(self.clock.now() + timedelta(seconds=1))
        chat.chat = self.run(self.world.migrate(chat.chat, by=chat.admin))
        chat.ids.add(chat.chat["id"])

    # ---- helpers ----

    def subscribed(self) -> bool:
        return any(slot.prefs is not None for slot in self.slots.values())

    def next_due(self) -> datetime | None:
        """The next moment a subscribed chat is owed a reminder, within two years."""
        now, horizon = self.clock.now(), self.clock.now() + timedelta(days=731)
        found = [
            due
            for slot in self.slots.values()
            if slot.prefs is not None
            for due in owed_between(slot.prefs, now + timedelta(seconds=1), horizon).values()
        ]
        return min(found, default=None)

    def act(self, chat: Slot, text: str) -> datetime:
        """The chat's admin sends ``text``, a second after the last thing that happened (a
        person's pace); returns when the bot took it."""
        assert self.world is not None
        self.move(self.clock.now() + timedelta(seconds=1))
        at = self.clock.now()
        self.run(chat.admin.send(text, chat=chat.chat))
        return at

    def press(self, chat: Slot, data: ReminderCb) -> datetime:
        assert self.world is not None
        if not self.world.messages(chat.chat):
            self.act(chat, "/reminders")  # a message to press the button on
        self.move(self.clock.now() + timedelta(seconds=1))
        at = self.clock.now()
        message = self.world.last(chat.chat)
        self.run(chat.admin.press(message, data.pack()))
        return at

    def job(self, name: str) -> None:
        """One run of the scheduler's job ``name`` at the clock's time."""
        assert self.services is not None and self.world is not None
        function, _ = lifecycle.background_jobs(self.world.bot, self.services)[name]
        if name != SEND_JOB:
            self.run(function())
            return
        started, first_request = self.clock.now(), len(self.telegram.requests)
        crashed = False
        try:
            self.run(function())
        except (SimulatedCrash, BaseExceptionGroup) as error:
            if isinstance(error, BaseExceptionGroup) and not error.subgroup(SimulatedCrash):
                raise
            crashed = True
        self.runs.append(Run(started, self.clock.now(), crashed))
        self.reminders += [
            (int(request.params["chat_id"]), request.at)
            for request in self.telegram.requests[first_request:]
            if request.method == "sendMessage" and request.error is None
        ]
        if crashed:  # the process is gone: nothing closes gracefully, the file stays
            self.run(self.services.db.close())
            self.services = None

    def move(self, target: datetime) -> None:
        """Time passes; while the bot runs, its reminder jobs run on their cadence, woken where
        something can happen: the next run of each job, the last planning run before each due
        time and before ``target``, the first sending run from each due time."""
        now = self.clock.now()
        if self.up:
            assert self.services is not None and self.world is not None
            jobs = lifecycle.background_jobs(self.world.bot, self.services)
            plan_every = timedelta(seconds=jobs[PLAN_JOB][1])
            send_every = timedelta(seconds=jobs[SEND_JOB][1])
            first_send = 0 if SEND_JOB in lifecycle.RUN_AT_START else 1
            dues = sorted(
                {
                    due
                    for slot in self.slots.values()
                    if slot.prefs is not None
                    for due in owed_between(slot.prefs, now, target).values()
                }
            )
            wakes: set[tuple[datetime, str]] = set()
            for moment in (*dues, target):
                ticks = (moment - self.started_at) // plan_every
                if ticks >= 1:
                    wakes.add((self.started_at + ticks * plan_every, PLAN_JOB))
            for every, name in ((plan_every, PLAN_JOB), (send_every, SEND_JOB)):
                wakes.add((self.started_at + ((now - self.started_at) // every + 1) * every, name))
            for due in dues:
                ticks = max(first_send, -((self.started_at - due) // send_every))
                wakes.add((self.started_at + ticks * send_every, SEND_JOB))
            for moment, name in sorted(wakes):  # at one moment, planning sorts first
                if now < moment <= target and self.up:
                    self.clock.set(max(moment, self.clock.now()))
                    self.job(name)
        self.clock.set(max(target, self.clock.now()))

    # ---- the invariant ----

    def rows(self) -> list[tuple[int, date, int, datetime, str]]:
        """The deliveries table, read apart from the bot's connection (which may be closed)."""
        if self.reader is None:
            self.reader = self.run(open_database(self.database))
        found = self.run(
            self.reader.fetch_all(
                "SELECT chat_id, occurrence, lead, due_at, status FROM deliveries"
            )
        )
        return [
            (row[0], date.fromisoformat(row[1]), row[2], datetime.fromisoformat(row[3]), row[4])
            for row in found
        ]

    def first_run_from(self, moment: datetime) -> Run | None:
        """The first completed sending run that started at or after ``moment``."""
        return next((run for run in self.runs if not run.crashed and run.started >= moment), None)

    @invariant()
    def every_owed_reminder_is_sent_once_or_recorded_missed(self) -> None:
        if not self.slots:
            return
        now = self.clock.now()
        rows = self.rows()
        statuses = {"pending", "sending", "departed", "sent", "missed", "unknown"}
        assert all(r[4] in statuses for r in rows), rows
        for slot in self.slots.values():
            owed = slot.owed(now + timedelta(microseconds=1))
            mine = {(r[1], r[2]): (r[3], r[4]) for r in rows if r[0] in slot.ids}
            for key, (due, status) in mine.items():
                if due <= now:
                    assert owed.get(key) == due, (
                        f"{slot.name}: {key} due {due} is {status}, not owed (owed: {owed})"
                    )
            windows: list[tuple[datetime, datetime]] = []
            in_doubt = 0
            for key, due in owed.items():
                status = mine.get(key, (None, None))[1]
                if status in {"departed", "unknown"}:
                    assert any(run.crashed and run.ended >= due for run in self.runs), (
                        f"{slot.name}: {key} due {due} is {status} with no kill since"
                    )
                    in_doubt += 1
                    continue
                run = self.first_run_from(due)
                if run is None:  # no sending run has looked since it fell due
                    allowed = {None, "pending", "sending", "sent"}
                    until = now
                else:
                    late = run.started - due
                    allowed = (
                        {"sent"} if late < CATCH_UP - EDGE
                        else {"sent", "missed"} if late <= CATCH_UP + EDGE
                        else {"missed", "sent"}  # sent only if before that run: see windows
                    )  # fmt: skip
                    until = run.ended if late <= CATCH_UP + EDGE else run.started
                assert status in allowed, (
                    f"{slot.name}: {key} due {due} is {status}; allowed {allowed}; "
                    f"first sending run since: {run}"
                )
                if status == "sent":
                    windows.append((due, until))
            sent = sorted(at for chat, at in self.reminders if chat in slot.ids)
            assert len(windows) <= len(sent) <= len(windows) + in_doubt, (
                f"{slot.name}: {len(sent)} reminder messages for {len(windows)} sent deliveries"
                f" and {in_doubt} in doubt"
            )
            assert_each_in_its_window(slot.name, sent, windows)


def assert_each_in_its_window(
    name: str, sent: list[datetime], windows: list[tuple[datetime, datetime]]
) -> None:
    """A message for every window, none early or late (greedy matching: windows by their end,
    each takes the earliest free message at or after its start). Messages left over are the
    in-doubt deliveries' (counted by the caller)."""
    free = list(sent)
    for start, end in sorted(windows, key=lambda window: window[1]):
        index = bisect.bisect_left(free, start)
        assert index < len(free) and free[index] <= end, (
            f"{name}: no message between {start} and {end}; messages {sent}"
        )
        del free[index]


@pytest.mark.slow
def test_reminder_machine(backend: str, postgres_url: str | None) -> None:
    run_state_machine_as_test(lambda: ReminderMachine(postgres_url), settings=EXAMPLES[backend])


def test_issue_10_replayed_a_restart_just_before_nine(postgres_url: str | None) -> None:
    """The report in issue 10, as steps of the machine: a private chat, a group and a group
    that then becomes a supergroup subscribe; the bot stops within a minute of its first start
    and starts again at 08:59:30 on 29 August in Almaty. The 09:00 reminders go out once each,
    on time (they used to be neither sent nor recorded)."""
    machine = ReminderMachine(postgres_url)
    try:
        machine.first_start(seconds=0)
        for slot in ("alice", "class", "club"):
            machine.subscribe(slot)
        machine.the_group_becomes_a_supergroup()
        machine.every_owed_reminder_is_sent_once_or_recorded_missed()
        assert machine.clock.now() < FIRST_START + timedelta(minutes=1)
        machine.stop()
        machine.wait_until_near_the_next_due_time(offset=-30)
        assert machine.clock.now() == datetime(2026, 8, 29, 3, 59, 30, tzinfo=UTC)  # 08:59:30
        machine.start()
        machine.wait(seconds=120)
        machine.every_owed_reminder_is_sent_once_or_recorded_missed()
        nine = datetime(2026, 8, 29, 4, 0, tzinfo=UTC)
        chats = {machine.slots[name].chat["id"] for name in ("alice", "class", "club")}
        assert sorted(chat for chat, _ in machine.reminders) == sorted(chats)
        assert all(nine <= at <= nine + timedelta(seconds=2) for _, at in machine.reminders)
    finally:
        machine.teardown()
