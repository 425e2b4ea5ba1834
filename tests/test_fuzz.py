"""Property-based fuzzing: any update Telegram can deliver goes through the real dispatcher.

Each Hypothesis example builds a fresh world (as tests/conftest.py does), warms it up with a
few real screens (a menu, a private quiz poll, subscriptions, a group lobby) and then plays a
random sequence of updates: messages and commands with odd arguments, text and entities,
presses of real, mutated and forged buttons on the bot's own messages (also as inaccessible
messages), poll answers, inline queries, edits, channel posts, membership changes, a group
migration, and the scheduler's jobs with time passing.

Properties, checked after every example:

* no exception escapes ``Dispatcher.feed_update`` (or the quiz/reminder jobs);
* every callback query is answered;
* ``telegram.violations`` stays empty: every Bot API call passed the fake's limit checks;
* the errors router never had to catch an unexpected exception: no "something went wrong"
  reply, and no warning or error logged by the bot (a 429 being waited out aside). A domain
  refusal (``UserFacingError``: an expired button, an unknown topic...) is a correct answer.

Bugs found here stay fixed through the plain regression tests at the end of the file.

pytest-asyncio fixtures do not mix with ``@given``: each example runs its own event loop.
Examples are derandomized (the same on every run); ``NWFZ_FUZZ_EXAMPLES=600 pytest
tests/test_fuzz.py -k any_`` explores with a fresh seed. ``database=None`` keeps Hypothesis
from writing a ``.hypothesis`` folder into the repository.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.clock import FakeClock
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.offline.world import GROUP_ANONYMOUS_BOT, Actor, World
from bot.telegram.i18n import Translator
from content.loader import DATA_DIR, Catalog, load_catalog
from content.models import LANGS
from tests.vocabulary import start_group_game

T = TypeVar("T")
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
# The conftest's content fixture, loaded here: a pytest fixture argument next to st.data() made
# Hypothesis report FlakyStrategyDefinition as soon as an example failed.
CATALOG = load_catalog(Path(__file__).parent / "fixtures" / "content", ui_root=DATA_DIR / "ui")

# derandomize: the same examples on every run, so CI is reproducible; no shrinking, which takes
# minutes at ~0.1 s an example (the failing example's draws are printed with their labels).
# NWFZ_FUZZ_EXAMPLES=2000 explores with a fresh random seed and that many examples per test.
EXPLORE = int(os.environ.get("NWFZ_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXPLORE or 50,
    deadline=None,
    database=None,
    derandomize=not EXPLORE,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def examples(count: int) -> settings:
    return settings(FUZZ, max_examples=EXPLORE or count)


# ---- strategies --------------------------------------------------------------------------------

CONTROL = (
    "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x7f\x85\xa0\u200b\u200c\u200d\u200e\u200f"
    "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\ufffc\ufffd"
)
SPECIAL = [
    "<b>", "</b>", "<", ">", "&", "&amp;", "&lt;", "&#0;", "&#x110000;", "&nbsp;",
    '<a href="tg://user?id=1">', "<tg-spoiler>", "<script>", '"', "'", "\\", "{}", "{0}",
    "{name}", "{query}", "%s", "%(x)s", "שלום", "مرحبا بالعالم", "🇰🇿", "👨‍👩‍👧‍👦", "🏳️‍🌈",
    "ǅ", "İ", "ß", "ﬃ", "\u0301", "ﷺ", "😀", "Семей", "полигон", "ядерный", "Қазақстан",
    "canwfz", "semipalatinsk", "quiz", "subscribe", "_en", "_kk", "-", "@nwfz_test_bot",
    "@other_bot", "/", "//", "/start", "/help", " ", "\n", "1", "-1", "0", "20", "99",
]  # fmt: skip
COMMANDS = [
    "start", "help", "about", "sources", "topics", "fact", "timeline", "glossary", "search",
    "quiz", "stop", "top", "stats", "subscribe", "unsubscribe", "reminders", "dates",
    "calendar", "language", "admin", "settings", "cancel", "x", "START", "Quiz", "старт",
    "a" * 40,
    # the commands that parse their arguments, once more
    "start", "dates", "reminders", "quiz", "search", "glossary",
]  # fmt: skip
MENTIONS = ["", "", "", "@nwfz_test_bot", "@NWFZ_Test_Bot", "@other_bot", "@"]
PAYLOADS = [
    "canwfz", "semipalatinsk", "canwfz_en", "canwfz_kk", "canwfz_ru", "canwfz_de", "quiz",
    "quiz_en", "quiz-canwfz", "quiz-canwfz_kk", "quiz-atlantis", "quiz-", "quiz--x",
    "subscribe", "subscribe_ru", "subscribe-x", "_en", "_", "-", "a_b_ru", "no-such-topic",
    "CANWFZ", "x" * 64, "x" * 65,
]  # fmt: skip
# Numbers as a user or a forged button may spell them (int("²") raises although "²".isdigit()).
NUMBERS = [
    "0", "1", "5", "20", "21", "-1", "-0", "+1", " 3", "3 ", "1.5", "1e3", "0x10", "1_0",
    "٣", "²", "99999999999999999999", str(2**63), str(-(2**63) - 1), "", "NaN",
]  # fmt: skip
ZONES = [
    "Europe/Berlin", "Asia/Almaty", "UTC", "utc", "Etc/GMT+5", "localtime", "Factory",
    "posixrules", "../../etc/passwd", "Asia/Qyzylorda", "America/Argentina/ComodRivadavia",
]  # fmt: skip
LANGUAGE_CODES = ["ru", "en", "kk", "de", "en-US", "KK", "zh-hans", "", None]

# Digits as Unicode has them: str.isdigit() is true for all of these, int() accepts only some.
DIGITISH = "0123456789²³¹⁰₂①٣۵߄१൬๓１-+ _."
numbers = st.one_of(
    st.sampled_from(NUMBERS),
    st.integers(-(2**70), 2**70).map(str),
    st.text(st.sampled_from(DIGITISH), min_size=1, max_size=6),
)
fragments = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=24),
    st.sampled_from(SPECIAL),
    numbers,
    st.text(st.sampled_from(CONTROL), min_size=1, max_size=4),
)
short_texts = st.lists(fragments, max_size=6).map("".join)
huge_texts = st.builds(
    lambda piece, size: (piece * (size // len(piece) + 1))[:size],
    fragments.filter(bool),
    st.integers(200, 4096),
)
texts = st.one_of(short_texts, short_texts, huge_texts)
payloads = st.one_of(
    st.sampled_from(PAYLOADS),
    st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["", "quiz-", "quiz", "subscribe"]),
        st.sampled_from(["", "canwfz", "semipalatinsk", "atlantis", "x-y"]),
        st.sampled_from(["", "_en", "_kk", "_ru", "_de", "_"]),
    ),
)
# Each command gets the arguments it parses, and sometimes anything at all.
ARGUMENTS: dict[str, st.SearchStrategy[str]] = {
    "start": payloads,
    "dates": numbers,
    "reminders": st.one_of(st.sampled_from(ZONES), texts),
    "quiz": st.one_of(st.sampled_from(["canwfz", "CANWFZ", "semipalatinsk", "atlantis"]), texts),
    "search": texts,
    "glossary": st.one_of(st.sampled_from(["МАГАТЭ", "IAEA", "ДВЗЯИ", "zone"]), texts),
}
arguments = st.one_of(texts, payloads, numbers, st.sampled_from(ZONES))


@st.composite
def commands(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(COMMANDS))
    mention = draw(st.sampled_from(MENTIONS))
    args = draw(st.one_of(st.just(""), ARGUMENTS.get(name, arguments), arguments))
    separator = draw(st.sampled_from([" ", " ", "\n", "  ", "\t", ""])) if args else ""
    return f"/{name}{mention}{separator}{args}"


message_texts = st.one_of(commands(), commands(), texts)
ENTITY_TYPES = [
    "bot_command", "bot_command", "mention", "hashtag", "cashtag", "url", "email", "bold",
    "italic", "code", "spoiler", "phone_number", "underline", "strikethrough", "blockquote",
]  # fmt: skip
random_entities = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(ENTITY_TYPES),
            "offset": st.integers(0, 5000),
            "length": st.integers(0, 5000),
        }
    ),
    max_size=4,
)
entity_kinds = st.sampled_from(["auto", "auto", "none", "random"])

# Packed data of the bot's real buttons (some screens are edited away by the warm-up).
SEEDS = [
    "m:topics", "m:fact", "m:timeline", "m:glossary", "m:sources", "m:search", "m:help",
    "tp:canwfz:-1", "tp:canwfz:0", "tp:canwfz:99", "tp:semipalatinsk:1", "fa:", "fa:canwfz",
    "tl:0", "tl:1", "gl:0", "gl:1", "lang:en", "lang:ru", "lang:kk", "qm::-1", "qm:canwfz:-1",
    "qm::0", "qm:canwfz:3", "qz:again:1:", "qz:review:1:", "qz:missed:1:", "qz:join:2:",
    "qz:start:2:", "qz:resume:2:", "qz:cancel:2:", "qz:topic:2:", "qz:level:2:", "qz:size:2:",
    "qz:secs:2:", "qz:priv:2:", "qz:join:999999", "qa:1:0:0", "qa:1:2:3", "rm:hour:9",
    "rm:hour:x", "rm:lead:1", "rm:lead:0", "rm:scope:all", "rm:topic:canwfz", "rm:topics:",
    "rm:tz:UTC", "rm:back:", "rm:off:", "pic:timeline",
]  # fmt: skip
tokens = st.one_of(
    numbers,
    st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
    st.sampled_from(["canwfz", "atlantis", "join", "start", "timeline", "en", "xx", ":", ""]),
)


def _fits(data: str) -> bool:
    return 0 < len(data.encode()) <= 64


topic_ids = st.one_of(
    st.sampled_from(["canwfz", "semipalatinsk", "", "atlantis", "CANWFZ", "canwfz "]), tokens
)
rounds = st.one_of(st.sampled_from(["1", "2", "3"]), numbers)
# Field by field, what each callback factory of bot/callbacks.py would parse.
FORGED_FIELDS: dict[str, list[st.SearchStrategy[str]]] = {
    "m": [st.sampled_from(["topics", "fact", "timeline", "glossary", "sources", "search",
                           "help", "x"])],
    "tp": [topic_ids, numbers],
    "fa": [topic_ids],
    "tl": [numbers],
    "gl": [numbers],
    "lang": [st.sampled_from(["ru", "en", "kk", "de", "", "RU"])],
    "qm": [topic_ids, numbers],
    "qz": [st.sampled_from(["again", "review", "missed", "join", "start", "resume", "cancel",
                            "topic", "level", "size", "secs", "priv", "x"]), rounds, tokens],
    "qa": [rounds, numbers, numbers],
    "rm": [st.sampled_from(["scope", "topic", "lead", "hour", "tz", "topics", "back", "off",
                            "x"]),
           st.one_of(numbers, topic_ids, st.sampled_from([*ZONES, "key", "all", "topics"]))],
    "pic": [st.sampled_from(["timeline", "x", ""])],
}  # fmt: skip


@st.composite
def forged(draw: st.DrawFn) -> str:
    """Well-formed callback data of a real kind with hostile values (MTProto clients can send
    any data on any of the bot's messages)."""
    prefix = draw(st.sampled_from(sorted(FORGED_FIELDS)))
    values = [draw(field) for field in FORGED_FIELDS[prefix]]
    data = ":".join([prefix, *values])
    return data if _fits(data) else prefix


@st.composite
def mutated(draw: st.DrawFn, base: str) -> str:
    """Replace, drop or add a field, or cut the data short. Positions are drawn from fixed
    ranges, so the choices Hypothesis records never depend on the world's state."""
    parts = base.split(":")
    how = draw(st.sampled_from(["replace", "replace", "drop", "add", "truncate"]))
    position = draw(st.integers(0, 7))
    if how == "replace":
        parts[position % len(parts)] = draw(tokens)
    elif how == "drop" and len(parts) > 1:
        del parts[position % len(parts)]
    elif how == "add":
        parts.insert(position % (len(parts) + 1), draw(tokens))
    elif how == "truncate":
        return base[: max(1, draw(st.integers(1, 64)) % (len(base) + 1))]
    data = ":".join(parts)
    return data if _fits(data) else base


random_data = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=64).filter(
    _fits
)


