"""The quiz engine: pure functions, no aiogram, no database.

- ``pick_questions``: a round from the bank, spaced repetition first, never a question twice.
- ``shuffle_for_send``: options shuffled per send with the right answers mapped, the right
  answer's position balanced across a round.
- Telegram's ``shuffle_options`` (Bot API 9.6, sent in group games) complements this, it does
  not replace it. Telegram shows each player the options in an order of their own, so in a group
  nobody can pass "it's the second one" to a neighbour; but the poll keeps one stored order, and
  that is the bot's: ``correct_option_ids`` and the ``option_ids`` of every answer count in it,
  so the bot still chooses it and knows the right option of every poll. The balance across a
  round is what a player sees where Telegram does not shuffle (private practice, an app or a
  server without the feature, the closed poll), so "it's always B" never works there either;
  and every player of a group game gets the same question with the same options, which is what
  makes one leaderboard fair.
- Spaced repetition is a Leitner system with five boxes (not FSRS: five boxes are easy to
  explain to a student and need no fitted parameters). A wrong answer sends the question to
  box 1, due at once: it comes back in the next round, never in the same one. A right answer
  moves it one box up; box N waits ``BOX_INTERVALS[N]`` before it is due again.

Counting the answers (standings, statistics, streaks) is in ``tallies.py``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.quiz.types import Progress
from content.models import Lang, Question

BOX_INTERVALS: dict[int, timedelta] = {
    1: timedelta(0),
    2: timedelta(days=1),
    3: timedelta(days=3),
    4: timedelta(days=7),
    5: timedelta(days=21),
}
MAX_BOX = 5
# At most this share of a round is review; the rest is new material.
REVIEW_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class PollSpec:
    """One question as sent: texts in one language, options in send order."""

    question_id: str
    question: str
    options: tuple[str, ...]
    correct: tuple[int, ...]  # positions in ``options``
    explanation: str


def matching(bank: Iterable[Question], topic: str = "", difficulty: int = 0) -> list[Question]:
    """Questions of a topic ("" = all) and difficulty (0 = any)."""
    return [
        question
        for question in bank
        if (not topic or question.topic == topic)
        and (not difficulty or question.difficulty == difficulty)
    ]


def pick_questions(
    candidates: Sequence[Question],
    count: int,
    progress: dict[str, Progress],
    now: datetime,
    rng: random.Random,
) -> list[Question]:
    """A round of up to ``count`` distinct questions: due reviews, then unseen, then oldest."""
    due = [q for q in candidates if q.id in progress and progress[q.id].due_at <= now]
    # The most overdue (lowest box, earliest due) come back first.
    due.sort(key=lambda q: (progress[q.id].box, progress[q.id].due_at))
    review = due[: max(1, int(count * REVIEW_SHARE))] if due else []
    chosen = {q.id for q in review}
    unseen = [q for q in candidates if q.id not in progress]
    rng.shuffle(unseen)
    seen_later = [q for q in candidates if q.id in progress and q.id not in chosen]
    seen_later.sort(key=lambda q: (progress[q.id].due_at, progress[q.id].last_at))
    round_: list[Question] = list(review)
    for question in [*unseen, *seen_later]:
        if len(round_) >= count:
            break
        if question.id not in chosen:
            chosen.add(question.id)
            round_.append(question)
    rng.shuffle(round_)
    return round_


def after_answer(
    previous: Progress | None, question_id: str, right: bool, now: datetime
) -> Progress:
    """The Leitner step for one answer."""
    box = 1 if not right else min(MAX_BOX, (previous.box if previous else 1) + 1)
    return Progress(
        question_id=question_id,
        box=box,
        due_at=now + BOX_INTERVALS[box],
        seen=(previous.seen if previous else 0) + 1,
        correct=(previous.correct if previous else 0) + int(right),
        last_at=now,
    )


def answer_positions(count: int, options: int, rng: random.Random) -> list[int]:
    """Where the right answer goes in each of ``count`` questions: every position equally often
    (within one), in random order, so "it's always B" never works."""
    positions = [index % options for index in range(count)]
    rng.shuffle(positions)
    return positions


def shuffle_for_send(
    question: Question,
    lang: Lang,
    explanation: str,
    rng: random.Random,
    target: int | None = None,
) -> PollSpec:
    """Shuffle the options; with ``target``, put the (first) right answer at that position."""
    texts = question.options.get(lang)
    order = list(range(len(texts)))
    rng.shuffle(order)
    if target is not None:
        target %= len(texts)
        first_right = question.correct[0]
        current = order.index(first_right)
        order[current], order[target] = order[target], order[current]
    correct = tuple(sorted(order.index(index) for index in question.correct))
    return PollSpec(
        question_id=question.id,
        question=question.text.get(lang),
        options=tuple(texts[index] for index in order),
        correct=correct,
        explanation=explanation,
    )


def is_right(chosen: Iterable[int], correct: Iterable[int]) -> bool:
    return set(chosen) == set(correct)
