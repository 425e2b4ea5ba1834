"""The pure pacing core (bot/pacing.py): for any arrivals, Telegram's limits hold at departure
with their margin, nothing idles while something may leave, replies go before bulk, and chats
take turns.

``simulate`` plays arrivals against a Pacer the way the limiter does: at every moment it
releases whatever ``pop_due`` gives, then jumps to the next arrival or ``next_departure``. The
oracles below count departures in windows directly; they do not reuse the pacer's code.
"""

from __future__ import annotations

import copy
import dataclasses
import heapq
import itertools
import math
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.pacing import SECOND, Budget, Lane, Limits, Pacer

PRIVATE_CHATS = (1, 2, 3, 4)
GROUPS = (-1, -2)
PAID_CHATS = (11, 12, 13, -11)  # chats a fan-out reaches, apart from the people replied to


@dataclass(frozen=True)
class Arrival:
    at: int
    chat_id: int
    lane: Lane


@dataclass(frozen=True)
class Departure:
    index: int  # which arrival
    at: int


def simulate(limits: Limits, arrivals: list[Arrival]) -> list[Departure]:
    pacer: Pacer[int] = Pacer(limits)
    order = sorted(range(len(arrivals)), key=lambda i: arrivals[i].at)
    departures: list[Departure] = []
    now, next_arrival = 0, 0
    while next_arrival < len(order) or len(pacer):
        while next_arrival < len(order) and arrivals[order[next_arrival]].at <= now:
            arrival = arrivals[order[next_arrival]]
            pacer.push(order[next_arrival], arrival.chat_id, arrival.lane)
            next_arrival += 1
        released = pacer.pop_due(now)
        if released is not None:
            departures.append(Departure(released, now))
            continue
        upcoming = pacer.next_departure(now)
        assert upcoming is None or upcoming > now, "something may leave now but did not"
        if next_arrival < len(order):
            arrival_at = arrivals[order[next_arrival]].at
            upcoming = arrival_at if upcoming is None else min(upcoming, arrival_at)
        assert upcoming is not None
        now = upcoming
    return departures


def simulate_lagging(limits: Limits, arrivals: list[Arrival], lags: list[int]) -> list[Departure]:
    """As ``simulate``, but as on a busy event loop: the task of the k-th grant runs only
    ``lags[k % len(lags)]`` µs after it, and leaves then if ``departs`` says it still may;
    otherwise it queues again, first in its chat. Departures are when requests really leave."""
    pacer: Pacer[int] = Pacer(limits)
    order = sorted(range(len(arrivals)), key=lambda i: arrivals[i].at)
    late: list[tuple[int, int, int]] = []  # (runs at, granted at, arrival index)
    departures: list[Departure] = []
    now, next_arrival, grants = 0, 0, 0
    while next_arrival < len(order) or len(pacer) or late:
        while next_arrival < len(order) and arrivals[order[next_arrival]].at <= now:
            arrival = arrivals[order[next_arrival]]
            pacer.push(order[next_arrival], arrival.chat_id, arrival.lane)
            next_arrival += 1
        if late and late[0][0] <= now:
            _, granted_at, index = heapq.heappop(late)
            arrival = arrivals[index]
            if pacer.departs(arrival.chat_id, granted_at, now, arrival.lane):
                departures.append(Departure(index, now))
            else:
                pacer.push(index, arrival.chat_id, arrival.lane, first=True)
            continue
        released = pacer.pop_due(now)
        if released is not None:
            heapq.heappush(late, (now + lags[grants % len(lags)], now, released))
            grants += 1
            continue
        moments = [pacer.next_departure(now)]
        if next_arrival < len(order):
            moments.append(arrivals[order[next_arrival]].at)
        if late:
            moments.append(late[0][0])
        now = min(m for m in moments if m is not None)
    return departures


FREE_LANES = (Lane.REPLY, Lane.BULK)


