"""The services container, built once here and handed out piece by piece (never whole)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.admin.report import AdminReport
from bot.app.config import Settings
from bot.app.inflight import InFlight
from bot.clock import Clock
from bot.library.pictures import TimelinePictures
from bot.library.service import Library
from bot.profiles.service import Profiles
from bot.quiz.service import QuizService
from bot.reminders.service import ReminderService
from bot.telegram.metrics import Metrics
from bot.telegram.ratelimit import RateLimiter
from content.loader import Catalog, load_catalog
from storage.chats import ChatRepository
from storage.database import Database
from storage.db import open_database
from storage.quiz import QuizRepository
from storage.reminders import ReminderRepository
from storage.send_budget import shared_send_budget
from storage.state import SharedValues
from storage.users import UserRepository


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    catalog: Catalog
    library: Library
    profiles: Profiles
    limiter: RateLimiter
    quiz: QuizService
    reminders: ReminderService
    pictures: TimelinePictures
    admin_report: AdminReport
    shared: SharedValues  # what the replicas agree on (the webhook secret)
    metrics: Metrics
    # Tests drive the jobs by hand with a fake clock; production starts the scheduler.
    run_scheduler: bool = True
    scheduler: AsyncIOScheduler | None = None
    # What a graceful shutdown waits for before the database closes.
    inflight: InFlight = field(default_factory=InFlight)

    async def close(self) -> None:
        await self.db.close()


async def create_services(
    settings: Settings,
    clock: Clock,
    *,
    catalog: Catalog | None = None,
    database: Path | str | None = None,
    rng: random.Random | None = None,
) -> Services:
    """Load content (validated), open and migrate the database (``database``: a URL or a
    SQLite path; by default the settings' ``DATABASE_URL``), wire the services."""
    catalog = catalog or load_catalog()
    db = await open_database(database or settings.database)
    chats = ChatRepository(db, clock.now)
    users = UserRepository(db, clock.now)
    limiter = RateLimiter(clock, paid_broadcast=settings.paid_broadcast)
    limiter.shared = shared_send_budget(db)  # replicas on PostgreSQL share one budget
    profiles = Profiles(chats, users, settings.bot_default_language)
    quiz_repo = QuizRepository(db, clock.now)
    reminder_repo = ReminderRepository(db, clock.now)
    reminder_repo.lease = timedelta(seconds=settings.delivery_lease)
    zone = settings.bot_timezone
    reminders = ReminderService(reminder_repo, catalog, profiles, clock, zone, limiter.paid)
    metrics = Metrics()
    metrics.watch(
        queue_depth=lambda: limiter.waiting,
        # every delivery since the first (status_counts takes the earliest due time)
        delivery_counts=lambda: reminder_repo.status_counts(datetime.min.replace(tzinfo=UTC)),
    )
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        catalog=catalog,
        library=Library(catalog, clock, zone, rng),
        profiles=profiles,
        limiter=limiter,
        quiz=QuizService(quiz_repo, catalog, clock, limiter, zone, rng),
        reminders=reminders,
        pictures=TimelinePictures(catalog),
        admin_report=AdminReport(
            chats,
            users,
            reminder_repo,
            quiz_repo,
            clock,
            reminder_service=reminders,
            paid=limiter.paid,
        ),
        shared=SharedValues(db),
        metrics=metrics,
    )
