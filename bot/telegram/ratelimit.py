"""Outgoing traffic within Telegram's limits, for every request the bot makes.

A session middleware queues each message-producing call (sends and edits both count) and lets
it go when ``bot.telegram.pacing.Pacer`` says so: evenly spaced overall, a sliding window per chat,
replies before bulk, chats in turns. A request counts the moment it really leaves (its task
runs, which a busy event loop can delay past its turn), and queues again if that is too late.
A 429 pauses its chat (or, in a flood, everything) for ``retry_after``, and the request queues
again first in its chat. Waiting uses the injected clock, so tests never sleep in real time.

Sends made inside ``bulk_sends()`` (the reminder fan-out) take only the slots replies to people
leave. With paid broadcast on (``broadcast.py``) they carry ``allow_paid_broadcast`` instead and
go in the paid budget; a paid message Telegram refuses is sent again unpaid, and the rest of
the fan-out with it. Features that can skip a message (a lobby's player list) ask ``has_room``
first and leave the budget to the messages that matter.

Several replicas share one budget per bot token (``shared_budget.py``): with ``shared`` set,
the leader takes the slot of each request the pacer lets go there (one statement on the shared
database) and lets it go at the moment granted.

No background task: the first waiting request leads the queue (sleeps until the next departure
and releases whoever is due), and when its own turn comes it hands the lead to another waiter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.clock import Clock
from bot.telegram.broadcast import PaidBroadcast
from bot.telegram.departure import DepartureHook, current_held_back, current_hook
from bot.telegram.pacing import SECOND, Lane, Limits, Pacer
from bot.telegram.shared_budget import SendBudgetStore, ask

if TYPE_CHECKING:
    from aiogram import Bot

__all__ = [
    "COUNTED_METHODS",
    "MAX_RETRY_AFTER_ATTEMPTS",
    "Limits",
    "RateLimitMiddleware",
    "RateLimiter",
    "bulk_sends",
]

log = logging.getLogger(__name__)

COUNTED_METHODS = {
    "sendMessage", "sendPoll", "sendDocument", "sendPhoto", "editMessageText",
    "editMessageReplyMarkup", "editMessageCaption", "stopPoll",
}  # fmt: skip
MAX_RETRY_AFTER_ATTEMPTS = 5
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

_lane: ContextVar[Lane] = ContextVar("send_lane", default=Lane.REPLY)


@contextmanager
def bulk_sends() -> Iterator[None]:
    """Sends made inside, and in tasks started inside, are bulk: they leave only when no reply
    to a person is waiting."""
    token = _lane.set(Lane.BULK)
    try:
        yield
    finally:
        _lane.reset(token)


class _Ticket:
    """One request waiting for its turn."""

    __slots__ = ("chat_id", "granted_at", "hook", "lane", "refused", "wake")

    def __init__(self, chat_id: int, lane: Lane) -> None:
        self.chat_id = chat_id
        self.lane = lane
        self.hook: DepartureHook | None = current_hook()  # the sender's (departure.py)
        self.refused: Exception | None = None  # the hook's error, raised in the sender's task
        self.granted_at: int | None = None  # when the pacer let it leave
        # Resolved to make the waiter look again: its turn came, or the queue needs a leader.
        self.wake: asyncio.Future[None] | None = None


async def _run_hook(ticket: _Ticket) -> None:
    """The sender's departure hook; its error is the sender's to handle, in its own task."""
    assert ticket.hook is not None
    try:
        await ticket.hook()
    except Exception as error:
        ticket.refused = error


class RateLimiter:
    def __init__(
        self, clock: Clock, limits: Limits | None = None, *, paid_broadcast: bool = False
    ) -> None:
        self.clock = clock
        self.pacer: Pacer[_Ticket] = Pacer(limits)
        self.paid = PaidBroadcast(clock, enabled=paid_broadcast)
        # The budget the replicas share; None when this process is the only sender (SQLite).
        self.shared: SendBudgetStore | None = None
        self._leader: _Ticket | None = None
        self._leader_wakes_at: int | None = None
        self._poke: asyncio.Future[None] | None = None

    @property
    def limits(self) -> Limits:
        return self.pacer.limits

    @limits.setter
    def limits(self, limits: Limits) -> None:
        self.pacer.limits = limits

    @property
    def waiting(self) -> int:
        """Requests queued for their turn."""
        return len(self.pacer)

    def _now(self) -> int:
        return (self.clock.now() - EPOCH) // MICROSECOND

    def has_room(self, chat_id: int, keep: int = 0) -> bool:
        """True when ``keep`` more messages would still fit this chat's window after one more."""
        return self.pacer.has_room(chat_id, self._now(), keep)

    def throttled(self, chat_id: int, retry_after_s: float) -> None:
        self.pacer.throttled(chat_id, retry_after_s, self._now())

    async def acquire(
        self, chat_id: int, *, retry: bool = False, lane: Lane | None = None
    ) -> None:
        """Wait for this request's turn; it counts as sent when this returns. A ``retry`` goes
        before the chat's other waiting requests, keeping their order. The lane is the
        context's (``bulk_sends``) unless given."""
        lane = _lane.get() if lane is None else lane
        if (
            self._leader is None
            and self.shared is None
            and current_hook() is None
            and self.pacer.leaves_at_once(chat_id, self._now(), lane)
        ):
            return  # a quiet moment: no queue to join, no leader to wait for
        first = retry
        # The turn is granted by the queue's leader; this task runs some time later (at once,
        # unless the event loop is busy). It counts where it really leaves, so a few late
        # grants cannot leave together over the limits: if it no longer fits, it queues again.
        while not self.pacer.departs(
            chat_id, await self._turn(chat_id, first, lane), self._now(), lane
        ):
            first = True

    async def _shared_slot(
        self, shared: SendBudgetStore, ticket: _Ticket, popped: int
    ) -> int | None:
        """The leader, for the request the pacer let go at ``popped``: take its slot in the
        budget the replicas share and wait for it (the moment its departure is recorded at), or
        put it back until its chat is free (None). Only the leader asks, so a replica holds one
        slot ahead at a time and its lanes keep their order; the pacer's own records move to
        the real departure."""
        chat_id, lane = ticket.chat_id, ticket.lane
        slot = await ask(shared, self.limits, chat_id, lane.budget, popped)
        if slot.granted:
            self.pacer.hold(lane.budget, slot.at)
            if slot.at > (now := self._now()):
                await self.clock.sleep((slot.at - now) / SECOND)
            departed = self._now()
            if self.pacer.departs(chat_id, popped, departed, lane):
                return departed
        else:
            self.pacer.withdraw(chat_id, popped, lane)
            self.pacer.chat_free_at(chat_id, slot.at)
        self.pacer.push(ticket, chat_id, lane, first=True)
        return None

    async def _turn(self, chat_id: int, first: bool, lane: Lane) -> int:
        """Queue and wait until the pacer grants this request; returns when it was granted."""
        ticket = _Ticket(chat_id, lane)
        self.pacer.push(ticket, chat_id, ticket.lane, first=first)
        try:
            while ticket.granted_at is None:
                if self._leader is None:
                    await self._lead(ticket)
                else:
                    self._poke_if_sooner(chat_id, lane)
                    ticket.wake = asyncio.get_running_loop().create_future()
                    await ticket.wake
        except BaseException:  # cancelled (shutdown): its place goes to the others
            if ticket.granted_at is None:
                self.pacer.discard(ticket, chat_id, ticket.lane)
            if self._leader is None:
                self._wake_a_waiter()
            raise
        if ticket.refused is not None:
            raise ticket.refused
        return ticket.granted_at

    async def _lead(self, mine: _Ticket) -> None:
        self._leader = mine
        try:
            while mine.granted_at is None:
                now = self._now()
                # Granted at the moment the pacer recorded the departure: acquire() moves it
                # from there to when the request really leaves (a real clock has moved on).
                if self.shared is None:
                    due = list(iter(partial(self.pacer.pop_due, now), None))
                    if due:
                        await self._depart([(ticket, now) for ticket in due])
                        for ticket in due:
                            self._grant(ticket, now)
                        continue
                elif (one := self.pacer.pop_due(now)) is not None:
                    # One at a time: each waits for its slot in the shared budget, and a reply
                    # queued meanwhile goes next.
                    departed = await self._shared_slot(self.shared, one, now)
                    if departed is not None:
                        await self._depart([(one, departed)])
                        self._grant(one, departed)
                    continue
                at = self.pacer.next_departure(now)
                assert at is not None, "the leader's own request is queued"
                await self._sleep_until(at, now)
                self.pacer.overslept(at, self._now())
        finally:
            self._leader = None
            self._wake_a_waiter()

    async def _depart(self, leaving: list[tuple[_Ticket, int]]) -> None:
        """The senders' departure hooks, run by the leader right before it lets their requests
        go: the queue waits for them, so each request still leaves at its turn. The requests
        due at one moment (a burst, or what fell due during the last hooks) run theirs
        together, so a sender can write them in one statement (``departure.py``). A refused
        request gives its turn back."""
        hooked = [ticket for ticket, _ in leaving if ticket.hook is not None]
        if not hooked:  # replies to people: nothing to wait for
            return
        try:
            if len(hooked) == 1:
                await _run_hook(hooked[0])
            else:
                await asyncio.gather(*map(_run_hook, hooked))
        except BaseException:  # the leader is cancelled: the next one lets these requests go
            for ticket, _ in leaving:
                self.pacer.push(ticket, ticket.chat_id, ticket.lane, first=True)
            raise
        for ticket, departed in leaving:
            if ticket.refused is not None:
                self.pacer.withdraw(ticket.chat_id, departed, ticket.lane)

    def _grant(self, ticket: _Ticket, now: int) -> None:
        ticket.granted_at = now
        if ticket.wake is not None and not ticket.wake.done():
            ticket.wake.set_result(None)

    async def _sleep_until(self, at: int, now: int) -> None:
        """Sleep until ``at``, or until a newcomer that may leave sooner pokes the leader."""
        # Requests made at this same instant queue first: one of them may leave sooner. (A
        # fake clock jumps as soon as anyone sleeps, so this is where they must be seen.)
        await asyncio.sleep(0)
        if self.pacer.next_departure(self._now()) != at:
            return
        self._leader_wakes_at = at
        self._poke = poke = asyncio.get_running_loop().create_future()
        sleeper = asyncio.ensure_future(self.clock.sleep((at - now) / SECOND))
        try:
            await asyncio.wait((sleeper, poke), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            self._poke = None
            self._leader_wakes_at = None

    def _poke_if_sooner(self, chat_id: int, lane: Lane) -> None:
        poke, wakes_at = self._poke, self._leader_wakes_at
        if poke is None or poke.done() or wakes_at is None:
            return
        if self.pacer.earliest(chat_id, self._now(), lane) < wakes_at:
            poke.set_result(None)

    def _wake_a_waiter(self) -> None:
        """Without a leader, one waiter must take the lead, or the queue would stall."""
        ticket = self.pacer.first()
        if ticket is not None and ticket.wake is not None and not ticket.wake.done():
            ticket.wake.set_result(None)


class RateLimitMiddleware(BaseRequestMiddleware):
    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = _chat_id(method)
        counted = chat_id if method.__api_method__ in COUNTED_METHODS else None
        lane = _lane.get()
        if counted is not None and lane is Lane.BULK and self._pays(method):
            lane = Lane.PAID
            method.allow_paid_broadcast = True  # type: ignore[attr-defined]
        refused: str | None = None  # why Telegram refused this message paid
        went = False
        try:
            for attempt in range(1, MAX_RETRY_AFTER_ATTEMPTS + 1):
                if counted is not None:
                    lane = await self._turn(bot, method, counted, lane, retry=attempt > 1)
                try:
                    response = await make_request(bot, method)
                except TelegramBadRequest as error:
                    if lane is not Lane.PAID or attempt == MAX_RETRY_AFTER_ATTEMPTS:
                        raise
                    # Whatever Telegram's words, the same message unpaid tells whether paying
                    # was the problem (the balance): if it goes, the rest of the fan-out goes
                    # unpaid too; if it fails again, that error is the chat's and is raised.
                    refused, lane = error.message, _unpaid(method)
                    self.limiter.paid.doubt()
                    continue
                except TelegramRetryAfter as error:
                    if attempt == MAX_RETRY_AFTER_ATTEMPTS:
                        raise
                    await self._wait_out(error, method, chat_id, counted)
                    continue
                if lane is Lane.PAID:
                    self.limiter.paid.sent()
                went = True
                return response
            raise AssertionError("unreachable")
        finally:
            if refused is not None:
                self.limiter.paid.resolve(refused, unpaid_went=went)

    async def _wait_out(
        self,
        error: TelegramRetryAfter,
        method: TelegramMethod[Any],
        chat_id: int | None,
        counted: int | None,
    ) -> None:
        """A 429: the request was not carried out, so waiting and retrying is safe. The sender
        hears of it first (``departure.py``); a counted message's chat pauses in the pacer and
        its retry queues again, anything else waits here."""
        log.warning(
            "429 on %s to %s: waiting %s s", method.__api_method__, chat_id, error.retry_after
        )
        held_back = current_held_back()
        if held_back is not None:
            await held_back()
        if counted is not None:
            self.limiter.throttled(counted, error.retry_after)
        else:
            await self.limiter.clock.sleep(error.retry_after)

    async def _turn(
        self, bot: Bot, method: TelegramMethod[Any], chat_id: int, lane: Lane, *, retry: bool
    ) -> Lane:
        """Wait for this message's turn; returns the lane it leaves in."""
        await self.limiter.acquire(chat_id, retry=retry, lane=lane)
        if lane is Lane.PAID and not self.limiter.paid.active:
            # Paid broadcast stopped while this one waited: it goes unpaid, in turn.
            lane = _unpaid(method)
            await self.limiter.acquire(chat_id, retry=True, lane=lane)
        if lane is Lane.PAID:
            await self.limiter.paid.before_paid_send(bot)
        return lane

    def _pays(self, method: TelegramMethod[Any]) -> bool:
        return self.limiter.paid.active and "allow_paid_broadcast" in type(method).model_fields


def _unpaid(method: TelegramMethod[Any]) -> Lane:
    """The message goes without allow_paid_broadcast, in the free bulk lane."""
    method.allow_paid_broadcast = None  # type: ignore[attr-defined]
    return Lane.BULK


def _chat_id(method: TelegramMethod[Any]) -> int | None:
    chat_id = getattr(method, "chat_id", None)
    return chat_id if isinstance(chat_id, int) else None
