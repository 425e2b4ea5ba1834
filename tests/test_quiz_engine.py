"""The pure quiz core on a small bank built here: picking, spaced repetition, shuffling,
ranking and tallies, lobby cycling. The shipped content is checked elsewhere
(test_shipped_content); these rules must hold for any bank."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.quiz.engine import (
    BOX_INTERVALS,
    after_answer,
    answer_positions,
    is_right,
    matching,
    pick_questions,
    shuffle_for_send,
)
from bot.quiz.lobby import OPEN_PERIODS, SIZES, lobby_change, next_of, next_topic
from bot.quiz.tallies import (
    month_of,
    most_missed,
    question_results,
    rank,
    standings,
    streak,
    user_stats,
)
from bot.quiz.types import (
    Answer,
    AnswerMode,
    LobbyOption,
    Progress,
    Round,
    RoundChange,
    RoundKind,
    RoundStatus,
    Standing,
)
from content.models import Citation, Question, Text, TextList

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ALMATY = timezone(timedelta(hours=5))


def question(
    qid: str, topic: str, difficulty: int, correct: list[int], options: int = 4
) -> Question:
    texts = [f"{qid} option {index}" for index in range(options)]
    return Question(
        id=qid, topic=topic, difficulty=difficulty,
        text=Text(ru=f"{qid}?", en=f"{qid}?"),
        options=TextList(ru=texts, en=texts),
        correct=correct,
        explanation=Text(ru="потому что", en="because"),
        cite=[Citation(source="fixture")],
    )  # fmt: skip


# Twelve questions in "zone" over three levels, four in "tests" (three of level 3), one of
# them with two right answers and one with three options.
BANK = [
    *(question(f"zone-{n}", "zone", 1 + n % 3, [n % 4]) for n in range(12)),
    question("tests-1", "tests", 3, [0, 2]),
    question("tests-2", "tests", 3, [1], options=3),
    question("tests-3", "tests", 3, [2]),
    question("tests-4", "tests", 1, [3]),
]


def test_matching_filters_by_topic_and_level() -> None:
    assert len(matching(BANK)) == 16
    assert {q.id for q in matching(BANK, "tests", 3)} == {"tests-1", "tests-2", "tests-3"}
    assert all(q.difficulty == 2 for q in matching(BANK, "", 2))


def test_round_has_distinct_questions_of_the_filter() -> None:
    for seed in range(20):
        picked = pick_questions(matching(BANK, "zone", 0), 10, {}, NOW, random.Random(seed))
        assert len(picked) == 10
        assert len({q.id for q in picked}) == 10
        assert all(q.topic == "zone" for q in picked)


def test_small_pools_give_short_rounds() -> None:
    pool = matching(BANK, "tests", 3)
    assert len(pick_questions(pool, 10, {}, NOW, random.Random(1))) == len(pool) == 3


def test_wrong_answers_come_back_in_the_next_round_first() -> None:
    pool = matching(BANK, "zone", 0)
    first = pick_questions(pool, 5, {}, NOW, random.Random(1))
    progress = {
        q.id: after_answer(None, q.id, right=(index != 0), now=NOW)
        for index, q in enumerate(first)
    }
    missed = first[0].id
    assert progress[missed].box == 1 and progress[missed].due_at == NOW
    second = pick_questions(pool, 5, progress, NOW + timedelta(minutes=1), random.Random(2))
    ids = [q.id for q in second]
    assert missed in ids
    assert not set(ids) & {q.id for q in first[1:]}, "right answers wait a day in box 2"


def test_leitner_boxes_move_up_and_reset() -> None:
    step = None
    for expected_box in (2, 3, 4, 5, 5):
        step = after_answer(step, "q", right=True, now=NOW)
        assert step.box == expected_box
        assert step.due_at == NOW + BOX_INTERVALS[expected_box]
    step = after_answer(step, "q", right=False, now=NOW)
    assert (step.box, step.seen, step.correct) == (1, 6, 5)


def test_answer_positions_are_balanced() -> None:
    positions = answer_positions(10, 4, random.Random(5))
    counts = Counter(positions)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert set(counts) == {0, 1, 2, 3}


def test_shuffle_keeps_the_right_answer_right() -> None:
    for q in BANK:
        for target in range(len(q.options.en)):
            spec = shuffle_for_send(q, "en", "why", random.Random(target), target)
            right_texts = {q.options.en[i] for i in q.correct}
            assert {spec.options[i] for i in spec.correct} == right_texts
            assert target in spec.correct
            assert sorted(spec.options) == sorted(q.options.en)


def test_right_means_exactly_the_right_set() -> None:
    assert is_right([2], [2])
    assert not is_right([1], [2])
    assert not is_right([1, 2], [2])


def test_rank_breaks_ties_by_time() -> None:
    ranked = rank(
        [Standing(1, "A", 3, 9000, 4), Standing(2, "B", 3, 4000, 4), Standing(3, "C", 4, 20000, 4)]
    )
    assert [s.name for s in ranked] == ["C", "B", "A"]


def test_standings_count_every_player_also_the_silent_one() -> None:
    answers = [
        Answer(1, "q1", True, 3000), Answer(1, "q2", False, 5000),
        Answer(2, "q1", True, 1000), Answer(2, "q2", True, 9000),
    ]  # fmt: skip
    ranked = standings(answers, [(1, "Alice"), (2, "Bob"), (3, "Carol")])
    assert ranked == [
        Standing(2, "Bob", 2, 10000, 2),
        Standing(1, "Alice", 1, 8000, 2),
        Standing(3, "Carol", 0, 0, 0),
    ]


def test_most_missed_ignores_unanswered_and_perfect_questions() -> None:
    assert most_missed({"a": (0, 3), "b": (2, 3), "c": (3, 3), "d": (0, 0)}, 3) == ["a", "b"]


def test_question_results_count_right_and_all_answers() -> None:
    answers = [Answer(1, "q1", True, 0), Answer(2, "q1", False, 0), Answer(2, "q2", False, 0)]
    assert question_results(answers) == {"q1": (1, 2), "q2": (0, 1)}


def test_streak_counts_days_in_the_bots_time_zone() -> None:
    # 20:30 UTC is already the next day in Almaty (UTC+5).
    stamps = [NOW, datetime(2026, 11, 20, 20, 30, tzinfo=UTC)]
    assert streak(stamps, NOW, ALMATY) == 2  # 21 and 22 November
    assert streak(stamps, NOW, UTC) == 1  # 20 and 22 November: a gap


def test_leaderboard_months_turn_in_the_bots_time_zone() -> None:
    new_year_in_almaty = datetime(2026, 12, 31, 19, 30, tzinfo=UTC)
    assert (month_of(new_year_in_almaty, ALMATY), month_of(new_year_in_almaty, UTC)) == (
        "2027-01",
        "2026-12",
    )


def test_streak_ends_today_or_yesterday() -> None:
    assert streak([], NOW, UTC) == 0
    assert streak([NOW - timedelta(days=1)], NOW, UTC) == 1
    assert streak([NOW - timedelta(days=2), NOW - timedelta(days=3)], NOW, UTC) == 0


@given(st.sets(st.integers(min_value=0, max_value=30)))
def test_streak_is_the_run_of_days_ending_today_or_yesterday(days_ago: set[int]) -> None:
    stamps = [NOW - timedelta(days=n) for n in days_ago]
    start = 0 if 0 in days_ago else 1
    expected = 0
    while start + expected in days_ago:
        expected += 1
    assert streak(stamps, NOW, UTC) == expected


def test_user_stats_by_topic_and_what_is_due() -> None:
    def seen(qid: str, seen: int, correct: int, due_in: timedelta) -> Progress:
        return Progress(qid, 2, NOW + due_in, seen, correct, NOW - timedelta(days=1))

    progress = [
        seen("zone-1", 3, 2, -timedelta(hours=1)),
        seen("zone-2", 1, 1, timedelta(days=1)),
        seen("tests-1", 2, 0, timedelta(0)),
        seen("tests-2", 1, 0, -timedelta(days=2)),
        seen("gone", 4, 4, -timedelta(days=1)),  # no longer in the content
    ]
    topic_of = {q.id: q.topic for q in BANK}
    stats = user_stats(progress, topic_of, NOW, streak_days=4)
    assert (stats.answered, stats.right, stats.streak_days) == (11, 7, 4)
    assert stats.by_topic == {"zone": (3, 4), "tests": (0, 3)}
    assert (stats.due, stats.review_topic) == (3, "tests")
    assert user_stats([], topic_of, NOW, 0).review_topic is None


@pytest.mark.parametrize(
    ("values", "current", "expected"),
    [(SIZES, 5, 10), (SIZES, 20, 5), (SIZES, 7, 10), (OPEN_PERIODS, 60, 10), (SIZES, 99, 5)],
)
def test_next_of_cycles(values: tuple[int, ...], current: int, expected: int) -> None:
    assert next_of(values, current) == expected


def test_next_topic_cycles_through_all_topics_and_back() -> None:
    topics = ["zone", "tests"]
    assert [next_topic(topics, t) for t in ("", "zone", "tests")] == ["zone", "tests", ""]
    assert next_topic(topics, "removed") == ""


def lobby(**changes: object) -> Round:
    fields: dict[str, object] = {
        "id": 1, "chat_id": -100, "kind": RoundKind.GROUP, "mode": AnswerMode.POLL,
        "status": RoundStatus.LOBBY, "starter_id": 7, "lang": "en", "topic": "",
        "difficulty": 3, "size": 20, "open_period": 20, "question_ids": [], "current": -1,
        "silent_streak": 0, "counts": True, "lobby_message_id": 5, "deadline": None,
        "created_at": NOW,
    }  # fmt: skip
    return Round(**{**fields, **changes})  # type: ignore[arg-type]


def test_each_lobby_option_changes_only_itself() -> None:
    topics = ["zone", "tests"]
    assert lobby_change(lobby(), LobbyOption.TOPIC, topics) == RoundChange(topic="zone")
    assert lobby_change(lobby(), LobbyOption.LEVEL, topics) == RoundChange(difficulty=0)
    assert lobby_change(lobby(), LobbyOption.SIZE, topics) == RoundChange(size=5)
    assert lobby_change(lobby(), LobbyOption.SECONDS, topics) == RoundChange(open_period=30)
    flipped = lobby_change(lobby(), LobbyOption.ANSWER_MODE, topics)
    assert flipped == RoundChange(mode=AnswerMode.BUTTONS)
    back = lobby_change(lobby(mode=AnswerMode.BUTTONS), LobbyOption.ANSWER_MODE, topics)
    assert back == RoundChange(mode=AnswerMode.POLL)


def test_a_deadline_cannot_be_set_and_cleared_at_once() -> None:
    with pytest.raises(ValueError, match="both"):
        RoundChange(deadline=NOW, clear_deadline=True)
