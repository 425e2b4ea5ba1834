"""Which waiting request leaves next, and when: Telegram's limits as a pure schedule.

Telegram counts a bot's messages when they arrive, over any sliding second (about 30 overall),
per private chat (about 1 a second) and per group (20 a minute). The pacer holds them where
they leave, so it keeps a margin for what happens in between: arrivals can be closer together
than departures by the spread of network latency (and by a busy event loop between a request's
turn and its write), so every window here is longer than Telegram's.

- Overall, departures are evenly spaced, one every ``1 / overall_per_second`` (a GCRA). After a
  quiet moment up to ``overall_burst`` (5) may leave at once: a few people tapping at the same
  moment are answered at once. A sliding cap, ``ceil(rate x (1 s + margin))`` (29 in any
  1.15 s at 25/s), keeps a burst and the even flow after it under Telegram's 30 in any second
  even when latency varies by up to the margin. Even spacing never reaches the cap. The cap
  bounds this margin: at 25/s, more than 0.2 s would let the cap itself exceed 30.
- Per chat, a sliding window with a wider margin (0.3 s), which costs little: at most ``count``
  departures in any ``window + chat margin`` (1 in 1.3 s in a private chat, 20 in 60.3 s in a
  group).
- Counted where they really leave: ``pop_due`` grants a departure, but a busy event loop may
  run the granted request later, and several late ones together. ``departs`` counts it again
  at the moment it really leaves, against the cap and its chat's window over the departures as
  they really happened; if it no longer fits, its grant is withdrawn and it queues again.
  And a stall is not a quiet moment: after one (a grant that ran late, a wake-up that came
  late), the next departures are evenly spaced with no burst, since requests granted before
  it may still be on their way out with them.
- A 429 pauses its chat for ``retry_after``; a second chat throttled within a second means the
  whole bot is over its budget, and everything pauses.
- Paid broadcast (``Lane.PAID``, Bot API 7.11): messages sent with ``allow_paid_broadcast``
  have a budget of their own, ``paid_per_second`` (800) spaced and capped the same way, beside
  the free one that replies keep. Telegram allows up to 1,000 a second for them; 800 with the
  cap (920 in any 1.15 s) leaves room for the free 29 beside them. The per-chat windows hold
  for every lane: paying lifts the bot's broadcast limit, not a chat's (the Bot API lets paid
  messages ignore "broadcasting limits"; the per-chat ones are not among them).

Fair: replies to people (``Lane.REPLY``) go before bulk traffic (``Lane.BULK``, reminder
fan-outs); within a lane, chats take turns (round robin: a chat that has just sent goes to the
back of the ring), so one chat's tenth message never holds back another chat's first. A chat
its window holds back keeps its place and goes as soon as it may.

Pure: no clock, no asyncio, no aiogram. Times are integer microseconds, so a wait computed here
and slept by a clock lands exactly on the moment it was computed for.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass
from enum import IntEnum
from typing import Generic, TypeVar

Item = TypeVar("Item")

SECOND = 1_000_000  # microseconds
SWEEP_EVERY = 1000  # departures between two sweeps of chats whose window has emptied
GLOBAL_FLOOD_WITHIN = SECOND  # two chats throttled this close together: the bot's budget


class Lane(IntEnum):
    """Priority classes, served in this order."""

    REPLY = 0  # answers to people
    BULK = 1  # reminder fan-outs: they take the slots replies leave
    PAID = 2  # a fan-out with paid broadcast on: its own budget, beside the free one

    @property
    def budget(self) -> Budget:
        return Budget.PAID if self is Lane.PAID else Budget.FREE


class Budget(IntEnum):
    """The overall budgets: free (about 30 a second) and paid broadcast (up to 1,000)."""

    FREE = 0
    PAID = 1


@dataclass(frozen=True)
class Limits:
    overall_per_second: float = 25
    overall_burst: int = 5
    private_per_second: int = 1
    group_per_minute: int = 20
    # Added to the windows: arrivals at Telegram can be closer together than the departures
    # by the spread of latency. Overall, the cap keeps it at most 0.2 s (see above).
    margin_s: float = 0.15
    chat_margin_s: float = 0.3
    paid_per_second: float = 800

    @property
    def spacing(self) -> int:
        """Microseconds between two departures of the whole bot (the free budget)."""
        return self.spacing_of(Budget.FREE)

    def spacing_of(self, budget: Budget) -> int:
        rate = self.paid_per_second if budget is Budget.PAID else self.overall_per_second
        return max(1, round(SECOND / rate))

    def overall_window(self, budget: Budget = Budget.FREE) -> tuple[int, int]:
        """The cap: how many departures of one budget in how many microseconds."""
        window = SECOND + round(self.margin_s * SECOND)
        return math.ceil(window / self.spacing_of(budget)), window

    def window(self, chat_id: int) -> tuple[int, int]:
        """How many messages ``chat_id`` may receive in how many microseconds."""
        margin = round(self.chat_margin_s * SECOND)
        if chat_id < 0:  # groups, supergroups and channels have negative ids
            return self.group_per_minute, 60 * SECOND + margin
        return self.private_per_second, SECOND + margin


class Pacer(Generic[Item]):
    """Queues items per lane and chat; ``pop_due(now)`` releases the one that may leave now."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        # Per lane, the chats with something waiting, in ring order.
        self._lanes: tuple[OrderedDict[int, deque[Item]], ...] = tuple(OrderedDict() for _ in Lane)
        self._queued: Counter[int] = Counter()
        self._sent: dict[int, deque[int]] = {}  # per chat: its departures still in its window
        # Per budget: every departure still in its cap's window, and the GCRA's theoretical
        # time of its next departure.
        self._sent_all: tuple[deque[int], ...] = tuple(deque() for _ in Budget)
        self._tat: list[int | None] = [None for _ in Budget]
        self._paused: dict[int, int] = {}  # chat -> paused until (429)
        self._paused_all = 0
        self._last_throttle: tuple[int, int] | None = None  # (chat, when)
        self._departures = 0

    def __len__(self) -> int:
        return self._queued.total()

    def queued(self, chat_id: int) -> int:
        return self._queued[chat_id]

    def first(self) -> Item | None:
        """Any waiting item (the head of the busiest lane's first chat)."""
        for lane in self._lanes:
            if lane:
                return next(iter(lane.values()))[0]
        return None

    def push(self, item: Item, chat_id: int, lane: Lane, *, first: bool = False) -> None:
        """Queue ``item``; ``first`` puts it before the chat's other items (a retry keeps the
        chat's order). A chat new to the lane joins the back of the ring."""
        queue = self._lanes[lane].setdefault(chat_id, deque())
        if first:
            queue.appendleft(item)
        else:
            queue.append(item)
        self._queued[chat_id] += 1

    def discard(self, item: Item, chat_id: int, lane: Lane) -> bool:
        """Take back an item that will not leave (its sender gave up); False if not queued."""
        queue = self._lanes[lane].get(chat_id)
        if queue is None or item not in queue:
            return False
        queue.remove(item)
        if not queue:
            del self._lanes[lane][chat_id]
        self._dequeued(chat_id)
        return True

    def _dequeued(self, chat_id: int) -> None:
        self._queued[chat_id] -= 1
        if not self._queued[chat_id]:
            del self._queued[chat_id]

    # ---- when ---------------------------------------------------------------------------------

    def _slot(self, now: int, budget: Budget) -> int:
        """The earliest moment a budget's limits (spacing, burst, cap, a flood pause) let
        anything leave."""
        at = self._paused_all
        tat = self._tat[budget]
        if tat is not None:
            at = max(at, tat - (self.limits.overall_burst - 1) * self.limits.spacing_of(budget))
        count, window = self.limits.overall_window(budget)
        sent = _prune(self._sent_all[budget], window, now)
        return max(at, _window_opens(sent, count, window))

    def _recent(self, chat_id: int, now: int) -> deque[int]:
        sent = self._sent.get(chat_id)
        if sent is None:
            return deque()
        return _prune(sent, self.limits.window(chat_id)[1], now)

    def ready_at(self, chat_id: int, now: int) -> int:
        """When this chat's own limits (its window, a 429 pause) let it receive one more."""
        paused = max(self._paused.get(chat_id, 0), self._paused_all)
        count, window = self.limits.window(chat_id)
        return max(paused, _window_opens(self._recent(chat_id, now), count, window))

    def earliest(self, chat_id: int, now: int, lane: Lane) -> int:
        """The earliest moment, not before ``now``, a message to ``chat_id`` could leave."""
        return max(now, self._slot(now, lane.budget), self.ready_at(chat_id, now))

    def next_departure(self, now: int) -> int | None:
        """When the next waiting item may leave (``now`` if one may already); None if none
        waits. Nothing waits past this moment while something is eligible."""
        moments = [
            max(self._slot(now, Lane(number).budget), min(self.ready_at(c, now) for c in chats))
            for number, chats in enumerate(self._lanes)
            if chats
        ]
        return max(now, min(moments)) if moments else None

    def pop_due(self, now: int) -> Item | None:
        """The item that leaves at ``now``, counted as sent; None if nothing may leave yet.
        At most one item of a budget leaves at any moment (its spacing)."""
        open_budgets = {budget for budget in Budget if self._slot(now, budget) <= now}
        for number, lane in enumerate(self._lanes):
            budget = Lane(number).budget
            if budget not in open_budgets:
                continue
            for chat_id, queue in lane.items():
                if self.ready_at(chat_id, now) <= now:
                    item = queue.popleft()
                    if queue:
                        lane.move_to_end(chat_id)  # its turn is over: back of the ring
                    else:
                        del lane[chat_id]
                    self._dequeued(chat_id)
                    self._depart(chat_id, now, budget)
                    return item
        return None

    def leaves_at_once(self, chat_id: int, now: int, lane: Lane) -> bool:
        """With nothing waiting: whether a request to ``chat_id`` may leave at ``now``, counted
        as sent if so. What ``push`` then ``pop_due(now)`` would decide, without the queue: the
        limiter's way for a reply at a quiet moment (most of them)."""
        budget = lane.budget
        if self._queued or self._slot(now, budget) > now or self.ready_at(chat_id, now) > now:
            return False
        self._depart(chat_id, now, budget)
        return True

    def _depart(self, chat_id: int, now: int, budget: Budget) -> None:
        tat = self._tat[budget]
        self._tat[budget] = (now if tat is None else max(tat, now)) + self.limits.spacing_of(
            budget
        )
        self._sent_all[budget].append(now)
        self._sent.setdefault(chat_id, deque()).append(now)
        self._departures += 1
        if self._departures % SWEEP_EVERY == 0:
            self._sweep(now)

    def departs(self, chat_id: int, granted_at: int, now: int, lane: Lane) -> bool:
        """A departure granted at ``granted_at`` really leaves at ``now``: move it there if the
        cap and the chat's window still hold (True); otherwise withdraw it (False) and the
        caller queues it again. Every departure recorded so far is at or before ``now``, so
        the moved one goes last and the records stay in order."""
        if now == granted_at:
            return True
        self.overslept(granted_at, now)
        sent = self._sent.setdefault(chat_id, deque())
        sent_all = self._sent_all[lane.budget]
        _forget(sent_all, granted_at)
        _forget(sent, granted_at)
        count, window = self.limits.overall_window(lane.budget)
        chat_count, chat_window = self.limits.window(chat_id)
        if (
            max(
                _window_opens(_prune(sent_all, window, now), count, window),
                _window_opens(_prune(sent, chat_window, now), chat_count, chat_window),
            )
            > now
        ):
            return False
        sent_all.append(now)
        sent.append(now)
        return True

    # ---- the budget several replicas share (ratelimit.RateLimiter._shared_slot) ------------

    def hold(self, budget: Budget, until: int) -> None:
        """The shared budget granted a slot at ``until``: this budget's next departure comes
        no sooner than a spacing after it."""
        tat = self._tat[budget]
        self._tat[budget] = max(tat or 0, until + self.limits.spacing_of(budget))

    def withdraw(self, chat_id: int, at: int, lane: Lane) -> None:
        """A departure recorded at ``at`` did not happen (the shared budget refused it)."""
        _forget(self._sent_all[lane.budget], at)
        _forget(self._sent.setdefault(chat_id, deque()), at)

    def chat_free_at(self, chat_id: int, at: int) -> None:
        """Another replica's messages fill ``chat_id``'s budget until ``at``."""
        self._paused[chat_id] = max(self._paused.get(chat_id, 0), at)

    def overslept(self, planned: int, now: int) -> None:
        """Something meant to happen at ``planned`` ran only at ``now``. Later by more than a
        spacing, the loop was stalled: the GCRA's burst is for a quiet moment, so the next
        departures go evenly spaced from ``now``."""
        if now - planned <= self.limits.spacing:
            return
        for budget in Budget:
            tat = self._tat[budget]
            if tat is not None:
                spacing = self.limits.spacing_of(budget)
                self._tat[budget] = max(tat, now + (self.limits.overall_burst - 1) * spacing)

    def _sweep(self, now: int) -> None:
        """Forget chats whose window has emptied and pauses that are over: a 100,000-chat
        fan-out touches each chat once, and would otherwise keep every window in memory."""
        for chat_id in [c for c in self._sent if not self._recent(c, now)]:
            del self._sent[chat_id]
        for chat_id in [c for c, until in self._paused.items() if until <= now]:
            del self._paused[chat_id]

    # ---- room and back-pressure ---------------------------------------------------------------

    def has_room(self, chat_id: int, now: int, keep: int = 0) -> bool:
        """True when ``keep`` more messages would still fit this chat's window after one more,
        counting what already waits for it."""
        count, _ = self.limits.window(chat_id)
        return len(self._recent(chat_id, now)) + self._queued[chat_id] + 1 + keep <= count

    def throttled(self, chat_id: int, retry_after_s: float, now: int) -> None:
        """Telegram answered 429 for ``chat_id``: nothing more goes there for ``retry_after``;
        if another chat was throttled within the last second, nothing goes anywhere."""
        until = now + round(retry_after_s * SECOND)
        self._paused[chat_id] = max(self._paused.get(chat_id, 0), until)
        last = self._last_throttle
        if last is not None and last[0] != chat_id and now - last[1] < GLOBAL_FLOOD_WITHIN:
            self._paused_all = max(self._paused_all, until)
        self._last_throttle = (chat_id, now)


def _prune(sent: deque[int], window: int, now: int) -> deque[int]:
    """Drop the departures that have left the sliding window ending at ``now``."""
    while sent and now - sent[0] >= window:
        sent.popleft()
    return sent


def _forget(sent: deque[int], at: int) -> None:
    """Drop one departure at ``at`` (gone already if its window has passed)."""
    if at in sent:
        sent.remove(at)


def _window_opens(sent: deque[int], count: int, window: int) -> int:
    """When one more departure fits "at most ``count`` in any ``window``" (0: it fits now)."""
    return sent[-count] + window if len(sent) >= count else 0
