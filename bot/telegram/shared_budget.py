"""One send budget per bot token, shared by every replica: the arithmetic, and what a store of
it must do.

Telegram counts a bot's messages per token: about 30 a second overall, 1 a second per private
chat, 20 a minute per group, whichever process sends them. Each replica's pacer
(``pacing.Pacer``) keeps its lanes, fairness and replies-before-bulk; before a counted request
leaves, it also takes a slot here, in one statement on the shared database (``storage/
send_budget.py``).

Every budget is a GCRA (``Pace``: a spacing, and a tolerance for a burst): a theoretical
arrival time (``tat``) per budget, the overall one ("all", or "paid" for paid broadcast) and
one per chat. A slot is granted at the first moment from ``now`` the overall budget conforms
(``tat - tolerance``), and moves its ``tat`` one spacing past ``max(tat, now)``. The chat must
conform at that departure, and its ``tat`` moves one chat spacing past ``max(tat_chat,
departure)``. Replicas queue in the database, whichever sent before.

A GCRA's burst must be paid for in its spacing. 20 a minute with a burst of 20 lets 20 go at
once and then one every 3 s as the bucket refills: about 39 in the first minute. With a burst
of ``b`` and spacing ``T``, any window ``W`` holds at most ``b - 1 + ceil(W / T)`` departures,
so a chat's spacing is its window (with the margin) over ``count - b + 1``: a group gets a
burst of ``GROUP_BURST`` (5: a lobby's joins are shown at once) and then one every 60.3 s / 16
= 3.77 s, 20 in any 60.3 s at most; a private chat 1 in any 1.3 s (burst 1, as the pacer).
Overall, the pacer's spacing with no burst (its cap leaves room for none): at most 29 in any
1.15 s, as one pacer alone sends.

Pure: no clock, no database. Times are integer microseconds since the epoch, as in ``pacing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.telegram.pacing import Budget, Limits

OVERALL_NAMES = {Budget.FREE: "all", Budget.PAID: "paid"}
GROUP_BURST = 5


@dataclass(frozen=True, slots=True)
class Slot:
    """A shared budget's answer: ``granted`` with the moment to leave (``at``), or the chat
    was not free: ``at`` is when to ask again (the overall slot taken meanwhile stays unused)."""

    granted: bool
    at: int


class SendBudgetStore(Protocol):
    """Where the replicas keep each budget's ``tat``: :func:`take` as one atomic step, which
    returns (granted, at)."""

    async def take(
        self, overall: str, overall_pace: tuple[int, int], chat: str,
        chat_pace: tuple[int, int], now: int,
    ) -> tuple[bool, int]: ...  # fmt: skip


def chat_name(chat_id: int) -> str:
    return f"chat:{chat_id}"


@dataclass(frozen=True, slots=True)
class Pace:
    """A budget's GCRA: microseconds between messages, and how far ahead a burst may run."""

    spacing: int
    tolerance: int


def overall_pace(limits: Limits, budget: Budget) -> Pace:
    """The pacer's spacing, with no burst. The pacer also caps any window of 1 s and its margin
    at ``ceil(window / spacing)`` departures (29 in any 1.15 s at 25/s), and a GCRA holds
    ``burst - 1 + ceil(window / spacing)`` in such a window: only a burst of 1 keeps the cap.
    The pacer's burst of 5 here let 33 go in 1.15 s, so a collector's pause of 0.2 s in one
    replica could bunch 31 into one second at Telegram."""
    return Pace(limits.spacing_of(budget), 0)


def chat_pace(limits: Limits, chat_id: int) -> Pace:
    """The chat's window (with the margin) over the messages it allows past its burst,
    rounded up: ``burst - 1 + ceil(window / spacing)`` never exceeds its count."""
    count, window = limits.window(chat_id)
    burst = min(GROUP_BURST, count) if chat_id < 0 else 1
    spacing = -(-window // (count - burst + 1))
    return Pace(spacing, (burst - 1) * spacing)


def take(
    tats: dict[str, int], overall_name: str, overall: Pace, chat: str, pace: Pace, now: int
) -> Slot:
    """The step the store does atomically, on a plain dict: the model the store is tested
    against, and the arithmetic the properties hold for."""
    overall_tat = tats.get(overall_name, now)
    departure = max(now, overall_tat - overall.tolerance)
    tats[overall_name] = max(overall_tat, now) + overall.spacing
    chat_tat = tats.get(chat, departure)
    if chat_tat - pace.tolerance > departure:
        return Slot(granted=False, at=chat_tat - pace.tolerance)
    tats[chat] = max(chat_tat, departure) + pace.spacing
    return Slot(granted=True, at=departure)


async def ask(
    store: SendBudgetStore, limits: Limits, chat_id: int, budget: Budget, now: int
) -> Slot:
    """One request to ``chat_id`` in ``budget`` asks the shared budget for its slot."""
    overall, chat = overall_pace(limits, budget), chat_pace(limits, chat_id)
    granted, at = await store.take(
        OVERALL_NAMES[budget], (overall.spacing, overall.tolerance),
        chat_name(chat_id), (chat.spacing, chat.tolerance), now,
    )  # fmt: skip
    return Slot(granted, at)
