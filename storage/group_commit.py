"""Group commit: the same small write asked for by many tasks at once, made in one statement.

A reminder fan-out records each message's departure (``ReminderRepository.depart``) from
hundreds of tasks a second. One statement each, one after another, makes the database's round
trip the fan-out's pace; here the calls that arrive while a statement is on its way wait for the
next one, which writes them all. Alone, a call costs one statement as before; under load a batch
grows to what arrived during one round trip (at most ``most``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


class GroupCommit(Generic[Key]):
    """``await group(key)`` is True if ``write`` reported ``key`` done. ``write`` gets the
    keys of one batch and returns those it changed; its error is raised in every caller of
    that batch."""

    def __init__(self, write: Callable[[Sequence[Key]], Awaitable[set[Key]]], most: int) -> None:
        self._write = write
        self._most = most
        self._waiting: list[tuple[Key, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, key: Key) -> bool:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, done))
        if self._writer is None:
            # It starts at the loop's next turn: the calls made in this one join its batch.
            self._writer = asyncio.create_task(self._write_all())
        return await done

    async def _write_all(self) -> None:
        batch: list[tuple[Key, asyncio.Future[bool]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
                try:
                    changed = await self._write([key for key, _ in batch])
                except Exception as error:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(error)
                    continue
                for key, done in batch:
                    if not done.done():
                        done.set_result(key in changed)
            batch = []
        finally:
            self._writer = None
            # Cancelled (shutdown): nobody is left waiting for an answer that will not come.
            for _, done in (*batch, *self._waiting):
                done.cancel()
            self._waiting = []
