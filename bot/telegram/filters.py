"""Filters evaluated in the event loop.

aiogram runs a plain (synchronous) filter such as ``F.chat.type == "private"`` through
``asyncio.to_thread``: a thread hop for every check of every message. The profile of /fact
showed these hops as the largest cost after the handler itself, so message filters here are
async.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, Message
from magic_filter import MagicFilter

from bot.telegram.errors import ButtonExpired
from bot.telegram.permissions import require_chat_admin


class Magic(Filter):
    """``Magic(F.migrate_to_chat_id)``: a magic filter resolved without the thread hop."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, message: Message) -> bool:
        return bool(self.magic.resolve(message))


class AdminsOnly(Filter):
    """A group's administrators (anonymous ones included) and anyone in a private chat pass;
    anyone else is refused with ``NotAnAdmin``, which the errors router answers. Raising rather
    than returning False keeps the update from falling through to the "unknown command" or
    "expired button" replies, so list this filter after the ones that pick the update."""

    async def __call__(self, event: Message | CallbackQuery, bot: Bot) -> bool:
        if isinstance(event, CallbackQuery) and not isinstance(event.message, Message):
            raise ButtonExpired  # an inline or inaccessible message: no chat to ask about
        await require_chat_admin(bot, event)
        return True


class CommandNamed(Filter):
    """A router-level pre-check: can this message be one of the router's commands at all?

    aiogram tries a router's handlers one by one, and each ``Command`` filter parses the text
    again: a /fact walked through seventeen such parses before reaching its handler. This
    check (one split, one set lookup) lets a router step aside at once; it only ever admits
    more than the handlers' own ``Command`` filters, which still decide.
    """

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    async def __call__(self, message: Message) -> bool:
        text = message.text or message.caption
        if not text or text[0] != "/":
            return False
        head = text[1:].split(maxsplit=1)
        return bool(head) and head[0].split("@", 1)[0].casefold() in self.names


def admit_only_commands(router: Router) -> None:
    """Give ``router`` the ``CommandNamed`` pre-check when every message handler it has
    answers only plain ``/name`` commands; any other handler (text, regex) leaves it as is."""
    names: set[str] = set()
    for handler in router.message.handlers:
        commands = [f.callback for f in handler.filters or () if isinstance(f.callback, Command)]
        if not commands:
            return
        for command in commands:
            if command.prefix != "/" or not all(isinstance(c, str) for c in command.commands):
                return
            names.update(str(c).casefold() for c in command.commands)
    if names:
        router.message.filter(CommandNamed(frozenset(names)))


class CallbackKinds(Filter):
    """The same pre-check for button presses: is this data one of the router's kinds at all?

    Each ``SomeCb.filter()`` unpacks the data to find out; a topic press was unpacked thirteen
    times on its way to its handler. One partition and one set lookup let a router step aside.
    It admits every data whose prefix is one of ``prefixes``; the handlers' filters still decide.
    """

    def __init__(self, prefixes: frozenset[str]) -> None:
        self.prefixes = prefixes

    async def __call__(self, query: CallbackQuery) -> bool:
        return query.data is not None and query.data.partition(":")[0] in self.prefixes


def admit_only_own_callbacks(router: Router) -> None:
    """Give ``router`` the ``CallbackKinds`` pre-check when every callback handler it has
    takes only its own callback data kinds; any other (a catch-all) leaves it as is."""
    prefixes: set[str] = set()
    for handler in router.callback_query.handlers:
        kinds = [
            f.callback.callback_data
            for f in handler.filters or ()
            if isinstance(f.callback, CallbackQueryFilter)
        ]
        if not kinds:
            return
        for kind in kinds:
            if kind.__separator__ != ":":
                return
            prefixes.add(kind.__prefix__)
    if prefixes:
        router.callback_query.filter(CallbackKinds(frozenset(prefixes)))
