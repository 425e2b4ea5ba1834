"""The benchmark's fan-out rows: a row says "met" only when every part of its goal holds."""

from __future__ import annotations

from typing import Any

import pytest

from bench.__main__ import fanout_row, where


def fanout(**changes: Any) -> dict[str, Any]:
    measured: dict[str, Any] = {
        "backend": "postgresql", "chats": 20_000, "replicas": 3, "planning_s": 0.7,
        "paced_rate_per_s": 25.1, "configured_rate_per_s": 25, "paced_429": 0,
        "capacity_per_s": 700.0, "capacity_shares": [6600, 6600, 6549], "capacity_429": 0,
        "duplicates": 0, "lost": 0,
    }  # fmt: skip
    return measured | changes


def test_a_clean_fan_out_by_three_replicas_is_met_and_shows_each_share() -> None:
    label, result, detail, goal = fanout_row(fanout())
    assert label == "fan-out: 20,000 chats, PostgreSQL, 3 replicas in one process"
    assert result == "700 msg/s, pacing lifted"
    assert "paced 25.1 msg/s together of 25 (100%)" in detail
    assert "sent per replica 6,600/6,600/6,549" in detail
    assert goal == "met"


def test_one_replica_has_no_shares_to_show() -> None:
    label, _, detail, goal = fanout_row(
        fanout(backend="sqlite", replicas=1, capacity_shares=[19_746])
    )
    assert label == "fan-out: 20,000 chats, SQLite, 1 replica"
    assert "per replica" not in detail
    assert "together" not in detail
    assert goal == "met"


@pytest.mark.parametrize(
    "broken",
    [
        {"paced_429": 1},
        {"capacity_429": 2},
        {"duplicates": 1},
        {"lost": 3},
        {"paced_rate_per_s": 23.0},  # 92% of the configured rate
    ],
)
def test_any_429_duplicate_loss_or_slow_pace_is_not_met(broken: dict[str, Any]) -> None:
    assert fanout_row(fanout(**broken))[3].startswith("not met")


def test_429s_of_both_phases_are_counted() -> None:
    detail = fanout_row(fanout(paced_429=1, capacity_429=2))[2]
    assert "429s: 3" in detail


def test_only_rows_off_the_default_backend_name_it() -> None:
    assert where({"backend": "sqlite"}) == ""
    assert where({"backend": "postgresql"}) == ", PostgreSQL"
