"""/search <text>, and plain text in a private chat (in groups, chatter is not for the bot)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.library import views
from bot.library.service import Library
from bot.telegram import commands
from bot.telegram.filters import Magic
from bot.telegram.i18n import Translator
from bot.telegram.replies import send

QUERY_MAX = 200


async def _run_search(message: Message, query: str, t: Translator, library: Library) -> None:
    query = query.strip()
    if not query:
        await message.answer(t("search.usage"))
        return
    if len(query) > QUERY_MAX:
        await message.answer(t("search.too_long", limit=QUERY_MAX))
        return
    hits = library.search(query, t.lang)  # the search core keeps recent queries' results
    await send(message, views.search_screen(library.catalog, t, query, hits))


async def cmd_search(
    message: Message, command: CommandObject, t: Translator, library: Library
) -> None:
    await _run_search(message, command.args or "", t, library)


async def on_private_text(message: Message, t: Translator, library: Library) -> None:
    assert message.text is not None
    await _run_search(message, message.text, t, library)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_search, Command(commands.SEARCH.name))
    router.message.register(
        on_private_text,
        Magic(F.chat.type == "private"),
        Magic(F.text),
        Magic(~F.text.startswith("/")),
    )
    return router
