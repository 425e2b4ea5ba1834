"""Operations: a quiet scheduler tick logs nothing, a busy one logs one line with its counts,
and APScheduler's own per-run INFO lines stay out of the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.app.container import Services
from bot.app.inflight import InFlight
from bot.app.scheduler import create_scheduler
from bot.clock import FakeClock
from bot.offline.world import World
from bot.telegram.middlewares.logs import configure_logging

EVE = datetime(2026, 8, 28, 20, 0, tzinfo=UTC)
NINE_ALMATY = datetime(2026, 8, 29, 4, 0, 30, tzinfo=UTC)


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.reminders.service"]


async def test_quiet_runs_log_nothing_and_busy_runs_one_line_each(
    world: World, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    for name in ("Alice", "Bob"):
        await world.user(name, "en").send("/subscribe")
    caplog.set_level(logging.INFO)
    caplog.clear()
    services.clock.advance(seconds=60)
    await services.reminders.plan_due()
    await services.reminders.drain(world.bot)
    assert lines(caplog) == [], "nothing was due: nothing logged"

    world.telegram.fail("sendMessage", 502, "Bad Gateway")  # one of the two is retried
    services.clock.set(NINE_ALMATY)
    await services.reminders.plan_due()
    await services.reminders.drain(world.bot)
    planned, handled = lines(caplog)
    assert planned.startswith("reminders planned: 2 pending, 0 missed (due 2026-08-28T20:1")
    assert planned.endswith(" to 2026-08-29T04:10:30+00:00)")
    assert handled == "reminders handled: 2 (retried 1, sent 1)"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root, scheduler = logging.getLogger(), logging.getLogger("apscheduler")
    saved = (root.handlers[:], root.level, scheduler.level)
    yield
    root.handlers[:], levels = saved[0], saved[1:]
    root.setLevel(levels[0])
    scheduler.setLevel(levels[1])


@pytest.mark.usefixtures("restore_logging")
async def test_a_scheduler_run_prints_only_the_bot_s_own_line(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(EVE)
    await services.reminders.subscribe(4242)
    services.clock.set(NINE_ALMATY)
    configure_logging(logging.INFO, "text", None)
    ran = asyncio.Event()

    async def plan() -> None:
        await services.reminders.plan_due()
        ran.set()

    scheduler = create_scheduler(
        {"reminders-plan": (plan, 60.0)}, InFlight(), run_at_start={"reminders-plan"}
    )
    scheduler.start()
    try:
        async with asyncio.timeout(10):
            await ran.wait()
            await asyncio.sleep(0)  # APScheduler logs the run's end after the job returns
    finally:
        scheduler.shutdown(wait=False)
    printed = capsys.readouterr().err.splitlines()
    assert len(printed) == 1, printed
    assert "reminders planned: 1 pending, 0 missed" in printed[0]
