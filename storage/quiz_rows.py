"""How the quiz's rows become the quiz's types (the queries are in quiz.py)."""

from __future__ import annotations

import json
from datetime import datetime

from bot.quiz.types import AnswerMode, Asked, Progress, Round, RoundKind, RoundStatus
from storage.database import Row


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _round(row: Row) -> Round:
    created = _time(row["created_at"])
    assert created is not None
    return Round(
        id=row["id"],
        chat_id=row["chat_id"],
        kind=RoundKind(row["kind"]),
        mode=AnswerMode(row["mode"]),
        status=RoundStatus(row["status"]),
        starter_id=row["starter_id"],
        lang=row["lang"],
        topic=row["topic"],
        difficulty=row["difficulty"],
        size=row["size"],
        open_period=row["open_period"],
        question_ids=json.loads(row["question_ids"]),
        current=row["current"],
        silent_streak=row["silent_streak"],
        counts=bool(row["counts"]),
        lobby_message_id=row["lobby_message_id"],
        deadline=_time(row["deadline"]),
        created_at=created,
    )


def _asked(row: Row) -> Asked:
    sent = _time(row["sent_at"])
    assert sent is not None
    return Asked(
        poll_id=row["poll_id"],
        round_id=row["round_id"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        position=row["position"],
        question_id=row["question_id"],
        correct=json.loads(row["correct"]),
        sent_at=sent,
        closes_at=_time(row["closes_at"]),
    )


def _progress(row: Row) -> Progress:
    due, last = _time(row["due_at"]), _time(row["last_at"])
    assert due is not None
    assert last is not None
    return Progress(
        question_id=row["question_id"],
        box=row["box"],
        due_at=due,
        seen=row["seen"],
        correct=row["correct"],
        last_at=last,
    )