def pick(draw: Callable[[st.SearchStrategy[Any], str], Any], items: Sequence[T], label: str) -> T:
    """An item of a list that depends on the world (messages, polls, buttons): an index from a
    fixed range, so replaying an example draws the same choices whatever the list holds."""
    return items[draw(st.integers(0, 255), label) % len(items)]


# ---- the world under test ----------------------------------------------------------------------

ERROR_LOGGERS = ("handlers", "bot", "aiogram", "storage", "content")


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in ERROR_LOGGERS:
            self.records.append(record)


class Harness:
    """One fresh bot, its fake Telegram and the people around it, for one example."""

    def __init__(self, catalog: Catalog, data: st.DataObject) -> None:
        self.catalog = catalog
        self.data = data
        self.clock = FakeClock(START)
        self.telegram = FakeTelegram(self.clock)
        self.logs = Collect()
        self.services: Services
        self.world: World
        self.generic = {Translator(catalog.ui, lang).plain("errors.generic") for lang in LANGS} | {
            "something went wrong",
            "что-то пошло не так",
        }

    async def __aenter__(self) -> Harness:
        settings_ = Settings(_env_file=None, bot_token=None, bot_admin_ids=frozenset({424242}))
        self.services = await create_services(
            settings_, self.clock, catalog=self.catalog, database=":memory:",
            rng=random.Random(7),
        )  # fmt: skip
        self.world = offline_world(self.telegram, self.services)
        logging.getLogger().addHandler(self.logs)
        return self

    async def __aexit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self.logs)
        await self.world.bot.session.close()
        await self.services.close()

    def draw(self, strategy: st.SearchStrategy[Any], label: str) -> Any:
        return self.data.draw(strategy, label=label)

    async def populate(self) -> None:
        world = self.world
        # People tap at a human pace; at 4 updates a second a user meets the flood control.
        pace = self.draw(st.sampled_from([1.0, 1.0, 0.25]), "seconds between updates")
        world.pause_between_updates = timedelta(seconds=pace)
        name = self.draw(
            st.one_of(st.just("Alice"), st.text(min_size=1, max_size=64).filter(str.strip)),
            "alice's first_name",
        )
        self.alice = world.user(name, self.draw(st.sampled_from(LANGUAGE_CODES), "alice lang"))
        self.bob = world.user("Bob", "ru")
        self.carol = world.user("Carol", "en")  # reads the public group without joining
        self.group = world.group(
            "Delegates", {self.alice: "creator", self.bob: "member", self.carol: "left"}
        )
        # Telegram answers getChatMember with "left" for a user who is not in the chat (the
        # fake says "user not found" for people it has never seen): everyone is listed.
        self.basic = world.group(
            "Old school",
            {self.alice: "creator", self.bob: "member", self.carol: "left"},
            supergroup=False,
        )
        self.channel = world.channel("News")
        self.telegram.set_member(self.channel["id"], self.telegram.bot_user, "administrator")
        # Real screens with real buttons to press: a menu, a quiz poll, settings, a lobby.
        await self.alice.send("/start")
        await self.alice.send("/quiz canwfz")
        await self.bob.send("/subscribe")
        await self.alice.send("/quiz", chat=self.group)
        await self.alice.send("/subscribe", chat=self.group)

    # ---- helpers ----

    def chats(self) -> list[dict[str, Any]]:
        return [self.alice.private, self.bob.private, self.group, self.basic]

    def bot_left(self, chat: dict[str, Any]) -> bool:
        me = self.telegram.members[chat["id"]].get(self.telegram.bot_user["id"])
        return me is not None and me.status in {"left", "kicked"}

    async def reachable(self, chat: dict[str, Any], actor: Actor) -> None:
        """Telegram delivers nothing from a chat the bot has left, and a user who writes to a
        bot they blocked unblocks it first: restore the bot's presence before a step."""
        if chat["type"] == "private" and actor.id in self.telegram.blocked_by:
            await actor.unblock_bot()
        elif chat["type"] != "private" and self.bot_left(chat):
            old = self.telegram.members[chat["id"]][self.telegram.bot_user["id"]].status
            await self.world.member_update(chat, self.alice.user, old, "member")

    def speaker(self, chat: dict[str, Any]) -> Actor:
        if chat is self.bob.private:
            return self.bob
        if chat is self.alice.private or chat is self.basic:
            return self.alice
        return self.draw(st.sampled_from([self.alice, self.bob]), "speaker")

    def message(
        self, chat: dict[str, Any], actor: Actor, who: str, **content: Any
    ) -> dict[str, Any]:
        message = actor._message(chat, **content)
        if who == "anonymous admin":
            message["from"] = GROUP_ANONYMOUS_BOT
            message["sender_chat"] = chat
        elif who == "no from":
            del message["from"]
        return message

    def entities(self, text: str) -> list[dict[str, Any]] | None:
        kind = self.draw(entity_kinds, "entities")
        if kind == "none":
            return None
        if kind == "random":
            return list(self.draw(random_entities, "random entities"))
        if not text.startswith("/"):
            return None
        return [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}]

    # ---- steps ----

    async def step_message(self) -> None:
        chat = self.draw(st.sampled_from(self.chats()), "chat")
        actor = self.speaker(chat)
        await self.reachable(chat, actor)
        who = "user"
        if chat["type"] != "private":
            who = self.draw(st.sampled_from(["user", "user", "anonymous admin", "no from"]), "who")
        text = self.draw(message_texts, "text")
        content: dict[str, Any] = {"text": text}
        if (entities := self.entities(text)) is not None:
            content["entities"] = entities
        await self.world.feed({"message": self.message(chat, actor, who, **content)})

    async def step_no_text(self) -> None:
        chat = self.draw(st.sampled_from(self.chats()), "chat")
        actor = self.speaker(chat)
        await self.reachable(chat, actor)
        who = self.draw(st.sampled_from(["user", "no from"]), "who")
        kind = self.draw(
            st.sampled_from(["bare", "caption", "sticker", "photo", "location", "joined"]),
            "content",
        )
        content: dict[str, Any] = {}
        if kind == "caption":
            photo = [{"file_id": "p", "file_unique_id": "up", "width": 9, "height": 9}]
            content = {"photo": photo, "caption": self.draw(message_texts, "caption")}
        elif kind == "sticker":
            await actor.send_sticker(chat)
            return
        elif kind == "photo":
            await actor.send_photo(chat)
            return
        elif kind == "location":
            content = {"location": {"latitude": 50.4, "longitude": 80.2}}
        elif kind == "joined" and chat["type"] != "private":
            content = {"new_chat_members": [self.bob.user]}
        await self.world.feed({"message": self.message(chat, actor, who, **content)})

    async def step_edit(self) -> None:
        chat = self.draw(st.sampled_from(self.chats()), "chat")
        actor = self.speaker(chat)
        await self.reachable(chat, actor)
        await actor.edit(self.draw(message_texts, "edited text"), chat=chat)

    async def step_channel_post(self) -> None:
        text = self.draw(message_texts, "channel post")
        post = {
            "message_id": self.world.next_message_id(self.channel["id"]),
            "date": int(self.clock.now().timestamp()),
            "chat": self.channel,
            "sender_chat": self.channel,
            "text": text,
        }
        if (entities := self.entities(text)) is not None:
            post["entities"] = entities
        kind = self.draw(st.sampled_from(["channel_post", "edited_channel_post"]), "kind")
        if kind == "edited_channel_post":
            post["edit_date"] = post["date"]
        await self.world.feed({kind: post})

    def callback_data(self, real: list[str]) -> str | None:
        source = self.draw(
            st.sampled_from(["real", "forged", "forged", "mutated", "random", "none"]), "data from"
        )
        if source == "real":  # the bot's own button: a double tap, a press after a change
            return pick(self.draw, real or SEEDS, "button")
        if source == "forged":
            return str(self.draw(forged(), "forged data"))
        if source == "mutated":
            base = pick(self.draw, real + SEEDS, "base")
            return str(self.draw(mutated(base), "mutated data"))
        if source == "random":
            return str(self.draw(random_data, "random data"))
        return None  # a game button: no data at all

    async def step_press(self) -> None:
        chat = self.draw(st.sampled_from(self.chats()), "chat")
        index = self.draw(st.integers(0, 255), "message")
        presser = self.draw(st.sampled_from([self.alice, self.bob, self.carol]), "presser")
        where = self.draw(st.sampled_from(["message", "message", "inaccessible"]), "where")
        if chat["type"] == "private":  # only the chat's owner sees a private chat
            presser = self.alice if chat is self.alice.private else self.bob
        messages = self.world.messages(chat)
        message = messages[index % len(messages)] if messages else None
        buttons = message.buttons() if message else []
        real = [b["callback_data"] for b in buttons if "callback_data" in b]
        data = self.callback_data(real)
        if message is None:
            return
        await self.reachable(chat, presser if chat["type"] == "private" else self.alice)
        if where == "message":
            payload = self.telegram.message_payload(message)
        else:  # older than 48 hours: Telegram sends an InaccessibleMessage
            payload = {"chat": chat, "message_id": message.message_id, "date": 0}
        query_id = str(next(self.world.query_ids))
        query: dict[str, Any] = {
            "id": query_id,
            "from": presser.user,
            "chat_instance": f"ci-{chat['id']}",
            "message": payload,
        }
        if data is not None:
            query["data"] = data
        self.telegram.open_callbacks[query_id] = False
        await self.world.feed({"callback_query": query})

    async def step_poll_answer(self) -> None:
        real = self.draw(st.booleans(), "a real poll")
        index = self.draw(st.integers(0, 255), "poll")
        option = self.draw(st.integers(0, 11), "option")
        retract = self.draw(st.booleans(), "retracted vote")
        poll_id = self.draw(
            st.one_of(
                st.integers(0, 2**64).map(str),
                st.text(min_size=1, max_size=40),
                st.just("b1:0"),  # the id the bot gives a question in private answering mode
            ),
            "random poll id",
        )
        options = self.draw(st.lists(st.integers(0, 20), max_size=4), "random option_ids")
        polls = list(self.telegram.polls.values())
        if real and polls:
            poll = polls[index % len(polls)]
            poll_id = poll.id
            options = [] if retract else [option % len(poll.options)]
        answer: dict[str, Any] = {
            "poll_id": poll_id,
            "option_ids": options,
            "option_persistent_ids": [str(option) for option in options],
        }
        voter = self.draw(st.sampled_from(["alice", "bob", "carol", "chat"]), "voter")
        if voter == "chat":
            answer["voter_chat"] = self.group
        else:
            answer["user"] = getattr(self, voter).user
            if answer["user"]["id"] in self.telegram.blocked_by:
                return  # test_bug_poll_answer_from_a_user_who_blocked_the_bot
        await self.world.feed({"poll_answer": answer})

    async def step_inline(self) -> None:
        actor = self.draw(st.sampled_from([self.alice, self.bob, self.carol]), "inline user")
        query: dict[str, Any] = {
            "id": str(next(self.world.query_ids)),
            "from": actor.user,
            "query": self.draw(st.one_of(short_texts, huge_texts.map(lambda s: s[:256])), "q"),
            "offset": self.draw(st.sampled_from(["", "10", "x"]), "offset"),
        }
        chat_type = self.draw(
            st.sampled_from([None, "sender", "private", "group", "supergroup", "channel"]),
            "chat_type",
        )
        if chat_type is not None:
            query["chat_type"] = chat_type
        await self.world.feed({"inline_query": query})

    async def step_membership(self) -> None:
        target = self.draw(st.sampled_from(["private", "group", "basic", "channel"]), "where")
        if target == "private":
            if self.alice.id in self.telegram.blocked_by:
                await self.alice.unblock_bot()
            else:
                await self.alice.block_bot()
            return
        chat = {"group": self.group, "basic": self.basic, "channel": self.channel}[target]
        statuses = st.sampled_from(["member", "administrator", "left", "kicked"])
        old, new = self.draw(statuses, "old status"), self.draw(statuses, "new status")
        await self.world.member_update(chat, self.alice.user, old, new)

    async def step_migrate(self) -> None:
        """The basic group becomes a supergroup; Telegram may deliver the service messages
        twice, and the new supergroup's first message says where it came from."""
        redelivered = self.draw(st.booleans(), "redelivered")
        if self.basic["type"] == "group":
            await self.reachable(self.basic, self.alice)
            old = self.basic
            self.basic = await self.world.migrate(old, by=self.alice)
            if redelivered:
                message = self.alice._message(old, migrate_to_chat_id=self.basic["id"])
                await self.world.feed({"message": message})
            message = self.alice._message(self.basic, migrate_from_chat_id=old["id"])
            await self.world.feed({"message": message})

    async def step_time(self) -> None:
        """Time passes and the scheduler's jobs run (quiz timers, reminders)."""
        seconds = self.draw(st.sampled_from([1, 10, 31, 65, 600, 3600, 86400]), "seconds")
        self.clock.advance(seconds=seconds)
        if not any(self.bot_left(chat) for chat in (self.group, self.basic)):
            # test_bug_a_game_in_a_group_that_removed_the_bot_is_retried_forever
            await self.services.quiz.tick(self.world.bot)
        await self.services.reminders.plan_due()
        await self.services.reminders.drain(self.world.bot)

    # ---- the property ----

    def problems(self) -> list[str]:
        found = [f"violation: {v}" for v in self.telegram.violations]
        found += [
            f"callback query {query} never answered"
            for query, answered in self.telegram.open_callbacks.items()
            if not answered
        ]
        found += [
            f"log {r.levelname} {r.name}: {r.getMessage()} {r.exc_info[1]!r}"
            if r.exc_info
            else f"log {r.levelname} {r.name}: {r.getMessage()}"
            for r in self.logs.records
            if not r.getMessage().startswith("429 on ")
        ]
        for request in self.telegram.requests:
            shown = str(request.params.get("text") or request.params.get("caption") or "")
            if any(generic.lower() in shown.lower() for generic in self.generic):
                found.append(f"generic error reply: {request.method} {shown!r}")
        return found


