"""The quiz's data: rounds, asked polls, answers, progress, standings (storage returns them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
    kind: str  # "private" | "group"
    mode: str  # "poll" | "buttons" (a group's private answering mode)
    status: str  # lobby | running | paused | finished | cancelled
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
