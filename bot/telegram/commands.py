"""The bot's commands: one list that filters, the command menu, /help and tests all read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Flag, auto


class Where(Flag):
    PRIVATE = auto()
    GROUP = auto()
    BOTH = PRIVATE | GROUP


@dataclass(frozen=True, slots=True)
class BotCommandSpec:
    name: str
    where: Where = Where.BOTH
    in_menu: bool = True

    @property
    def description_key(self) -> str:
        return f"commands.{self.name}"


START = BotCommandSpec("start")
HELP = BotCommandSpec("help")
TOPICS = BotCommandSpec("topics")
FACT = BotCommandSpec("fact")
SEARCH = BotCommandSpec("search")
TIMELINE = BotCommandSpec("timeline")
GLOSSARY = BotCommandSpec("glossary")
SOURCES = BotCommandSpec("sources")
LANGUAGE = BotCommandSpec("language")
ABOUT = BotCommandSpec("about")
QUIZ = BotCommandSpec("quiz")
STOP = BotCommandSpec("stop")
TOP = BotCommandSpec("top", Where.GROUP)
STATS = BotCommandSpec("stats", Where.PRIVATE)
SUBSCRIBE = BotCommandSpec("subscribe")
UNSUBSCRIBE = BotCommandSpec("unsubscribe")
REMINDERS = BotCommandSpec("reminders")
DATES = BotCommandSpec("dates")
CALENDAR = BotCommandSpec("calendar")
ADMIN = BotCommandSpec("admin", Where.PRIVATE, in_menu=False)  # owners only: not advertised

COMMANDS: tuple[BotCommandSpec, ...] = (
    START, HELP, TOPICS, FACT, QUIZ, STOP, TOP, STATS, DATES, SUBSCRIBE, REMINDERS, UNSUBSCRIBE,
    CALENDAR, SEARCH, TIMELINE, GLOSSARY, SOURCES, LANGUAGE, ABOUT,
)  # fmt: skip


def commands_for(where: Where) -> list[BotCommandSpec]:
    return [command for command in COMMANDS if command.in_menu and where & command.where]
