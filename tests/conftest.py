"""Fixtures: a fake clock, the offline Telegram, and the real dispatcher wired to both."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.app.runner import emit_startup
from bot.clock import FakeClock
from bot.offline.postgres import PostgresServer, start_postgres
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.offline.world import World
from content.loader import DATA_DIR, Catalog, load_catalog
from storage.postgres import create_database, drop_database, open_postgres
from tests.databases import empty_postgres
from tests.vocabulary import Restartable

START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
# Every test that opens the bot's database runs on both backends.
BACKENDS = ["sqlite", "postgresql"]
# A local opt-out for a machine without PostgreSQL: the PostgreSQL runs are skipped, and say
# so. CI never sets it: there a server that cannot start fails those tests.
SQLITE_ONLY = os.environ.get("NWFZ_TESTS_SQLITE_ONLY") == "1"
TEMPLATE = "nwfz_template"  # migrated once per server; tests that change the schema copy it
SHARED = "nwfz_tests"  # migrated once per server; emptied before each test that uses it
_database_numbers = itertools.count(1)


def is_slow(item: pytest.Item) -> bool:
    """Marked ``slow``, or in a ``*_process.py`` module: those run the bot in real processes."""
    return item.get_closest_marker("slow") is not None or item.path.stem.endswith("_process")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, the rest in their own order. xdist hands tests out in collection
    order: a slow test handed out last keeps one worker busy while the other has nothing left
    (scripts/test.sh hands them out two at a time, so both workers share the slow ones)."""
    items.sort(key=lambda item: not is_slow(item))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server per test process (xdist worker), started on first use."""
    if SQLITE_ONLY:
        pytest.skip("NWFZ_TESTS_SQLITE_ONLY=1: PostgreSQL runs skipped")
    server = start_postgres()

    async def prepare() -> None:
        for name in (TEMPLATE, SHARED):
            await create_database(server.url(), name)
            database = await open_postgres(server.url(name))
            await database.close()

    asyncio.run(prepare())
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def postgres_server(backend: str, request: pytest.FixtureRequest) -> PostgresServer | None:
    """The server when this test runs on PostgreSQL. Asked for only then (SQLite-only runs
    start none), and from a plain fixture: the server's start-up runs its own event loop."""
    return request.getfixturevalue("postgres") if backend == "postgresql" else None


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer | None) -> str | None:
    """A migrated, empty PostgreSQL database for this test (None when the test runs on
    SQLite). Tests in one worker run one at a time, so they take turns with one database."""
    if postgres_server is None:
        return None
    url = postgres_server.url(SHARED)
    await empty_postgres(url)
    return url


@pytest.fixture
async def fresh_postgres_url(
    postgres_server: PostgresServer | None,
) -> AsyncIterator[str | None]:
    """A database of its own for a test that changes the schema: a copy of the migrated
    template, dropped afterwards (None when the test runs on SQLite)."""
    if postgres_server is None:
        yield None
        return
    name = f"t_{next(_database_numbers)}"
    await create_database(postgres_server.url(), name, template=TEMPLATE)
    yield postgres_server.url(name)
    await drop_database(postgres_server.url(), name)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """A small, stable content fixture with the real interface strings.

    Immutable data: loading it once is safe; every test still gets a fresh dispatcher and DB.
    The shipped content has its own tests (tests/test_shipped_content.py).
    """
    return load_catalog(FIXTURE_CONTENT, ui_root=DATA_DIR / "ui")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, bot_token=None, bot_admin_ids=frozenset({424242}))


@pytest.fixture
def telegram(clock: FakeClock) -> FakeTelegram:
    return FakeTelegram(clock)


@pytest.fixture
async def services(
    settings: Settings, clock: FakeClock, catalog: Catalog, postgres_url: str | None
) -> AsyncIterator[Services]:
    services = await create_services(
        settings, clock, catalog=catalog, database=postgres_url or ":memory:",
        rng=random.Random(7),
    )  # fmt: skip
    yield services
    await services.close()


@pytest.fixture
async def world(telegram: FakeTelegram, services: Services) -> AsyncIterator[World]:
    world = offline_world(telegram, services)
    yield world
    unanswered = [query for query, answered in telegram.open_callbacks.items() if not answered]
    assert not unanswered, f"callback queries left unanswered: {unanswered}"
    assert not telegram.violations, f"Telegram limits violated: {telegram.violations}"


@pytest.fixture
async def restartable(
    tmp_path: Path,
    settings: Settings,
    clock: FakeClock,
    telegram: FakeTelegram,
    catalog: Catalog,
    postgres_url: str | None,
) -> AsyncIterator[Restartable]:
    """Start the bot on a database (a file, or a PostgreSQL database) as the process does
    (start-up hook included; the test's clock drives the jobs); calling it again "restarts"
    it on the same database."""
    opened: list[Services] = []

    async def start() -> tuple[World, Services]:
        services = await create_services(
            settings, clock, catalog=catalog, database=postgres_url or tmp_path / "bot.sqlite3",
            rng=random.Random(len(opened)),
        )  # fmt: skip
        services.run_scheduler = False
        opened.append(services)
        world = offline_world(telegram, services)
        await emit_startup(world.dispatcher, world.bot)  # start-up puts in-flight work back
        return world, services

    yield start
    for services in opened:
        await services.close()


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    """The content that ships (tests/test_shipped_content.py, tests/test_search_e2e.py)."""
    return load_catalog()


@pytest.fixture
async def shipped_world(
    shipped: Catalog,
    settings: Settings,
    clock: FakeClock,
    telegram: FakeTelegram,
    postgres_url: str | None,
) -> AsyncIterator[World]:
    services = await create_services(
        settings, clock, catalog=shipped, database=postgres_url or ":memory:",
        rng=random.Random(1),
    )  # fmt: skip
    world = offline_world(telegram, services)
    world.pause_between_updates = timedelta(seconds=1)
    yield world
    await services.close()
    assert not telegram.violations
