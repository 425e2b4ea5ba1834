"""The send budget the replicas share: its arithmetic (properties), the statement against that
arithmetic on a real PostgreSQL, and two replicas draining at once within Telegram's limits."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.pacing import SECOND, Budget, Limits
from bot.telegram.shared_budget import (
    OVERALL_NAMES,
    Pace,
    ask,
    chat_name,
    chat_pace,
    overall_pace,
    take,
)
from storage.postgres import open_postgres
from storage.send_budget import PostgresSendBudget

LIMITS = Limits()
GROUPS = [-1001, -1002]
PEOPLE = [501, 502, 503]


def most_in_any_window(departures: list[int], window: int) -> int:
    """The most departures in any half-open window ``[t, t + window)``."""
    ordered = sorted(departures)
    return max(
        (sum(1 for other in ordered[i:] if other < start + window) for i, start in
         enumerate(ordered)),
        default=0,
    )  # fmt: skip


def replay(requests: list[tuple[int, int]]) -> dict[int, list[int]]:
    """Each request (chat, microseconds after the one before, which replicas' clocks may put
    before it) asks until granted, as the rate limiter does; the departures per chat (0: all)."""
    tats: dict[str, int] = {}
    departures: dict[int, list[int]] = defaultdict(list)
    now = 1_000 * SECOND
    for chat_id, gap in requests:
        now += gap
        moment = now
        while not (
            slot := take(
                tats,
                "all",
                overall_pace(LIMITS, Budget.FREE),
                chat_name(chat_id),
                chat_pace(LIMITS, chat_id),
                moment,
            )
        ).granted:
            moment = slot.at  # fmt: skip
        departures[chat_id].append(slot.at)
        departures[0].append(slot.at)
    return departures


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(GROUPS + PEOPLE),
            st.integers(min_value=-SECOND // 2, max_value=2 * SECOND),
        ),
        max_size=300,
    )
)
def test_any_arrivals_keep_telegrams_windows(requests: list[tuple[int, int]]) -> None:
    departures = replay(requests)
    count, window = LIMITS.window(GROUPS[0])
    for group in GROUPS:
        assert most_in_any_window(departures[group], window) <= count == 20
    for person in PEOPLE:
        assert most_in_any_window(departures[person], LIMITS.window(person)[1]) <= 1
    count, window = LIMITS.overall_window()
    assert most_in_any_window(departures[0], window) <= count == 29, "the pacer's own cap"


def test_forty_people_at_once_keep_the_cap_with_its_margin() -> None:
    """Replicas together keep what one pacer keeps alone: 29 in any 1.15 s, so arrivals up
    to 0.15 s closer than their departures (a collector's pause) still fit Telegram's 30/s.
    A burst of 5 in the shared budget let 33 go in 1.15 s."""
    people = [(10_000 + person, 0) for person in range(40)]
    departures = replay(people)[0]
    count, window = LIMITS.overall_window()
    assert most_in_any_window(departures, window) == count == 29
    assert most_in_any_window(departures, SECOND) == 25


def test_a_gcra_burst_of_20_would_break_the_groups_minute() -> None:
    """Why the burst is paid for in the spacing: the same requests with a burst of 20 at
    20 a minute put 39 messages in one group's minute."""
    naive = Pace(spacing=3 * SECOND, tolerance=19 * 3 * SECOND)
    tats: dict[str, int] = {}
    departures = []
    moment = 0
    while len(departures) < 60:
        slot = take(tats, "all", overall_pace(LIMITS, Budget.FREE), "g", naive, moment)
        moment = slot.at
        if slot.granted:
            departures.append(slot.at)
    assert most_in_any_window(departures, 60 * SECOND) == 39
    assert most_in_any_window(replay([(GROUPS[0], 0)] * 60)[GROUPS[0]], 60 * SECOND) == 20


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_the_statement_does_what_the_arithmetic_says(postgres_url: str | None) -> None:
    assert postgres_url is not None
    database = await open_postgres(postgres_url)
    store = PostgresSendBudget(database)
    rng = random.Random(13)
    tats: dict[str, int] = {}
    now = 1_000 * SECOND
    try:
        for _ in range(400):
            now += rng.randint(-SECOND // 4, SECOND)
            chat_id = rng.choice(GROUPS + PEOPLE)
            budget = rng.choice(list(Budget))
            expected = take(
                tats, OVERALL_NAMES[budget], overall_pace(LIMITS, budget),
                chat_name(chat_id), chat_pace(LIMITS, chat_id), now,
            )  # fmt: skip
            assert await ask(store, LIMITS, chat_id, budget, now) == expected
    finally:
        await database.close()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_two_replicas_asking_at_once_share_one_budget(postgres_url: str | None) -> None:
    """Two pools (two replicas) ask for slots at the same moments, concurrently: together
    their grants keep every window, as one process's would."""
    assert postgres_url is not None
    databases = [await open_postgres(postgres_url) for _ in range(2)]
    stores = [PostgresSendBudget(database) for database in databases]
    departures: dict[int, list[int]] = defaultdict(list)

    async def send(store: PostgresSendBudget, chat_id: int, now: int) -> None:
        while not (slot := await ask(store, LIMITS, chat_id, Budget.FREE, now)).granted:
            now = slot.at
        departures[chat_id].append(slot.at)
        departures[0].append(slot.at)

    try:
        now = 1_000 * SECOND
        for step in range(40):
            now += SECOND // 10
            await asyncio.gather(
                *(send(store, chat_id, now) for store in stores
                  for chat_id in (GROUPS[step % 2], PEOPLE[step % 3]))
            )  # fmt: skip
    finally:
        for database in databases:
            await database.close()
    assert len(departures[0]) == 160
    for group in GROUPS:
        assert most_in_any_window(departures[group], LIMITS.window(group)[1]) <= 20
    for person in PEOPLE:
        assert most_in_any_window(departures[person], LIMITS.window(person)[1]) <= 1
    assert most_in_any_window(departures[0], SECOND) <= 29
