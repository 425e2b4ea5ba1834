"""Counting what was answered: group standings, the questions a group missed most, a user's
statistics and streak. Pure functions, no aiogram, no database (the service reads the rows)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.quiz.types import Answer, Progress, Standing


@dataclass(frozen=True, slots=True)
class UserStats:
    answered: int
    right: int
    by_topic: dict[str, tuple[int, int]]  # topic -> (right, answered)
    streak_days: int
    due: int
    review_topic: str | None


def rank(standings: Iterable[Standing]) -> list[Standing]:
    """Points first; among equal points, less total answer time wins."""
    return sorted(standings, key=lambda s: (-s.points, s.time_ms, s.name))


def standings(answers: Iterable[Answer], players: Iterable[tuple[int, str]]) -> list[Standing]:
    """A round's ranked standings: every player, also one who answered nothing."""
    totals: dict[int, tuple[int, int, int]] = {}
    for answer in answers:
        points, time_ms, count = totals.get(answer.user_id, (0, 0, 0))
        totals[answer.user_id] = (points + answer.right, time_ms + answer.elapsed_ms, count + 1)
    return rank(
        Standing(user_id, name, *totals.get(user_id, (0, 0, 0))) for user_id, name in players
    )


def question_results(answers: Iterable[Answer]) -> dict[str, tuple[int, int]]:
    """Question id -> (right answers, answers)."""
    results: dict[str, tuple[int, int]] = {}
    for answer in answers:
        right, answered = results.get(answer.question_id, (0, 0))
        results[answer.question_id] = (right + int(answer.right), answered + 1)
    return results


def most_missed(results: dict[str, tuple[int, int]], limit: int = 3) -> list[str]:
    """Question ids the group got wrong most often: ``results`` maps id → (right, answered)."""
    missed = [
        (right / answered if answered else 0.0, question_id)
        for question_id, (right, answered) in results.items()
        if answered and right < answered
    ]
    missed.sort()
    return [question_id for _, question_id in missed[:limit]]


# The all-time leaderboard's period; the others are calendar months, "2026-11".
ALL_TIME = "all"


def month_of(now: datetime, zone: tzinfo) -> str:
    """The leaderboard month ``now`` falls in, in the bot's time zone."""
    return now.astimezone(zone).strftime("%Y-%m")


def streak(stamps: Iterable[datetime], now: datetime, zone: tzinfo) -> int:
    """Days in a row with at least one answer, ending today or yesterday (in ``zone``)."""
    days: list[date] = sorted({stamp.astimezone(zone).date() for stamp in stamps}, reverse=True)
    today = now.astimezone(zone).date()
    if not days or (today - days[0]).days > 1:
        return 0
    count = 1
    for newer, older in itertools.pairwise(days):
        if (newer - older).days != 1:
            break
        count += 1
    return count


def user_stats(
    progress: Iterable[Progress], topic_of: Mapping[str, str], now: datetime, streak_days: int
) -> UserStats:
    """A user's totals, per topic, and what is due for review; questions no longer in the
    content (not in ``topic_of``) count nowhere but in the totals."""
    items = list(progress)
    by_topic: dict[str, tuple[int, int]] = {}
    due_by_topic: dict[str, int] = {}
    for item in items:
        topic = topic_of.get(item.question_id)
        if topic is None:
            continue
        right, answered = by_topic.get(topic, (0, 0))
        by_topic[topic] = (right + item.correct, answered + item.seen)
        if item.due_at <= now:
            due_by_topic[topic] = due_by_topic.get(topic, 0) + 1
    review_topic = (
        max(due_by_topic, key=lambda topic: due_by_topic[topic]) if due_by_topic else None
    )
    return UserStats(
        answered=sum(item.seen for item in items),
        right=sum(item.correct for item in items),
        by_topic=by_topic,
        streak_days=streak_days,
        due=sum(due_by_topic.values()),
        review_topic=review_topic,
    )