STEPS: dict[str, Callable[[Harness], Awaitable[None]]] = {
    "message": Harness.step_message,
    "press": Harness.step_press,
    "poll_answer": Harness.step_poll_answer,
    "inline": Harness.step_inline,
    "edit": Harness.step_edit,
    "channel_post": Harness.step_channel_post,
    "no_text": Harness.step_no_text,
    "membership": Harness.step_membership,
    "migrate": Harness.step_migrate,
    "time": Harness.step_time,
}


def play(data: st.DataObject, kinds: list[str], steps: tuple[int, int]) -> None:
    async def main() -> None:
        async with Harness(CATALOG, data) as harness:
            await harness.populate()
            count = harness.draw(st.integers(*steps), "steps")
            for _ in range(count):
                kind = harness.draw(st.sampled_from(kinds), "step")
                await STEPS[kind](harness)
            problems = harness.problems()
            assert not problems, "\n".join(problems)

    asyncio.run(main())


# ---- properties --------------------------------------------------------------------------------


# A fresh world costs ~0.1 s (the dispatcher's routers, the warm-up) and an update a few ms:
# fewer examples with more updates each keep the file at ~15 s.
@examples(30)
@given(data=st.data())
def test_any_message_or_command_is_handled(data: st.DataObject) -> None:
    kinds = ["message", "message", "message", "edit", "no_text", "channel_post", "inline"]
    play(data, kinds, (3, 14))


