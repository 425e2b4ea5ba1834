"""The bot's own membership: added, removed, blocked; and group → supergroup migration."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import JOIN_TRANSITION, LEAVE_TRANSITION, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated, Message

from bot.profiles.service import Profiles
from bot.telegram.filters import Magic
from bot.telegram.i18n import Translator

log = logging.getLogger(__name__)


async def on_bot_removed(event: ChatMemberUpdated, profiles: Profiles) -> None:
    # Kicked from a group, or blocked by the user in a private chat: stop writing there.
    log.info("bot removed from chat %s", event.chat.id)
    await profiles.set_active(event.chat.id, False)


async def on_bot_added(event: ChatMemberUpdated, profiles: Profiles, t: Translator) -> None:
    await profiles.set_active(event.chat.id, True)
    if event.chat.type in {"group", "supergroup"}:
        await event.answer(t("start.group_hello"))


async def on_migrate_to(message: Message, profiles: Profiles) -> None:
    assert message.migrate_to_chat_id is not None
    await profiles.migrate(message.chat.id, message.migrate_to_chat_id)


async def on_migrate_from(message: Message, profiles: Profiles) -> None:
    assert message.migrate_from_chat_id is not None
    await profiles.migrate(message.migrate_from_chat_id, message.chat.id)


def setup() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.register(on_bot_removed, ChatMemberUpdatedFilter(LEAVE_TRANSITION))
    router.my_chat_member.register(on_bot_added, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    router.message.register(on_migrate_to, Magic(F.migrate_to_chat_id))
    router.message.register(on_migrate_from, Magic(F.migrate_from_chat_id))
    return router
