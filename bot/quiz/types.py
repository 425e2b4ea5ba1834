"""The quiz's data: rounds, asked polls, answers, progress, standings (storage returns them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RoundKind(StrEnum):
    PRIVATE = "private"  # practice in a private chat: the next question follows each answer
    GROUP = "group"  # a game in a group: a lobby, a timer per question, a leaderboard


class AnswerMode(StrEnum):
    """How a group answers: native quiz polls (everyone sees the votes) or buttons whose
    verdict only the presser sees."""

    POLL = "poll"
    BUTTONS = "buttons"


class RoundStatus(StrEnum):
    LOBBY = "lobby"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    CANCELLED = "cancelled"


# A chat has at most one round in these (a partial unique index in the schema).
OPEN_STATUSES = (RoundStatus.LOBBY, RoundStatus.RUNNING, RoundStatus.PAUSED)


class LobbyOption(StrEnum):
    """What the lobby's buttons cycle through before a group game starts."""

    TOPIC = "topic"
    LEVEL = "level"
    SIZE = "size"
    SECONDS = "secs"
    ANSWER_MODE = "priv"


class LobbyStep(StrEnum):
    """The lobby's other buttons: they end the lobby."""

    START = "start"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Progress:
    """What one user has done with one question."""

    question_id: str
    box: int
    due_at: datetime
    seen: int
    correct: int
    last_at: datetime


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    name: str
    points: int
    time_ms: int
    answered: int


@dataclass(frozen=True, slots=True)
class Round:
    id: int
    chat_id: int
    kind: RoundKind
    mode: AnswerMode
    status: RoundStatus
    starter_id: int | None
    lang: str
    topic: str
    difficulty: int
    size: int
    open_period: int
    question_ids: list[str]
    current: int  # position of the question asked last; -1 before the first
    silent_streak: int
    counts: bool  # whether answers go to the chat's leaderboard
    lobby_message_id: int | None
    deadline: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RoundChange:
    """The columns of a round to change; None leaves one as it is. ``clear_deadline`` sets the
    deadline to none (a None ``deadline`` only means "unchanged")."""

    status: RoundStatus | None = None
    current: int | None = None
    silent_streak: int | None = None
    deadline: datetime | None = None
    clear_deadline: bool = False
    question_ids: list[str] | None = None
    lobby_message_id: int | None = None
    topic: str | None = None
    difficulty: int | None = None
    size: int | None = None
    open_period: int | None = None
    mode: AnswerMode | None = None

    def __post_init__(self) -> None:
        if self.clear_deadline and self.deadline is not None:
            raise ValueError("a deadline cannot be both set and cleared")


def button_poll_id(round_id: int, position: int) -> str:
    """The id a question asked with buttons is stored under (Telegram's poll ids are digits,
    so the two never meet)."""
    return f"b{round_id}:{position}"


@dataclass(frozen=True, slots=True)
class Asked:
    poll_id: str
    round_id: int
    chat_id: int
    message_id: int
    position: int
    question_id: str
    correct: list[int]
    sent_at: datetime
    closes_at: datetime | None


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """After a counted answer: how many play the round, and how many answered this question."""

    players: int
    answers: int


@dataclass(frozen=True, slots=True)
class Answer:
    user_id: int
    question_id: str
    right: bool
    elapsed_ms: int
