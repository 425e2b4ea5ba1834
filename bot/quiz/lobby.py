"""What a lobby button changes: each press moves one option of the coming game to its next
value, round and round. Pure: the service applies the change with a compare-and-set."""

from __future__ import annotations

from collections.abc import Sequence

from bot.quiz.types import AnswerMode, LobbyOption, Round, RoundChange

SIZES = (5, 10, 15, 20)
ROUND_SIZE = 10  # questions in private practice, and in a game until its lobby says otherwise
OPEN_PERIODS = (10, 20, 30, 45, 60)
LEVELS = 4  # 0 = any difficulty, then 1..3


def next_of(values: tuple[int, ...], current: int) -> int:
    """The next larger value, or the first after the last (also for a value not listed)."""
    later = [value for value in values if value > current]
    return later[0] if later else values[0]


def next_topic(topics: Sequence[str], current: str) -> str:
    """The topic after ``current`` among "" (all topics) and ``topics``; a topic that is
    gone from the content goes back to all topics."""
    cycle = ["", *topics]
    if current not in cycle:
        return ""
    return cycle[(cycle.index(current) + 1) % len(cycle)]


def lobby_change(round_: Round, option: LobbyOption, topics: Sequence[str]) -> RoundChange:
    match option:
        case LobbyOption.TOPIC:
            return RoundChange(topic=next_topic(topics, round_.topic))
        case LobbyOption.LEVEL:
            return RoundChange(difficulty=(round_.difficulty + 1) % LEVELS)
        case LobbyOption.SIZE:
            return RoundChange(size=next_of(SIZES, round_.size))
        case LobbyOption.SECONDS:
            return RoundChange(open_period=next_of(OPEN_PERIODS, round_.open_period))
        case LobbyOption.ANSWER_MODE:
            flipped = AnswerMode.POLL if round_.mode == AnswerMode.BUTTONS else AnswerMode.BUTTONS
            return RoundChange(mode=flipped)
