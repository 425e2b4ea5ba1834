"""The shape of the code (ARCHITECTURE.md), read from the imports with ``ast``.

Every import counts wherever it stands: at module level, under ``if TYPE_CHECKING`` (a cycle
hidden there is still a cycle a reader must untangle) and inside functions (lazy imports).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("bot", "handlers", "storage", "content")
# content/ is the content engineers' package (its line count is theirs to keep); the rule on
# length holds for the code packages.
MEASURED = ("bot", "handlers", "storage")
MAX_LINES = 400
# The pure cores: no Telegram, no database driver, no repository.
PURE = (
    "bot.clock",
    "bot.quiz.engine",
    "bot.quiz.lobby",
    "bot.quiz.tallies",
    "bot.quiz.types",
    "bot.reminders.planner",
    "bot.reminders.almanac",
    "bot.reminders.types",
    "bot.reminders.ics",
    "bot.library.search",
    "bot.library.search_lang",
    "bot.library.text",
    "bot.library.types",
    "bot.library.timeline_chart",
    "bot.profiles.types",
    "content.models",
)
IMPURE_ROOTS = ("aiogram", "aiosqlite", "asyncpg", "storage")
# Storage may know the features' data and nothing else of the bot.
STORAGE_MAY_IMPORT = ("bot.clock", "content.models", "storage")
HEAVY = ("matplotlib", "segno", "icalendar")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in OURS
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def imported(name: str) -> Iterator[str]:
    """Every module ``name`` imports (ours resolved to the module, others by full name)."""
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            assert node.level == 0, f"{name}: relative import"
            for alias in node.names:
                # ``from bot.telegram import commands`` imports the module bot.telegram.commands
                submodule = f"{node.module}.{alias.name}"
                yield submodule if submodule in modules() else node.module


def our_imports(name: str) -> set[str]:
    return {target for target in imported(name) if target.split(".")[0] in OURS} - {name}


def is_under(target: str, roots: tuple[str, ...]) -> bool:
    return any(target == root or target.startswith(root + ".") for root in roots)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph.get(node, ())):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle is not None:
            return cycle
    return None


def test_find_cycle_finds_a_cycle_and_accepts_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_our_modules_import_each_other_without_a_cycle() -> None:
    graph = {name: our_imports(name) for name in modules()}
    assert find_cycle(graph) is None


@pytest.mark.parametrize("name", PURE)
def test_a_pure_core_imports_no_telegram_database_or_storage(name: str) -> None:
    assert name in modules(), f"{name} is listed as a pure core but does not exist"
    impure = sorted(t for t in imported(name) if is_under(t, IMPURE_ROOTS))
    assert impure == []


def test_handlers_import_no_storage() -> None:
    reaching = {
        name: sorted(t for t in imported(name) if is_under(t, ("storage",)))
        for name in modules()
        if is_under(name, ("handlers",))
    }
    assert {name: found for name, found in reaching.items() if found} == {}


def test_a_handler_module_imports_no_other_handler_module() -> None:
    # Only ``handlers/__init__`` gathers the routers; a step two handlers share (opening a quiz
    # from /quiz and from a deep link) lives in its feature, not in another handler module.
    reaching = {
        name: sorted(t for t in our_imports(name) if is_under(t, ("handlers",)))
        for name in modules()
        if is_under(name, ("handlers",)) and name != "handlers"
    }
    assert {name: found for name, found in reaching.items() if found} == {}


def test_storage_imports_only_the_features_types() -> None:
    def allowed(target: str) -> bool:
        return is_under(target, STORAGE_MAY_IMPORT) or (
            target.startswith("bot.") and target.endswith(".types")
        )

    beyond = {
        name: sorted(t for t in our_imports(name) if not allowed(t))
        for name in modules()
        if is_under(name, ("storage",))
    }
    assert {name: found for name, found in beyond.items() if found} == {}


DATABASE_DRIVERS = ("aiosqlite", "asyncpg", "sqlite3")


def drivers_outside_storage() -> dict[str, list[str]]:
    return {
        name: found
        for name in modules()
        if not is_under(name, ("storage",))
        and (found := sorted(t for t in imported(name) if is_under(t, DATABASE_DRIVERS)))
    }


def test_only_storage_imports_a_database_driver() -> None:
    """Handlers, services and the app see storage.database.Database, never which engine runs
    under it, so a second backend changes storage/ alone."""
    assert drivers_outside_storage() == {}


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: lines
        for name, path in modules().items()
        if is_under(name, MEASURED)
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_rules_see_a_violation() -> None:
    # The checks above pass on the real tree; here they must fail on a made-up one.
    assert find_cycle(
        {"bot.app.dispatcher": {"handlers.admin"}, "handlers.admin": {"bot.app.dispatcher"}}
    )
    assert is_under("storage.quiz", IMPURE_ROOTS)
    assert is_under("aiogram.types", IMPURE_ROOTS)
    assert not is_under("storagex", IMPURE_ROOTS)
    assert is_under("asyncpg.pool", DATABASE_DRIVERS)
    assert not is_under("sqlite3x", DATABASE_DRIVERS)


# Builds the services and the dispatcher as production does, in a fresh interpreter (this
# process has imported everything already), and reports which heavy libraries got loaded.
STARTUP = """
import asyncio, json, sys
from bot.app.config import Settings
from bot.app.container import create_services
from bot.app.dispatcher import create_bot, create_dispatcher
from bot.clock import SystemClock

async def main():
    services = await create_services(Settings(database_path=":memory:"), SystemClock())
    create_dispatcher(services)
    create_bot("1:x", "http://offline", limiter=services.limiter)
    await services.close()

asyncio.run(main())
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in HEAVY)))
"""


def heavy_after_start_up(also_import: str = "") -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{also_import}\n{STARTUP}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.slow
def test_start_up_loads_no_picture_qr_or_calendar_library() -> None:
    assert heavy_after_start_up() == []


@pytest.mark.slow
def test_the_start_up_probe_sees_a_library_that_is_loaded() -> None:
    assert "icalendar" in heavy_after_start_up("import bot.reminders.ics")
