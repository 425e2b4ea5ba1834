"""People and chats around the offline Telegram: they send updates into the real dispatcher.

``World`` owns a FakeTelegram, a Bot talking to it through FakeSession, and the dispatcher
under test (the one ``create_dispatcher`` builds). Actors do what users do::

    alice = world.user("Alice", language_code="ru")
    await alice.send("/topics")
    await alice.tap("☢️ Семипалатинский полигон")
    await bob.answer_poll(poll_message, 2)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.clock import FakeClock
from bot.offline.records import Request, StoredMessage, administrator_rights
from bot.offline.telegram import FakeTelegram

GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


class NoSuchButton(LookupError):
    pass


@dataclass(eq=False)  # identity semantics: actors are dict keys in World.group()
class Actor:
    world: World
    user: dict[str, Any]
    private: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.private = {
            "id": self.user["id"],
            "type": "private",
            "first_name": self.user["first_name"],
        }
        self.world.telegram.add_chat(self.private)

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def _message(self, chat: dict[str, Any] | None, **content: Any) -> dict[str, Any]:
        chat = chat or self.private
        return {
            "message_id": self.world.next_message_id(chat["id"]),
            "date": int(self.world.telegram.clock.now().timestamp()),
            "chat": chat,
            "from": self.user,
            **content,
        }

    async def send(self, text: str, chat: dict[str, Any] | None = None) -> list[Request]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self.world.feed({"message": self._message(chat, **content)})

    async def send_as_group(self, text: str, chat: dict[str, Any]) -> list[Request]:
        """An anonymous administrator posting on behalf of the group."""
        message = self._message(chat, text=text, sender_chat=chat)
        message["from"] = GROUP_ANONYMOUS_BOT
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self.world.feed({"message": message})

    async def send_sticker(self, chat: dict[str, Any] | None = None) -> list[Request]:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "usticker-1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self.world.feed({"message": self._message(chat, sticker=sticker)})

    async def send_photo(self, chat: dict[str, Any] | None = None) -> list[Request]:
        photo = [{"file_id": "photo-1", "file_unique_id": "uphoto-1", "width": 90, "height": 90}]
        return await self.world.feed({"message": self._message(chat, photo=photo)})

    async def edit(self, text: str, chat: dict[str, Any] | None = None) -> list[Request]:
        message = self._message(
            chat, text=text, edit_date=int(self.world.telegram.clock.now().timestamp())
        )
        return await self.world.feed({"edited_message": message})

    async def tap(
        self,
        button: str,
        chat: dict[str, Any] | None = None,
        message: StoredMessage | None = None,
    ) -> list[Request]:
        """Press the button whose text contains ``button`` on the newest bot message with it
        that this user sees. A disabled button does nothing: no update reaches the bot."""
        chat = chat or self.private
        candidates = [message] if message else reversed(self.world.messages(chat, seen_by=self))
        for candidate in candidates:
            for item in candidate.buttons():
                if button in item["text"] and "disabled" in item:
                    return []
                if button in item["text"] and "callback_data" in item:
                    return await self.press(candidate, item["callback_data"])
        raise NoSuchButton(f"no button {button!r} in chat {chat['id']}")

    async def press(self, message: StoredMessage, data: str) -> list[Request]:
        """Send a callback query with any data (forged or stale data included)."""
        query_id = str(next(self.world.query_ids))
        self.world.telegram.open_callbacks[query_id] = False
        sender = (self.id, message.chat_id, message.message_id)
        self.world.telegram.callback_senders[query_id] = sender
        return await self.world.feed(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user,
                    "chat_instance": f"ci-{message.chat_id}",
                    "message": self.world.telegram.message_payload(message),
                    "data": data,
                }
            }
        )

    async def answer_poll(self, message: StoredMessage, *options: int) -> list[Request]:
        assert message.poll_id is not None, "not a poll"
        poll = self.world.telegram.polls[message.poll_id]
        if poll.closed or self.world.telegram.poll_expired(poll):
            raise AssertionError("Telegram does not accept votes in a closed poll")
        if self.id in poll.answers and not poll.allows_revoting:
            raise AssertionError("this poll does not let a voter change their vote")
        poll.answers[self.id] = list(options)
        return await self.world.feed(
            {
                "poll_answer": {
                    "poll_id": poll.id,
                    "user": self.user,
                    "option_ids": list(options),
                    "option_persistent_ids": [str(option) for option in options],
                }
            }
        )

    async def inline(self, query: str, chat_type: str = "sender") -> list[Request]:
        return await self.world.feed(
            {
                "inline_query": {
                    "id": str(next(self.world.query_ids)),
                    "from": self.user,
                    "query": query,
                    "offset": "",
                    "chat_type": chat_type,
                }
            }
        )

    async def block_bot(self) -> list[Request]:
        self.world.telegram.blocked_by.add(self.id)
        return await self.world.member_update(self.private, self.user, "member", "kicked")

    async def unblock_bot(self) -> list[Request]:
        self.world.telegram.blocked_by.discard(self.id)
        return await self.world.member_update(self.private, self.user, "kicked", "member")


class World:
    def __init__(self, telegram: FakeTelegram, bot: Bot, dispatcher: Dispatcher) -> None:
        self.telegram = telegram
        self.bot = bot
        self.dispatcher = dispatcher
        self._user_ids = itertools.count(100001)
        self._chat_ids = itertools.count(1001)
        self.query_ids = itertools.count(1)
        # A person needs a moment between two taps: tests that click through hundreds of
        # screens set this so the emulator's 30 msg/s limit sees a human pace.
        self.pause_between_updates = timedelta(0)

    def next_message_id(self, chat_id: int) -> int:
        # Users' messages and the bot's share one sequence per chat, as in Telegram.
        return next(self.telegram._message_ids[chat_id])

    def user(self, first_name: str, language_code: str | None = "ru") -> Actor:
        user: dict[str, Any] = {
            "id": next(self._user_ids),
            "is_bot": False,
            "first_name": first_name,
        }
        if language_code is not None:
            user["language_code"] = language_code
        return Actor(self, user)

    def group(
        self,
        title: str,
        members: dict[Actor, str],
        *,
        supergroup: bool = True,
    ) -> dict[str, Any]:
        """A group where ``members`` map actors to "creator" / "administrator" / "member"."""
        number = next(self._chat_ids)
        chat_id = -(1_000_000_000_000 + number) if supergroup else -number
        chat = {"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title}
        self.telegram.add_chat(chat)
        self.telegram.set_member(chat_id, self.telegram.bot_user, "member")
        for actor, status in members.items():
            self.telegram.set_member(chat_id, actor.user, status)
        return chat

    def channel(self, title: str) -> dict[str, Any]:
        chat = {
            "id": -(1_000_000_000_000 + next(self._chat_ids)),
            "type": "channel",
            "title": title,
        }
        self.telegram.add_chat(chat)
        return chat

    def messages(self, chat: dict[str, Any], seen_by: Actor | None = None) -> list[StoredMessage]:
        """The bot's messages in ``chat``, oldest first: what everyone sees, or with
        ``seen_by`` what that user sees (their ephemeral messages too, each in place of the
        message it replaces)."""
        viewer = seen_by.id if seen_by is not None else None
        shown = [
            message
            for (chat_id, _), message in sorted(self.telegram.messages.items())
            if chat_id == chat["id"]
            and not message.deleted
            and message.receiver_id in {None, viewer}
        ]
        replaced = {message.replaces for message in shown if message.replaces is not None}
        return [message for message in shown if message.message_id not in replaced]

    def last(self, chat: dict[str, Any]) -> StoredMessage:
        messages = self.messages(chat)
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {chat['id']}")
        return messages[-1]

    def last_text(self, chat: dict[str, Any]) -> str:
        """The text of the bot's last message in ``chat`` ("" for a poll, photo or document)."""
        return self.last(chat).text or ""

    def polls(self, chat: dict[str, Any]) -> list[StoredMessage]:
        """The bot's polls in ``chat``, oldest first."""
        return [message for message in self.messages(chat) if message.poll_id is not None]

    def last_poll(self, chat: dict[str, Any]) -> StoredMessage:
        polls = self.polls(chat)
        if not polls:
            raise AssertionError(f"the bot has sent no poll to chat {chat['id']}")
        return polls[-1]

    def right_option(self, poll: StoredMessage) -> int:
        """The index of the right answer of a quiz poll, as Telegram knows it."""
        assert poll.poll_id is not None, "not a poll"
        correct = self.telegram.polls[poll.poll_id].correct_option_ids
        assert correct, "not a quiz poll"
        return correct[0]

    async def feed(self, update: dict[str, Any]) -> list[Request]:
        """Deliver one update to the dispatcher; return the Bot API calls it caused."""
        if self.pause_between_updates and isinstance(self.telegram.clock, FakeClock):
            self.telegram.clock.advance(self.pause_between_updates)
        before = len(self.telegram.requests)
        update = {"update_id": self.telegram.next_update_id(), **update}
        await self.dispatcher.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )
        return self.telegram.requests[before:]

    async def member_update(
        self, chat: dict[str, Any], actor_user: dict[str, Any], old: str, new: str
    ) -> list[Request]:
        """The bot's own membership in ``chat`` changes (added, kicked, blocked)."""
        date = int(self.telegram.clock.now().timestamp())
        self.telegram.set_member(chat["id"], self.telegram.bot_user, new)
        return await self.feed(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": actor_user,
                    "date": date,
                    "old_chat_member": _member(self.telegram.bot_user, old),
                    "new_chat_member": _member(self.telegram.bot_user, new),
                }
            }
        )

    async def migrate(self, chat: dict[str, Any], by: Actor) -> dict[str, Any]:
        """Telegram upgrades a group to a supergroup: the old id stops working."""
        new_chat = {
            "id": -(1_000_000_000_000 + -chat["id"]),
            "type": "supergroup",
            "title": chat["title"],
        }
        self.telegram.add_chat(new_chat)
        self.telegram.members[new_chat["id"]] = dict(self.telegram.members[chat["id"]])
        self.telegram.migrated[chat["id"]] = new_chat["id"]
        await self.feed({"message": by._message(chat, migrate_to_chat_id=new_chat["id"])})
        return new_chat


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    if status == "administrator":
        member.update(administrator_rights())
    return member
