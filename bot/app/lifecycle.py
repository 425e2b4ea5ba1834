"""Start-up and shutdown hooks: token check, command menus, background jobs."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)

from bot.app.container import Services
from bot.app.scheduler import Job, create_scheduler
from bot.telegram.commands import Where, commands_for
from bot.telegram.i18n import Translator
from content.models import LANGS

log = logging.getLogger(__name__)

# Jobs whose first run is as the scheduler starts rather than one interval later: the sending
# run right after start-up's planning, so a reminder due in the first minute goes out on time.
RUN_AT_START = frozenset({"reminders-send"})


def background_jobs(bot: Bot, services: Services) -> dict[str, tuple[Job, float]]:
    """The scheduler's fixed jobs: name -> (job, interval in seconds). Tests that drive time by
    hand run these same jobs on the same cadence."""
    return {
        "quiz-tick": (lambda: services.quiz.tick(bot), 1.0),
        "reminders-plan": (services.reminders.plan_due, 60.0),
        "reminders-send": (lambda: services.reminders.drain(bot), 2.0),
    }


async def on_startup(bot: Bot, services: Services) -> None:
    me = await bot.get_me()  # the token check: a bad token fails here, before polling
    log.info("started as @%s (id %s)", me.username, me.id)
    await set_command_menus(bot, services)
    await set_profile_texts(bot, services)
    # Before polling (or the webhook) takes the first update: the downtime is planned and the
    # in-flight deliveries are queued again, so the first sending run finds what is due.
    await services.reminders.resume()
    if services.run_scheduler:
        # APScheduler 3.11 needs the running loop, so it starts here and not at import.
        services.scheduler = create_scheduler(
            background_jobs(bot, services), services.inflight, run_at_start=RUN_AT_START
        )
        services.scheduler.start()


async def on_shutdown(bot: Bot, services: Services) -> None:
    """Runs once updates stop coming in; the runners close the database after it."""
    timeout = services.settings.shutdown_timeout
    log.info("shutting down: waiting up to %.1f s for updates and jobs in flight", timeout)
    services.reminders.stop_after_batch()
    scheduler = services.scheduler
    if scheduler is not None:
        # Paused, not shut down yet: APScheduler's shutdown cancels the runs in progress.
        scheduler.pause()
    cut_off = await services.inflight.wait_idle(timeout)
    if cut_off:
        log.warning(
            "%s task(s) still running after SHUTDOWN_TIMEOUT (%.1f s): cut off", cut_off, timeout
        )
        services.inflight.cancel()
        # A cancelled task only unwinds; it must be gone before the database closes.
        await services.inflight.wait_idle(timeout)
    if scheduler is not None:
        scheduler.shutdown(wait=False)
        services.scheduler = None
    log.info("shutdown complete")


async def set_command_menus(bot: Bot, services: Services) -> None:
    ui = services.catalog.ui
    scopes = (
        (BotCommandScopeAllPrivateChats(), Where.PRIVATE),
        (BotCommandScopeAllGroupChats(), Where.GROUP),
    )
    for lang in (None, *LANGS):
        t = Translator(ui, lang or services.settings.bot_default_language)
        for scope, where in scopes:
            commands = [
                BotCommand(command=spec.name, description=t.plain(spec.description_key))
                for spec in commands_for(where)
            ]
            await bot.set_my_commands(commands, scope=scope, language_code=lang)
        if lang is None:
            default = [
                BotCommand(command=spec.name, description=t.plain(spec.description_key))
                for spec in commands_for(Where.PRIVATE)
            ]
            await bot.set_my_commands(default, scope=BotCommandScopeDefault())


async def set_profile_texts(bot: Bot, services: Services) -> None:
    """What Telegram shows before anyone writes (the empty chat a poster's QR code opens) and
    on the bot's profile and share card, in each language. The default goes to users whose
    app speaks none of them, whom the bot answers in English (i18n.resolve_language)."""
    for lang in (None, *LANGS):
        t = Translator(services.catalog.ui, lang or "en")
        await bot.set_my_description(t.plain("profile.description"), language_code=lang)
        await bot.set_my_short_description(
            t.plain("profile.short_description"), language_code=lang
        )