@examples(30)
@given(data=st.data())
def test_any_button_press_is_answered(data: st.DataObject) -> None:
    play(data, ["press", "press", "press", "message", "poll_answer"], (3, 14))


@examples(25)
@given(data=st.data())
def test_any_mix_of_updates_and_jobs(data: st.DataObject) -> None:
    play(data, [*STEPS, "press", "press", "message"], (4, 18))


# ---- bugs found by fuzzing, fixed: each keeps its example -------------------------------------
# (async tests with the conftest fixtures; the world fixture also checks callbacks and limits)

GENERIC = "Sorry, something went wrong"
EXPIRED = "This button has expired"


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_fuzz_found_dates_with_a_superscript_digit(world: World) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/dates ²")
    reply = world.last_text(alice.private)
    assert GENERIC not in reply
    assert "1 to 20" in reply, "the usage hint, as for /dates 99"


@pytest.mark.parametrize("data", ["rm:hour:²", "rm:lead:²", "rm:hour:-³"])
async def test_fuzz_found_reminder_value_with_a_superscript_digit(world: World, data: str) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/subscribe")
    requests = await alice.press(world.last(alice.private), data)
    [answer] = [r for r in requests if r.method == "answerCallbackQuery"]
    assert str(answer.params.get("text")).startswith(EXPIRED)


