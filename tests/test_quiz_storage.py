"""The quiz repository's round changes: typed, compare-and-set, and the states read back as
the enums the SQL was given."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.quiz.types import AnswerMode, RoundChange, RoundKind, RoundStatus
from storage.db import open_database
from storage.quiz import QuizRepository

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
async def repo(tmp_path: Path, postgres_url: str | None) -> AsyncIterator[QuizRepository]:
    db = await open_database(postgres_url or tmp_path / "bot.sqlite3")
    yield QuizRepository(db, lambda: NOW)
    await db.close()


async def game(repo: QuizRepository, chat_id: int = -100) -> int:
    round_ = await repo.create_round(
        chat_id=chat_id, kind=RoundKind.GROUP, status=RoundStatus.LOBBY, starter_id=1, lang="en"
    )
    assert round_ is not None
    return round_.id


async def test_states_come_back_as_enums(repo: QuizRepository) -> None:
    round_id = await game(repo)
    await repo.update_round(round_id, RoundChange(mode=AnswerMode.BUTTONS))
    found = await repo.get_round(round_id)
    assert found is not None
    assert (found.kind, found.mode, found.status) == (
        RoundKind.GROUP,
        AnswerMode.BUTTONS,
        RoundStatus.LOBBY,
    )
    assert isinstance(found.status, RoundStatus)
    assert await repo.open_round(-100) == found


async def test_unset_fields_stay_and_a_deadline_is_cleared_only_when_asked(
    repo: QuizRepository,
) -> None:
    round_id = await game(repo)
    deadline = NOW + timedelta(seconds=30)
    await repo.update_round(round_id, RoundChange(deadline=deadline, size=15))
    await repo.update_round(round_id, RoundChange(status=RoundStatus.RUNNING, current=0))
    kept = await repo.get_round(round_id)
    assert kept is not None
    assert (kept.deadline, kept.size, kept.current) == (deadline, 15, 0)
    assert [r.id for r in await repo.claim_due_rounds(RoundStatus.RUNNING, deadline)] == [round_id]
    await repo.update_round(round_id, RoundChange(clear_deadline=True))
    cleared = await repo.get_round(round_id)
    assert cleared is not None and cleared.deadline is None and cleared.size == 15
    assert await repo.claim_due_rounds(RoundStatus.RUNNING, deadline + timedelta(days=1)) == []


async def test_compare_and_set_lets_one_of_two_racers_win(repo: QuizRepository) -> None:
    round_id = await game(repo)
    start = RoundChange(status=RoundStatus.RUNNING, question_ids=["a", "b"])
    assert await repo.update_round(round_id, start, expect_status=RoundStatus.LOBBY)
    assert not await repo.update_round(round_id, start, expect_status=RoundStatus.LOBBY)
    step = RoundChange(current=0)
    assert await repo.update_round(
        round_id, step, expect_status=RoundStatus.RUNNING, expect_current=-1
    )
    assert not await repo.update_round(
        round_id, RoundChange(current=1), expect_status=RoundStatus.RUNNING, expect_current=-1
    )
    found = await repo.get_round(round_id)
    assert found is not None and (found.current, found.question_ids) == (0, ["a", "b"])


async def test_one_open_round_per_chat_and_finished_ones_are_counted(
    repo: QuizRepository,
) -> None:
    round_id = await game(repo)
    assert await repo.create_round(
        chat_id=-100, kind=RoundKind.GROUP, status=RoundStatus.LOBBY, starter_id=2, lang="en"
    ) is None  # fmt: skip
    await repo.update_round(round_id, RoundChange(status=RoundStatus.FINISHED))
    assert await repo.open_round(-100) is None
    assert await repo.rounds_played(NOW - timedelta(days=7)) == 1
    assert await game(repo) != round_id  # the chat is free again
