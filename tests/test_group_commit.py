"""Group commit (storage/group_commit.py): calls made together share one write, calls made
while it is on its way share the next, and each caller gets its own answer or the error."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from storage.group_commit import GroupCommit


class Store:
    """A write that takes until ``release`` is set, keeps every batch and refuses odd keys."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.fail_next: Exception | None = None

    async def write(self, keys: Sequence[int]) -> set[int]:
        self.batches.append(list(keys))
        await self.release.wait()
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        return {key for key in keys if key % 2 == 0}


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_calls_made_together_share_one_write_and_each_gets_its_answer() -> None:
    store = Store()
    store.release.set()
    group = GroupCommit(store.write, most=100)
    answers = await asyncio.gather(*(group(key) for key in range(6)))
    assert store.batches == [[0, 1, 2, 3, 4, 5]]
    assert answers == [True, False, True, False, True, False]


async def test_calls_made_during_a_write_wait_for_the_next_one() -> None:
    store = Store()
    group = GroupCommit(store.write, most=100)
    first = [asyncio.create_task(group(key)) for key in (0, 2)]
    await settle()
    later = [asyncio.create_task(group(key)) for key in (4, 5, 6)]
    await settle()
    assert store.batches == [[0, 2]], "the second batch waits for the first write"
    store.release.set()
    assert await asyncio.gather(*first, *later) == [True, True, True, False, True]
    assert store.batches == [[0, 2], [4, 5, 6]]


async def test_a_batch_holds_at_most_most_keys() -> None:
    store = Store()
    store.release.set()
    group = GroupCommit(store.write, most=4)
    await asyncio.gather(*(group(key) for key in range(10)))
    assert store.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_a_failed_write_raises_in_its_callers_and_the_next_batch_goes_on() -> None:
    store = Store()
    group = GroupCommit(store.write, most=100)
    store.fail_next = ConnectionError("the database went away")
    failing = [asyncio.create_task(group(key)) for key in (0, 1)]
    await settle()
    after = asyncio.create_task(group(2))
    await settle()
    store.release.set()
    results = await asyncio.gather(*failing, after, return_exceptions=True)
    assert [type(result) for result in results[:2]] == [ConnectionError, ConnectionError]
    assert results[2] is True


async def test_a_caller_that_gives_up_leaves_the_others_their_answers() -> None:
    store = Store()
    group = GroupCommit(store.write, most=100)
    calls = [asyncio.create_task(group(key)) for key in (0, 2)]
    await settle()
    calls[0].cancel()
    store.release.set()
    with pytest.raises(asyncio.CancelledError):
        await calls[0]
    assert await calls[1] is True
