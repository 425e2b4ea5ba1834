"""``python -m bot demo``: chat with the real bot in a terminal, with no token and no network.

The real dispatcher, storage and content run against the offline Telegram. Bot messages are
printed as text; inline buttons and poll options are numbered: type ``#2`` to press button 2
(or vote for option 2 in the last poll). ``:help`` lists the demo's own commands.
"""

from __future__ import annotations

import asyncio
import html
import sys
from typing import Any, TextIO

from bot.app.config import Settings
from bot.app.container import create_services
from bot.app.runner import emit_shutdown, emit_startup
from bot.clock import SystemClock
from bot.offline.records import StoredMessage
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.offline.world import Actor, World
from bot.quiz.service import QuizService
from bot.telegram.i18n import resolve_language
from bot.telegram.parsing import parse_number

DEMO_HELP = """Demo commands:
  any text          send it to the bot (e.g. /start, /topics, полигон)
  #N                press button N of the last message (or vote for option N of the last poll);
                    a share button shows the card it offers, a t.me link under it is followed
  :group            talk in a group chat where you are the admin (Bob is a member)
  :private          back to your private chat with the bot
  :as bob           speak as Bob (:as me to switch back)
  :lang ru|en|kk    your Telegram app language (before you pick one with /language)
  :pictures         a practice round of picture questions ("which event is marked?")
  :help             this help
  :quit             leave the demo"""


