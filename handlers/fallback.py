"""What no other handler took: a short, clear reply, or a deliberate silence.

- an unknown command (for this bot) → a hint to /help, in private chats and groups;
- a command addressed to another bot (/help@other_bot) → silence: it is not for us;
- stickers, photos, voice... in a private chat → "send text"; in groups → silence;
- a button nobody handles (stale or forged callback data) → "this button has expired";
- edited messages and channel posts → silence: re-answering an edit would duplicate replies,
  and the bot does not serve channels.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message

from bot.telegram.errors import ButtonExpired
from bot.telegram.filters import Magic
from bot.telegram.i18n import Translator

log = logging.getLogger(__name__)


async def on_unknown_command(message: Message, bot: Bot, t: Translator) -> None:
    assert message.text is not None
    command = message.text.split(maxsplit=1)[0]
    _, _, mention = command.partition("@")
    me = await bot.me()
    if mention and mention.lower() != (me.username or "").lower():
        return
    await message.answer(t("errors.unknown_command", command=command[:64]))


async def on_private_non_text(message: Message, t: Translator) -> None:
    if message.content_type in {"migrate_to_chat_id", "migrate_from_chat_id"}:
        return
    await message.answer(t("errors.text_only"))


async def on_stale_button(query: CallbackQuery) -> None:
    log.info("unhandled callback data %r", query.data)
    raise ButtonExpired


async def on_edited(message: Message) -> None:
    log.debug("ignoring edit of message %s in chat %s", message.message_id, message.chat.id)


async def on_channel_post(message: Message) -> None:
    log.debug("ignoring channel post in %s", message.chat.id)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(on_unknown_command, Magic(F.text.startswith("/")))
    router.message.register(on_private_non_text, Magic(F.chat.type == "private"), Magic(~F.text))
    router.callback_query.register(on_stale_button)
    router.edited_message.register(on_edited)
    router.channel_post.register(on_channel_post)
    return router
