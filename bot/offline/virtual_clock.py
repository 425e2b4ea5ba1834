"""A virtual clock that the bot and the HTTP offline Telegram share in one event loop.

``FakeClock`` jumps forward whenever anyone sleeps: right for one sleeper at a time, wrong for
many (two tasks sleeping a second each would move it two seconds). ``VirtualClock`` keeps every
sleeper's wake-up time and moves to the earliest only when the rest of the program is idle, so
minutes of paced traffic through real HTTP run in seconds, and every timestamp is exact.

Only the caller knows what runs out of the clock's sight (a request on a socket, a query on
aiosqlite's thread), so the caller says when everything is idle: ``run(work, quiet)`` moves time
only when ``quiet()`` has held over several turns of the event loop in a row.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

Result = TypeVar("Result")

# Turns of the event loop that ``quiet()`` must hold for: callbacks already scheduled (a task
# woken by a resolved future, a poked leader) run within a few turns.
CALM_TURNS = 20
BUSY_POLL_S = 0.0002  # real time to give a thread or a socket while something is busy


class Stalled(RuntimeError):
    """Everything is idle, nothing sleeps, and the work is not done: it waits forever."""


class VirtualClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._timers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        at = self._now + timedelta(seconds=seconds)
        heapq.heappush(self._timers, (at, next(self._order), wake))
        await wake  # a cancelled sleep leaves its future cancelled; firing skips it

    def _fire_next(self) -> bool:
        """Move to the earliest pending wake-up and wake everyone due then; False if none."""
        while self._timers and self._timers[0][2].done():
            heapq.heappop(self._timers)
        if not self._timers:
            return False
        at = self._timers[0][0]
        self._now = max(self._now, at)
        while self._timers and self._timers[0][0] <= at:
            _, _, wake = heapq.heappop(self._timers)
            if not wake.done():
                wake.set_result(None)
        return True

    async def run(
        self,
        work: Coroutine[Any, Any, Result],
        quiet: Callable[[], bool],
        *,
        real_timeout_s: float,
    ) -> Result:
        """Run ``work`` to its end, moving time whenever everything is idle. Fails with
        ``TimeoutError`` after ``real_timeout_s`` of real time, or ``Stalled``."""
        task = asyncio.ensure_future(work)
        try:
            async with asyncio.timeout(real_timeout_s):
                while not task.done():
                    await self._settle(task, quiet)
                    if not task.done() and not self._fire_next():
                        raise Stalled(f"nothing left to wake at {self._now.isoformat()}")
        except BaseException:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # its clean-up runs first
            raise
        return task.result()

    async def _settle(self, task: asyncio.Future[Any], quiet: Callable[[], bool]) -> None:
        calm = 0
        while calm < CALM_TURNS and not task.done():
            if quiet():
                calm += 1
                await asyncio.sleep(0)
            else:
                calm = 0
                await asyncio.sleep(BUSY_POLL_S)
