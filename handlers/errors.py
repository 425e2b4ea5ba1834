"""One place where exceptions become replies (or deliberate silence) and log lines."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramMigrateToChat
from aiogram.types import ErrorEvent

from bot.profiles.service import Profiles
from bot.telegram.errors import UserFacingError
from bot.telegram.i18n import Html, Translator

log = logging.getLogger(__name__)


def _chat_id(event: ErrorEvent) -> int | None:
    update = event.update
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None and update.callback_query.message is not None:
        return update.callback_query.message.chat.id
    if update.my_chat_member is not None:
        return update.my_chat_member.chat.id
    return None


def _written_chat(error: TelegramAPIError, event: ErrorEvent) -> int | None:
    """The chat a failed request wrote to (the one that refused, or moved). A poll answer,
    say, makes the bot write to a chat the update itself does not name."""
    target = getattr(error.method, "chat_id", None)
    return target if isinstance(target, int) else _chat_id(event)


async def on_error(
    event: ErrorEvent, bot: Bot, profiles: Profiles, t: Translator | None = None
) -> None:
    error = event.exception
    chat_id = _chat_id(event)
    if isinstance(error, TelegramForbiddenError):
        # Blocked by the user or kicked: nobody to answer; stop writing to this chat.
        refusing = _written_chat(error, event)
        log.info("chat %s is unreachable (%s); marking inactive", refusing, error.message)
        if refusing is not None:
            await profiles.set_active(refusing, False)
        return
    if isinstance(error, TelegramMigrateToChat):
        moved = _written_chat(error, event)
        if moved is not None:
            await profiles.migrate(moved, error.migrate_to_chat_id)
            return
    if isinstance(error, UserFacingError) and t is not None:
        # A domain error: the user did something that cannot happen now; say why.
        await _tell(event, bot, chat_id, t.plain(error.key), t(error.key))
        return
    log.exception("update %s failed", event.update.update_id, exc_info=error)
    if t is not None:
        await _tell(event, bot, chat_id, t.plain("errors.generic"), t("errors.generic"))


def setup() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router


async def _tell(event: ErrorEvent, bot: Bot, chat_id: int | None, alert: str, text: Html) -> None:
    """Answer the button with an alert, or the message with a reply (best effort)."""
    query = event.update.callback_query
    try:
        if query is not None:
            await query.answer(alert, show_alert=True)
        elif event.update.message is not None:
            # answer() keeps the reply in the message's forum topic, if any.
            await event.update.message.answer(text)
    except Exception:  # the reply is best effort; the original error is already handled
        log.warning("could not tell chat %s about an error", chat_id, exc_info=True)
