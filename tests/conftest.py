"""Fixtures: a fake clock, the offline Telegram, and the real dispatcher wired to both."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.app.runner import emit_startup
from bot.clock import FakeClock
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.offline.world import World
from content.loader import DATA_DIR, Catalog, load_catalog
from tests.vocabulary import Restartable

START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"


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
    settings: Settings, clock: FakeClock, catalog: Catalog
) -> AsyncIterator[Services]:
    services = await create_services(
        settings, clock, catalog=catalog, database_path=":memory:", rng=random.Random(7)
    )
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
    tmp_path: Path, settings: Settings, clock: FakeClock, telegram: FakeTelegram, catalog: Catalog
) -> AsyncIterator[Restartable]:
    """Start the bot on a database file as the process does (start-up hook included; the
    test's clock drives the jobs); calling it again "restarts" it on the same file."""
    opened: list[Services] = []

    async def start() -> tuple[World, Services]:
        services = await create_services(
            settings, clock, catalog=catalog, database_path=tmp_path / "bot.sqlite3",
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
    shipped: Catalog, settings: Settings, clock: FakeClock, telegram: FakeTelegram
) -> AsyncIterator[World]:
    services = await create_services(
        settings, clock, catalog=shipped, database_path=":memory:", rng=random.Random(1)
    )
    world = offline_world(telegram, services)
    world.pause_between_updates = timedelta(seconds=1)
    yield world
    await services.close()
    assert not telegram.violations
