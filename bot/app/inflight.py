"""The work a graceful shutdown waits for: updates being handled and scheduled job runs.

aiogram's polling does not wait for the handler tasks it spawned, and APScheduler's shutdown
cancels running jobs; both count themselves here so ``on_shutdown`` can let them finish before
the database closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.telegram.middlewares import NextHandler


class InFlight:
    def __init__(self) -> None:
        # Task -> how deep it is in track(): a task counts once, however it nests.
        self._running: dict[asyncio.Task[Any], int] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        assert task is not None, "track() runs inside a task"
        self._running[task] = self._running.get(task, 0) + 1
        self._idle.clear()
        try:
            yield
        finally:
            depth = self._running.pop(task) - 1
            if depth:
                self._running[task] = depth
            elif not self._running:
                self._idle.set()

    async def wait_idle(
        self,
        timeout: float,  # noqa: ASYNC109 (the caller needs the count left when it expires)
    ) -> int:
        """Wait until nothing is tracked, at most ``timeout`` seconds; return how many tasks
        were still running then."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return len(self._running)
        return 0

    def cancel(self) -> None:
        """Cut off what is still running, so it unwinds before the database closes instead of
        failing on a closed session or connection afterwards."""
        for task in self._running:
            task.cancel()


class InFlightMiddleware(BaseMiddleware):
    """Outer middleware counting each update in ``InFlight`` while it is handled."""

    def __init__(self, inflight: InFlight) -> None:
        self.inflight = inflight

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.inflight.track():
            return await handler(event, data)
