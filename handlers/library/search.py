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
from bot.telegram.ui import Screen

QUERY_MAX = 200
SCREEN_CACHE = 1024  # rendered replies kept, per dispatcher


def setup() -> Router:
    router = Router(name=__name__)
    # A reply is a pure function of the (immutable) content, the language and the query, and
    # students ask the same questions: each is rendered once. Full: start again.
    screens: dict[tuple[str, str], Screen] = {}

    async def run_search(message: Message, query: str, t: Translator, library: Library) -> None:
        query = query.strip()
        if not query:
            await message.answer(t("search.usage"))
            return
        if len(query) > QUERY_MAX:
            await message.answer(t("search.too_long", limit=QUERY_MAX))
            return
        screen = screens.get((t.lang, query))
        if screen is None:
            if len(screens) >= SCREEN_CACHE:
                screens.clear()
            hits = library.search(query, t.lang)
            screen = screens[t.lang, query] = views.search_screen(library.catalog, t, query, hits)
        await send(message, screen)

    @router.message(Command(commands.SEARCH.name))
    async def cmd_search(
        message: Message, command: CommandObject, t: Translator, library: Library
    ) -> None:
        await run_search(message, command.args or "", t, library)

    @router.message(Magic(F.chat.type == "private"), Magic(F.text), Magic(~F.text.startswith("/")))
    async def on_private_text(message: Message, t: Translator, library: Library) -> None:
        assert message.text is not None
        await run_search(message, message.text, t, library)

    return router
