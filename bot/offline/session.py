"""An aiogram session that talks to the in-process ``FakeTelegram`` instead of the network.

Parameters are serialised exactly as aiogram's aiohttp session serialises its form fields, and
the answer goes through aiogram's own ``check_response``, so the bot sees the same results and
the same exception types as with the real Bot API.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from bot.offline.telegram import FakeTelegram

if TYPE_CHECKING:
    from aiogram import Bot


class FakeSession(BaseSession):
    def __init__(self, telegram: FakeTelegram) -> None:
        super().__init__()
        self.telegram = telegram

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (signature of aiogram BaseSession)
    ) -> TelegramType:
        files: dict[str, InputFile] = {}
        params: dict[str, str] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:  # aiohttp's form builder drops empty values the same way
                params[key] = prepared
        read_files = {key: await _read(bot, item) for key, item in files.items()}
        status, payload = self.telegram.handle(
            bot.token, method.__api_method__, params, read_files
        )
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=json.dumps(payload)
        )
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (signature of aiogram BaseSession)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None


async def _read(bot: Bot, item: InputFile) -> tuple[str, bytes]:
    chunks = [chunk async for chunk in item.read(bot)]
    return item.filename or "file", b"".join(chunks)
