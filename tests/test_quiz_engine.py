"""The pure quiz engine: picking, spaced repetition, shuffling, ranking."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.quiz.engine import (
    BOX_INTERVALS,
    after_answer,
    answer_positions,
    is_right,
    matching,
    most_missed,
    pick_questions,
    rank,
    shuffle_for_send,
)
from bot.quiz.types import Standing
from content.loader import Catalog, load_catalog

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
BANK = list(load_catalog().questions.values())


def test_round_has_distinct_questions_of_the_filter() -> None:
    for seed in range(20):
        picked = pick_questions(matching(BANK, "canwfz", 0), 10, {}, NOW, random.Random(seed))
        assert len(picked) == 10
        assert len({q.id for q in picked}) == 10
        assert all(q.topic == "canwfz" for q in picked)


def test_small_pools_give_short_rounds() -> None:
    pool = matching(BANK, "csto", 3)
    assert 0 < len(pool) < 10
    assert len(pick_questions(pool, 10, {}, NOW, random.Random(1))) == len(pool)


def test_wrong_answers_come_back_in_the_next_round_first() -> None:
    pool = matching(BANK, "ctbt", 0)
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


def test_shuffle_keeps_the_right_answer_right(catalog: Catalog) -> None:
    for question in BANK[:50]:
        for target in range(len(question.options.en)):
            spec = shuffle_for_send(question, "en", "why", random.Random(target), target)
            right_texts = {question.options.en[i] for i in question.correct}
            assert {spec.options[i] for i in spec.correct} == right_texts
            assert spec.correct[0] == target or len(question.correct) > 1
            assert sorted(spec.options) == sorted(question.options.en)


def test_right_means_exactly_the_right_set() -> None:
    assert is_right([2], [2])
    assert not is_right([1], [2])
    assert not is_right([1, 2], [2])


def test_rank_breaks_ties_by_time() -> None:
    ranked = rank(
        [Standing(1, "A", 3, 9000, 4), Standing(2, "B", 3, 4000, 4), Standing(3, "C", 4, 20000, 4)]
    )
    assert [s.name for s in ranked] == ["C", "B", "A"]


def test_most_missed_ignores_unanswered_and_perfect_questions() -> None:
    assert most_missed({"a": (0, 3), "b": (2, 3), "c": (3, 3), "d": (0, 0)}, 3) == ["a", "b"]