@pytest.mark.parametrize(
    "data",
    [
        "qz:join:99999999999999999999:",
        "qz:again:9223372036854775808:",
        "qz:priv:-9223372036854775809:",
        "qa:99999999999999999999:0:0",
    ],
)
async def test_fuzz_found_quiz_button_with_an_out_of_range_round(world: World, data: str) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/start")
    requests = await alice.press(world.last(alice.private), data)
    [answer] = [r for r in requests if r.method == "answerCallbackQuery"]
    assert str(answer.params.get("text")).startswith(EXPIRED)


async def test_fuzz_found_poll_answer_from_a_user_who_blocked_the_bot(
    world: World, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    alice = world.user("Alice", "en")
    await alice.send("/quiz canwfz")
    poll = world.last(alice.private)
    await alice.block_bot()
    await alice.answer_poll(poll, 0)
    assert _errors(caplog) == []
    chat = await services.profiles.chats.get(alice.private["id"])
    assert chat is not None and not chat.active, "the chat that refused is marked inactive"


async def test_fuzz_found_a_game_in_a_group_that_removed_the_bot_is_retried_forever(
    world: World, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    group = world.group("Delegates", {alice: "creator", bob: "member"})
    await start_group_game(group, alice, bob)
    assert world.last(group).poll_id is not None
    await world.member_update(group, alice.user, "member", "kicked")
    assert isinstance(services.clock, FakeClock)
    for _ in range(6):
        services.clock.advance(minutes=1)
        await services.quiz.tick(world.bot)
    refused = [r for r in world.telegram.requests if r.error and "kicked" in r.error]
    assert len(refused) <= 1, f"{len(refused)} questions sent to a group that removed the bot"
    assert _errors(caplog) == []
