"""Filters evaluated in the event loop.

aiogram runs a plain (synchronous) filter such as ``F.chat.type == "private"`` through
``asyncio.to_thread``: a thread hop for every check of every message. The profile of /fact
showed these hops as the largest cost after the handler itself, so message filters here are
async.
"""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import Message
from magic_filter import MagicFilter


class Magic(Filter):
    """``Magic(F.migrate_to_chat_id)``: a magic filter resolved without the thread hop."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, message: Message) -> bool:
        return bool(self.magic.resolve(message))