class Demo:
    def __init__(self, world: World, out: TextIO) -> None:
        self.world = world
        self.out = out
        self.me = world.user("You", "en")
        self.bob = world.user("Bob", "ru")
        self.group = world.group("Demo group", {self.me: "creator", self.bob: "member"})
        self.speaker: Actor = self.me
        self.chat = self.me.private
        self._seen: dict[tuple[int, int], str] = {}
        self.card: dict[str, Any] = {}  # the last quiz card a share button offered

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def render(self, message: StoredMessage) -> str:
        lines: list[str] = []
        if message.text is not None:
            lines.append(message.text)
        if message.poll_id is not None:
            poll = self.world.telegram.polls[message.poll_id]
            state = "closed" if poll.closed or self.world.telegram.poll_expired(poll) else "open"
            lines.append(f"📊 {poll.question}  [{poll.type}, {state}]")
            if poll.photo is not None:  # a terminal cannot show it; the tests look at it
                lines.append(f"   🖼 the timeline picture ({len(poll.photo)} bytes)")
            if poll.description:
                lines += [f"   {line}" for line in poll.description.splitlines()]
            lines += [f"   #{i + 1} {option}" for i, option in enumerate(poll.options)]
        if message.document is not None:
            name, data = message.document
            lines.append(f"📎 document {name} ({len(data)} bytes)")
        if message.photo is not None:
            lines.append(f"🖼 photo ({len(message.photo)} bytes)")
        if message.caption:
            lines.append(message.caption)
        buttons = message.buttons()
        if buttons:
            lines.append("  ".join(f"[#{i + 1} {_label(b)}]" for i, b in enumerate(buttons)))
        return "\n".join(lines)

    def show_new(self) -> None:
        for message in self.world.messages(self.chat, seen_by=self.speaker):
            key = (message.chat_id, message.message_id)
            rendered = self.render(message)
            if self._seen.get(key) == rendered:
                continue
            marker = "✏️ (edited)" if key in self._seen else "🤖"
            if message.receiver_id is not None:
                marker = "🔒 (only you see this)"
            self._seen[key] = rendered
            self.print(f"{marker} {rendered}\n")
        for request in self.world.telegram.requests[-5:]:
            if request.method == "answerCallbackQuery" and request.params.get("text"):
                self.print(f"💬 {request.params['text']}\n")
                request.params["text"] = ""  # shown once

    async def press(self, number: int) -> None:
        messages = self.world.messages(self.chat, seen_by=self.speaker)
        for message in reversed(messages):
            if message.poll_id is not None and not message.buttons():
                poll = self.world.telegram.polls[message.poll_id]
                if not 1 <= number <= len(poll.options) or self.speaker.id in poll.answers:
                    self.print("(no such option, or you have voted in this poll)")
                    return
                # Telegram shows a quiz's verdict and explanation right after the vote.
                right = (
                    poll.correct_option_ids is not None and number - 1 in poll.correct_option_ids
                )
                self.print(f"{'✅' if right else '❌'} {poll.explanation or ''}\n")
                await self.speaker.answer_poll(message, number - 1)
                return
            buttons = message.buttons()
            if buttons:
                if not 1 <= number <= len(buttons):
                    self.print(f"(no button #{number} here)")
                    return
                await self.press_button(message, buttons[number - 1])
                return
        self.print("(no buttons to press)")

    async def press_button(self, message: StoredMessage, button: dict[str, Any]) -> None:
        if "disabled" in button:
            self.print("(a disabled button: nothing happens)")
        elif "callback_data" in button:
            await self.speaker.press(message, button["callback_data"])
        elif chosen := button.get("switch_inline_query_chosen_chat"):
            # Telegram lets you pick a chat and types "@bot <query>" there: the card it offers.
            where = "supergroup" if chosen.get("allow_group_chats") else "private"
            await self.speaker.inline(chosen["query"], chat_type=where)
            answer = self.world.telegram.requests[-1].params["results"]
            for card in answer:
                self.card = card
                self.print(f"🃏 {card['input_message_content']['message_text']}")
                links = [b for row in card["reply_markup"]["inline_keyboard"] for b in row]
                self.print("  ".join(f"[{b['text']}: {b['url']}]" for b in links) + "\n")
                self.print("(type #link N to follow link N of this card)")
        elif "url" in button:
            self.print(f"(a link: {button['url']})")

    async def follow_card_link(self, number: int) -> None:
        """A link under a shared card: ?startgroup= opens the game in the demo group."""
        links = [b for row in self.card["reply_markup"]["inline_keyboard"] for b in row]
        if not 1 <= number <= len(links):
            self.print("(no such link)")
            return
        parameter, _, payload = links[number - 1]["url"].partition("?")[2].partition("=")
        self.chat = self.group if parameter == "startgroup" else self.speaker.private
        await self.speaker.send(f"/start {payload}", chat=self.chat)

    async def picture_round(self) -> None:
        """Practice with the picture questions only (a /quiz round mixes them with the rest)."""
        quiz: QuizService = self.world.dispatcher["quiz"]
        pictures = [q.id for q in quiz.catalog.questions.values() if q.picture is not None]
        lang = resolve_language(self.me.user.get("language_code"), "en")
        self.chat, self.speaker = self.me.private, self.me
        await quiz.start_private(
            self.world.bot, self.me.id, self.me.id, lang, question_ids=pictures[:3]
        )

    async def handle(self, line: str) -> bool:
        line = line.strip()
        if not line:
            return True
        if line == ":quit":
            return False
        if line == ":help":
            self.print(DEMO_HELP)
        elif line == ":group":
            self.chat = self.group
            self.print("(now in «Demo group»; you are its admin)")
        elif line == ":private":
            self.chat, self.speaker = self.me.private, self.me
            self.print("(now in your private chat)")
        elif line.startswith(":as "):
            self.speaker = self.bob if line.endswith("bob") else self.me
            if self.chat["type"] == "private":
                self.chat = self.speaker.private
        elif line.startswith(":lang "):
            self.speaker.user["language_code"] = line.split()[1]
        elif line == ":pictures":
            await self.picture_round()
        elif line.startswith("#link ") and self.card:
            await self.follow_card_link(parse_number(line[6:], 1, 9) or 0)
        elif line.startswith("#") and (number := parse_number(line[1:], 1, 999)) is not None:
            await self.press(number)
        else:
            await self.speaker.send(line, chat=self.chat)
        self.show_new()
        return True


async def run_demo(stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    settings = Settings()
    clock = SystemClock()
    telegram = FakeTelegram(clock)
    services = await create_services(settings, clock, database=":memory:")
    world = offline_world(telegram, services)
    await emit_startup(world.dispatcher, world.bot)
    demo = Demo(world, out)
    demo.print("nwfz-bot offline demo: no token, no network. Type /start, or :help.\n")
    # What Telegram shows in the empty chat before the first message (set at start-up).
    demo.print(f"ℹ️ {telegram.descriptions.get('en', '')}\n")
    try:
        while True:
            if stdin.isatty():
                out.write("you> ")
                out.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if not stdin.isatty():
                demo.print(f"you> {line.rstrip()}")
            if not await demo.handle(html.unescape(line)):
                break
    finally:
        await emit_shutdown(world.dispatcher, world.bot)
        await services.close()
    if telegram.violations:
        demo.print(f"Telegram limit violations: {telegram.violations}")
        return 1
    return 0


def _label(button: dict[str, Any]) -> str:
    """A button as the app draws it: its colour, and whether it does anything."""
    colour = {"success": "🟢 ", "danger": "🔴 ", "primary": "🔵 "}.get(button.get("style", ""), "")
    return f"{colour}{button['text']}{' (disabled)' if 'disabled' in button else ''}"
