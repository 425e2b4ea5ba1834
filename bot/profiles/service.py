"""Who is talking and in which language: chats and users, cached in front of SQLite.

Every update needs its chat's and user's settings; reading them from SQLite each time would
cost two queries per update. The cache holds the rows and is updated on every write made
through this service, which is the only writer of these fields.
"""

from __future__ import annotations

from bot.profiles.types import Chat, User
from bot.telegram.i18n import resolve_language
from content.models import Lang
from storage.cache import Lru
from storage.chats import ChatRepository
from storage.users import UserRepository

CACHE_SIZE = 20_000


class Profiles:
    def __init__(self, chats: ChatRepository, users: UserRepository, default: Lang) -> None:
        self.chats = chats
        self.users = users
        self.default = default
        self._chats: Lru[int, Chat] = Lru(CACHE_SIZE)
        self._users: Lru[int, User] = Lru(CACHE_SIZE)

    async def chat(self, chat_id: int, chat_type: str, title: str | None) -> Chat:
        cached = self._chats.get(chat_id)
        if (
            cached is not None
            and cached.active
            and (cached.type, cached.title) == (chat_type, title)
        ):
            return cached
        chat = await self.chats.seen(chat_id, chat_type, title)
        self._chats.put(chat_id, chat)
        return chat

    async def user(self, user_id: int, telegram_language: str | None) -> User:
        cached = self._users.get(user_id)
        if cached is not None and cached.telegram_language == telegram_language:
            return cached
        user = await self.users.seen(user_id, telegram_language)
        self._users.put(user_id, user)
        return user

    def language(self, chat: Chat | None, user: User | None) -> Lang:
        """Groups speak the chat's language; private chats the user's choice, then Telegram's."""
        if chat is not None and chat.type != "private":
            return chat.language or self.default
        if user is not None:
            return user.language or resolve_language(user.telegram_language, self.default)
        return self.default

    async def chat_language(self, chat: Chat) -> Lang:
        """The language to write in when no update is at hand (reminders): in a private chat,
        the user's (the chat id is the user id)."""
        user = await self.users.get(chat.id) if chat.type == "private" else None
        return self.language(chat, user)

    async def set_language(self, chat: Chat, user: User | None, language: Lang) -> None:
        if chat.type == "private" and user is not None:
            await self.users.set_language(user.id, language)
            self._users.drop(user.id)
        else:
            await self.chats.set_language(chat.id, language)
            self._chats.drop(chat.id)

    async def set_timezone(self, chat_id: int, timezone: str) -> None:
        await self.chats.set_timezone(chat_id, timezone)
        self._chats.drop(chat_id)

    async def set_active(self, chat_id: int, active: bool) -> None:
        await self.chats.set_active(chat_id, active)
        self._chats.drop(chat_id)

    async def migrate(self, old_id: int, new_id: int) -> None:
        await self.chats.migrate(old_id, new_id)
        self._chats.drop(old_id)
        self._chats.drop(new_id)