def arrivals_strategy(
    chats: tuple[int, ...], lanes: tuple[Lane, ...] = FREE_LANES, max_gap: int = 300_000
) -> st.SearchStrategy[list[Arrival]]:
    # up to 0.3 s between two arrivals by default; many at one instant
    gaps = st.integers(0, max_gap)
    one = st.tuples(gaps, st.sampled_from(chats), st.sampled_from(lanes))

    def timed(raw: list[tuple[int, int, Lane]]) -> list[Arrival]:
        at, result = 0, []
        for gap, chat_id, lane in raw:
            at += gap
            result.append(Arrival(at, chat_id, lane))
        return result

    return st.lists(one, min_size=1, max_size=120).map(timed)


limits_strategy = st.builds(
    Limits,
    overall_per_second=st.sampled_from([5, 25, 30]),
    overall_burst=st.integers(1, 5),
    private_per_second=st.integers(1, 3),
    group_per_minute=st.integers(1, 20),
    margin_s=st.sampled_from([0.0, 0.15]),
    chat_margin_s=st.sampled_from([0.0, 0.3]),
)


def most_in_any_window(times: list[int], window: int) -> int:
    """The largest number of ``times`` inside one half-open window [t, t + window)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def chat_window(limits: Limits, chat_id: int) -> tuple[int, int]:
    margin = round(limits.chat_margin_s * SECOND)
    if chat_id < 0:
        return limits.group_per_minute, 60 * SECOND + margin
    return limits.private_per_second, SECOND + margin


@settings(max_examples=300, deadline=None)
@given(limits_strategy, arrivals_strategy(PRIVATE_CHATS + GROUPS))
def test_every_request_leaves_once_in_order_within_the_limits(
    limits: Limits, arrivals: list[Arrival]
) -> None:
    departures = simulate(limits, arrivals)

    assert sorted(d.index for d in departures) == list(range(len(arrivals)))
    assert all(d.at >= arrivals[d.index].at for d in departures)
    times = [d.at for d in departures]
    assert times == sorted(times)
    # Within a chat and lane, first come first served.
    for chat_id in PRIVATE_CHATS + GROUPS:
        for lane in FREE_LANES:
            mine = [
                d.index
                for d in departures
                if (arrivals[d.index].chat_id, arrivals[d.index].lane) == (chat_id, lane)
            ]
            assert mine == sorted(mine, key=lambda i: (arrivals[i].at, i))

    # Overall, with the margin: any second plus margin holds at most the cap; at 25/s with a
    # 0.15 s margin that is 29, under Telegram's 30 even when latency varies by 0.15 s.
    window = SECOND + round(limits.margin_s * SECOND)
    cap = math.ceil(limits.overall_per_second * window / SECOND)
    assert most_in_any_window(times, window) <= cap
    # Evenly spaced beyond the burst: n + 1 departures span at least (n + 1 - burst) spacings.
    spacing = SECOND / limits.overall_per_second
    for i, first in enumerate(times):
        for n, later in enumerate(times[i + 1 :], start=1):
            assert later - first >= (n + 1 - limits.overall_burst) * spacing - n  # µs rounding

    for chat_id in PRIVATE_CHATS + GROUPS:
        count, span = chat_window(limits, chat_id)
        sent = [d.at for d in departures if arrivals[d.index].chat_id == chat_id]
        assert most_in_any_window(sent, span) <= count


@settings(max_examples=300, deadline=None)
@given(
    limits_strategy.map(lambda limits: dataclasses.replace(limits, paid_per_second=40)),
    arrivals_strategy(PRIVATE_CHATS + GROUPS + PAID_CHATS, (*FREE_LANES, Lane.PAID)),
    st.lists(st.integers(0, 600_000), min_size=1, max_size=40),
)
def test_late_tasks_never_leave_together_over_the_limits(
    limits: Limits, arrivals: list[Arrival], lags: list[int]
) -> None:
    # A busy event loop runs granted requests up to 0.6 s late, some late and some not:
    # counted where they really leave, the windows still hold there, paid or free.
    departures = simulate_lagging(limits, arrivals, lags)

    assert sorted(d.index for d in departures) == list(range(len(arrivals)))
    window = SECOND + round(limits.margin_s * SECOND)
    for budget, rate in ((Budget.FREE, limits.overall_per_second), (Budget.PAID, 40)):
        times = [d.at for d in departures if arrivals[d.index].lane.budget is budget]
        assert most_in_any_window(times, window) <= math.ceil(rate * window / SECOND)
    for chat_id in PRIVATE_CHATS + GROUPS + PAID_CHATS:
        count, span = chat_window(limits, chat_id)
        sent = [d.at for d in departures if arrivals[d.index].chat_id == chat_id]
        assert most_in_any_window(sent, span) <= count


def test_grants_that_run_late_together_would_bunch_unless_counted_when_they_leave() -> None:
    # The first 29 grants (a burst of 5, then one every 40 ms) all run at 1 s: the loop was
    # busy. Counted when granted, the next ones would follow from 1.15 s at 25/s, and over
    # 50 would leave within the cap's 1.15 s; counted when they leave, the cap holds.
    limits = Limits()
    arrivals = [Arrival(0, chat, Lane.REPLY) for chat in range(1, 61)]
    granted = [max(0, k - limits.overall_burst + 1) * limits.spacing for k in range(29)]
    lags = [SECOND - at for at in granted] + [0] * 31
    naive = sorted(
        d.at + lags[k] if k < len(lags) else d.at for k, d in enumerate(simulate(limits, arrivals))
    )
    count, window = limits.overall_window()
    assert most_in_any_window(naive, window) > 50
    departures = simulate_lagging(limits, arrivals, lags)
    assert most_in_any_window([d.at for d in departures], window) <= count
    assert len(departures) == 60


def test_after_a_stall_the_next_departures_are_spaced_not_a_burst() -> None:
    limits = Limits()
    stalled: Pacer[int] = Pacer(limits)
    quiet: Pacer[int] = Pacer(limits)
    for pacer in (stalled, quiet):
        for chat in range(1, 20):
            pacer.push(chat, chat, Lane.REPLY)
        assert [pacer.pop_due(0) for _ in range(6)] == [1, 2, 3, 4, 5, None]
    # The next one was due at one spacing; the loop ran again only at 0.5 s.
    late = SECOND // 2
    stalled.overslept(limits.spacing, late)
    assert [stalled.pop_due(late), stalled.pop_due(late)] == [6, None]
    assert stalled.next_departure(late) == late + limits.spacing
    # Had it been quiet (nothing planned then), the burst is allowed again.
    assert [quiet.pop_due(late) for _ in range(6)] == [6, 7, 8, 9, 10, None]


def earliest_allowed(
    limits: Limits, history: list[Departure], arrivals: list[Arrival], index: int
) -> int:
    """When arrival ``index`` may leave, given the departures so far: counted from scratch."""
    at = arrivals[index].at
    times = [d.at for d in history]
    spacing = round(SECOND / limits.overall_per_second)
    theoretical: int | None = None  # the GCRA's next theoretical departure
    for left in times:
        theoretical = (left if theoretical is None else max(theoretical, left)) + spacing
    if theoretical is not None:
        at = max(at, theoretical - (limits.overall_burst - 1) * spacing)
    window = SECOND + round(limits.margin_s * SECOND)
    cap = math.ceil(window / spacing)
    if len(times) >= cap:
        at = max(at, times[-cap] + window)
    count, span = chat_window(limits, arrivals[index].chat_id)
    sent = [d.at for d in history if arrivals[d.index].chat_id == arrivals[index].chat_id]
    if len(sent) >= count:
        at = max(at, sent[-count] + span)
    return at


@settings(max_examples=200, deadline=None)
@given(limits_strategy, arrivals_strategy(PRIVATE_CHATS + GROUPS))
def test_no_idle_gap_while_something_may_leave_and_replies_go_before_bulk(
    limits: Limits, arrivals: list[Arrival]
) -> None:
    departures = simulate(limits, arrivals)
    for k, departure in enumerate(departures):
        history = departures[:k]
        waiting = [d.index for d in departures[k:]]
        allowed = {i: earliest_allowed(limits, history, arrivals, i) for i in waiting}
        previous = history[-1].at if history else 0
        # The next departure is the first moment anything waiting was allowed to leave.
        assert departure.at == max(previous, min(allowed.values()))
        if arrivals[departure.index].lane is Lane.BULK:
            held = [i for i in waiting if arrivals[i].lane is Lane.REPLY]
            assert all(allowed[i] > departure.at for i in held), "a reply waited for bulk"


@settings(max_examples=200, deadline=None)
@given(arrivals_strategy(PRIVATE_CHATS + GROUPS))
def test_chats_take_turns(arrivals: list[Arrival]) -> None:
    # Per-chat limits lifted, so only the turn order decides: between two departures of one
    # chat, every other chat of the same lane that was already waiting gets one.
    limits = Limits(private_per_second=10**6, group_per_minute=10**6)
    departures = simulate(limits, arrivals)
    position = {d.index: p for p, d in enumerate(departures)}
    for lane in FREE_LANES:
        in_lane = [d for d in departures if arrivals[d.index].lane is lane]
        for chat_id in PRIVATE_CHATS + GROUPS:
            mine = [p for p, d in enumerate(in_lane) if arrivals[d.index].chat_id == chat_id]
            for first, second in itertools.pairwise(mine):
                served = {arrivals[d.index].chat_id for d in in_lane[first + 1 : second]}
                left = in_lane[first]
                waiting = {
                    arrival.chat_id
                    for i, arrival in enumerate(arrivals)
                    if arrival.lane is lane
                    and arrival.chat_id != chat_id
                    and arrival.at <= left.at
                    and position[i] > position[left.index]
                }
                assert waiting <= served, (left, in_lane[second])


def test_a_chat_of_ten_does_not_hold_back_anothers_first() -> None:
    limits = Limits(private_per_second=10**6)
    arrivals = [Arrival(0, 1, Lane.REPLY)] * 10 + [Arrival(0, 2, Lane.REPLY)]
    departures = simulate(limits, arrivals)
    order = [arrivals[d.index].chat_id for d in departures]
    assert order == [1, 2] + [1] * 9


def test_has_room_counts_what_waits_as_well_as_what_left() -> None:
    pacer: Pacer[str] = Pacer(Limits(group_per_minute=3))
    group = -5
    assert pacer.has_room(group, 0, keep=2)
    pacer.push("a", group, Lane.REPLY)
    assert not pacer.has_room(group, 0, keep=2)
    assert pacer.pop_due(0) == "a"
    assert pacer.has_room(group, 0, keep=1)
    assert not pacer.has_room(group, 0, keep=2)
    assert not pacer.has_room(group, 60 * SECOND, keep=2), "not before its margin"
    assert pacer.has_room(group, 61 * SECOND, keep=2), "the minute and margin have passed"


def test_a_429_pauses_its_chat_and_two_chats_within_a_second_pause_everything() -> None:
    pacer: Pacer[str] = Pacer(Limits())
    pacer.throttled(1, 7, now=0)
    pacer.push("to 1", 1, Lane.REPLY)
    pacer.push("to 2", 2, Lane.REPLY)
    assert pacer.pop_due(0) == "to 2", "other chats go on"
    assert pacer.next_departure(0) == 7 * SECOND
    assert pacer.pop_due(7 * SECOND) == "to 1"

    pacer.throttled(3, 5, now=10 * SECOND)
    pacer.throttled(4, 5, now=10 * SECOND + SECOND // 2)
    pacer.push("to 5", 5, Lane.REPLY)
    assert pacer.pop_due(11 * SECOND) is None, "a flood: everything waits"
    assert pacer.next_departure(11 * SECOND) == 15 * SECOND + SECOND // 2


def test_a_retry_goes_before_the_chats_later_requests() -> None:
    pacer: Pacer[str] = Pacer(Limits())
    pacer.push("second", 1, Lane.REPLY)
    pacer.push("first, retried", 1, Lane.REPLY, first=True)
    assert pacer.pop_due(0) == "first, retried"


def test_a_request_taken_back_no_longer_waits() -> None:
    pacer: Pacer[str] = Pacer(Limits())
    pacer.push("gone", 1, Lane.BULK)
    assert pacer.discard("gone", 1, Lane.BULK)
    assert not pacer.discard("gone", 1, Lane.BULK)
    assert len(pacer) == 0
    assert pacer.next_departure(0) is None


# ---- paid broadcast: a budget of its own ---------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    limits_strategy.map(lambda limits: dataclasses.replace(limits, paid_per_second=40)),
    arrivals_strategy(PRIVATE_CHATS + GROUPS, max_gap=100_000),
    arrivals_strategy(PAID_CHATS, (Lane.PAID,), max_gap=20_000),
)
def test_paid_sends_keep_their_budget_and_never_slow_the_free_ones(
    limits: Limits, free: list[Arrival], paid: list[Arrival]
) -> None:
    arrivals = free + paid
    departures = simulate(limits, arrivals)

    assert sorted(d.index for d in departures) == list(range(len(arrivals)))
    # Each budget holds its own cap and spacing where its departures leave.
    for budget, rate in ((Budget.FREE, limits.overall_per_second), (Budget.PAID, 40)):
        times = [d.at for d in departures if arrivals[d.index].lane.budget is budget]
        window = SECOND + round(limits.margin_s * SECOND)
        assert most_in_any_window(times, window) <= math.ceil(rate * window / SECOND)
        spacing = SECOND / rate
        for i, first in enumerate(times):
            for n, later in enumerate(times[i + 1 :], start=1):
                assert later - first >= (n + 1 - limits.overall_burst) * spacing - n
    # Paying lifts the bot's broadcast limit, not a chat's: every chat's window holds.
    for chat_id in PRIVATE_CHATS + GROUPS + PAID_CHATS:
        count, span = chat_window(limits, chat_id)
        sent = [d.at for d in departures if arrivals[d.index].chat_id == chat_id]
        assert most_in_any_window(sent, span) <= count
    # Replies and unpaid bulk to other chats leave exactly as if no paid fan-out ran.
    alone = simulate(limits, free)
    assert [d for d in departures if d.index < len(free)] == alone


def test_the_two_budgets_together_stay_under_telegrams_paid_limit() -> None:
    # Telegram allows up to 1,000 paid messages a second; with the free cap beside the paid
    # one, any 1.15 s holds 920 + 29, so no second can see more than 1,000 even when latency
    # bunches them.
    limits = Limits()
    assert limits.overall_window(Budget.PAID)[0] + limits.overall_window()[0] <= 1000


def test_a_paid_fan_out_goes_32_times_faster_than_a_free_one() -> None:
    limits = Limits()
    chats = range(1, 1001)
    for lane, rate in ((Lane.PAID, limits.paid_per_second), (Lane.BULK, 25)):
        departures = simulate(limits, [Arrival(0, chat, lane) for chat in chats])
        last = max(d.at for d in departures)
        # a burst of 5, then one a spacing: the 1,000th leaves after 995 spacings
        assert last == (len(chats) - limits.overall_burst) * round(SECOND / rate)


@settings(max_examples=200, deadline=None)
@given(limits_strategy, arrivals_strategy(PRIVATE_CHATS + GROUPS, lanes=(*FREE_LANES, Lane.PAID)))
def test_leaving_at_once_decides_as_queueing_then_popping_would(
    limits: Limits, arrivals: list[Arrival]
) -> None:
    """Each arrival meets a pacer in some state; when nothing waits, ``leaves_at_once`` says
    and records what ``push`` then ``pop_due`` would (the limiter's quiet-moment way)."""
    pacer: Pacer[int] = Pacer(limits)
    for index, arrival in enumerate(arrivals):
        if len(pacer) == 0:
            queued = copy.deepcopy(pacer)
            queued.push(index, arrival.chat_id, arrival.lane)
            popped = queued.pop_due(arrival.at)
            at_once = pacer.leaves_at_once(arrival.chat_id, arrival.at, arrival.lane)
            assert at_once == (popped == index)
            assert pacer.next_departure(arrival.at) is None
            if at_once:
                for chat_id in (*PRIVATE_CHATS, *GROUPS, arrival.chat_id):
                    for lane in Lane:
                        assert pacer.earliest(chat_id, arrival.at, lane) == queued.earliest(
                            chat_id, arrival.at, lane
                        )
                continue
        pacer.push(index, arrival.chat_id, arrival.lane)
        while pacer.pop_due(arrival.at) is not None:
            pass
