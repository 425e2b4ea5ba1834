"""APScheduler 3.11 as the clock: a few fixed jobs, each reading what is due from SQLite.

No job carries state: a restart re-derives everything from the database, so jobs live in
the in-memory job store and nothing is pickled (SQLAlchemyJobStore would silently drop jobs
after a deploy and run a sync engine on the event loop).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app.inflight import InFlight

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


def create_scheduler(
    jobs: dict[str, tuple[Job, float]],
    inflight: InFlight,
    *,
    run_at_start: Collection[str] = (),
) -> AsyncIOScheduler:
    """``jobs`` maps a name to (coroutine function, interval in seconds); every run counts in
    ``inflight``, so a graceful shutdown lets it finish. The jobs named in ``run_at_start`` run
    first as the scheduler starts, the others one interval after it."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    for name, (job, seconds) in jobs.items():
        # APScheduler's own clock is the real one, whatever clock the jobs read.
        first: dict[str, Any] = (
            {"next_run_time": datetime.now(UTC)} if name in run_at_start else {}
        )
        scheduler.add_job(
            _guarded(name, job, inflight),
            "interval",
            seconds=seconds,
            id=name,
            max_instances=1,  # a slow run is never overlapped by the next one
            coalesce=True,  # after a stall, run once, not once per missed interval
            misfire_grace_time=None,  # late is better than skipped: the job reads what is due
            **first,
        )
    return scheduler


def _guarded(name: str, job: Job, inflight: InFlight) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        async with inflight.track():
            try:
                await job()
            except Exception:  # a failing run is logged; the next interval tries again
                log.exception("scheduled job %s failed", name)

    return run
