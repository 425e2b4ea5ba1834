"""The command line as a newcomer meets it: the demo, and a clear error without a token."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test runs ``python -m bot`` in a process of its own

ROOT = Path(__file__).parent.parent


def run(
    args: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT), **(env or {})},
        timeout=120,
        check=False,
    )


def test_demo_runs_a_scripted_conversation() -> None:
    script = (
        "/start\n#1\n#1\n#2\n:group\n/language\n#2\n/help\n:private\nполигона\n/nonsense\n:quit\n"
    )
    result = run(["demo"], stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Hello, You!" in out
    assert "✏️ (edited) Topics" in out  # the menu button edited the greeting
    assert "Tests, 1949-1989" in out or "1949" in out
    assert "Language set: English" in out
    assert "What I can do" in out
    assert "Semipalatinsk" in out
    assert "I don't know the command /nonsense" in out
    assert "violations" not in out


def test_the_demo_shows_a_picture_question() -> None:
    result = run(["demo"], stdin=":pictures\n#1\n:quit\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "📊 [1/3] Which event is marked with “?” on this timeline?" in out
    assert "🖼 the timeline picture (" in out and "📚 " in out
    assert "The timeline runs from 1945 to 2027" in out
    assert "📊 [2/3]" in out, "voting moved the round on"
    assert "violations" not in out


def test_run_without_token_names_the_demo(tmp_path: Path) -> None:
    result = run(["run"], env={"BOT_TOKEN": ""})
    assert result.returncode == 2
    assert "BOT_TOKEN is not set" in result.stderr
    assert "python -m bot demo" in result.stderr


def test_unknown_command_prints_usage() -> None:
    result = run(["frobnicate"])
    assert result.returncode == 2
    assert "usage: python -m bot" in result.stderr
