"""Anniversary reminders: subscriptions, planning into the delivery table, and sending.

SQLite is the source of truth; the scheduler only calls ``plan_due`` (every minute) and
``drain`` (every few seconds), and start-up calls ``resume`` before the first update.

Planning never lets a moment fall through. The watermark (``planned_until``) says up to when
everything has been planned; each run plans from it to a little ahead of now, so the time
between two runs, and the time the bot was down, is always planned. Start-up plans before
polling begins (a reminder due in the first minute is queued when the first sending run
starts, right after start-up); the first ever start (or the first subscription) creates the
watermark. Settings apply from the moment they change: before a subscription, a change or an
unsubscribe, a watermark that is behind is caught up with the settings in force until then,
and a delivery that already fell due keeps the selection it was planned with.

Sending: due deliveries are claimed in batches of ``BATCH`` and sent ``CONCURRENCY`` at a
time; after downtime, deliveries due within ``CATCH_UP`` (6 h) are still sent and older ones
are recorded as ``missed``, never sent days late (the watermark plans even the time the bot was
down, so those are recorded too). What a sent delivery's outcome is, and why a reminder is
never sent twice, even when a replica is killed mid-way: ``delivery.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from aiogram import Bot

from bot.clock import Clock
from bot.profiles.service import Profiles
from bot.reminders import views
from bot.reminders.almanac import anniversaries_in, next_anniversaries
from bot.reminders.delivery import ReminderSender
from bot.reminders.planner import LEADS, ReminderRule, events_on, next_at_hour, plan_groups
from bot.reminders.types import (
    Delivery,
    DeliveryStatus,
    Planned,
    Scope,
    Selection,
    Subscription,
    SubscriptionStatus,
    Upcoming,
)
from bot.telegram.broadcast import PaidBroadcast
from bot.telegram.callbacks import ReminderSetting
from bot.telegram.errors import ButtonExpired, UserFacingError
from bot.telegram.i18n import Translator
from bot.telegram.parsing import parse_number
from bot.telegram.ratelimit import bulk_sends
from content.loader import Catalog
from content.models import CalendarEvent, Lang
from storage.reminders import ReminderRepository

log = logging.getLogger(__name__)

CATCH_UP = timedelta(hours=6)
PLAN_AHEAD = timedelta(minutes=10)
BATCH = 200
CONCURRENCY = 25  # requests in flight at once; the rate limiter sets the actual pace
PAID_CONCURRENCY = 200  # at 800 msg/s and ~0.1 s a request, 25 in flight would cap it
ZONES = frozenset(available_timezones())
# How the outcomes of a sending run are named in its log line: its status, but a delivery put
# back in the queue was retried, and one still claimed is another replica's now.
OUTCOME_NAMES = {status: str(status) for status in DeliveryStatus} | {
    DeliveryStatus.PENDING: "retried",
    DeliveryStatus.SENDING: "left to another replica",
}


class ReminderError(UserFacingError):
    """A reminder setting that cannot be applied."""


class ReminderService:
    def __init__(
        self,
        repo: ReminderRepository,
        catalog: Catalog,
        profiles: Profiles,
        clock: Clock,
        default_timezone: str,
        paid: PaidBroadcast | None = None,
    ) -> None:
        self.repo = repo
        self.paid = paid or PaidBroadcast(clock)  # off unless the limiter's is handed in
        self.catalog = catalog
        self.profiles = profiles
        self.clock = clock
        self.default_timezone = default_timezone
        self.sender = ReminderSender(repo, profiles, clock)
        self._stopping = False

    def zone(self, chat_timezone: str | None) -> str:
        """The time zone a chat lives in: its own, else the bot's."""
        return chat_timezone or self.default_timezone

    def _status(self, row: Subscription) -> SubscriptionStatus:
        zone = self.zone(row.timezone)
        return SubscriptionStatus(
            row, zone, next_at_hour(self.clock.now(), row.send_hour, ZoneInfo(zone))
        )

    # ---- subscriptions ------------------------------------------------------------------------

    async def subscribe(self, chat_id: int) -> SubscriptionStatus:
        async with self._subscription_change():
            await self.repo.subscribe(chat_id)
            return self._status(await self._replan(chat_id))

    async def unsubscribe(self, chat_id: int) -> bool:
        async with self._subscription_change():
            return await self.repo.unsubscribe(chat_id, self.clock.now())

    async def subscription(self, chat_id: int) -> SubscriptionStatus:
        return self._status(await self._row(chat_id))

    async def _row(self, chat_id: int) -> Subscription:
        found = await self.repo.get(chat_id)
        if found is None:
            raise ReminderError("reminders.not_subscribed")
        return found

    async def change(
        self, chat_id: int, setting: ReminderSetting, value: str
    ) -> SubscriptionStatus:
        async with self._subscription_change():
            await self._change(chat_id, setting, value)
            return self._status(await self._replan(chat_id))

    async def _change(self, chat_id: int, setting: ReminderSetting, value: str) -> None:
        current = await self._row(chat_id)
        if setting == ReminderSetting.SCOPE and value in {Scope.KEY, Scope.ALL}:
            await self.repo.update(chat_id, scope=Scope(value))
        elif setting == ReminderSetting.TOPIC and value in self.catalog.topics:
            topics = set(current.topics) ^ {value}
            scope = Scope.TOPICS if topics else Scope.KEY
            await self.repo.update(chat_id, scope=scope, topics=topics)
        elif (
            setting == ReminderSetting.LEAD
            and (lead := parse_number(value, 0, max(LEADS))) in LEADS
        ):
            leads = set(current.leads) ^ {lead}
            if not leads:
                raise ReminderError("reminders.need_a_lead")
            await self.repo.update(chat_id, leads=leads)
        elif setting == ReminderSetting.HOUR and (hour := parse_number(value, 0, 23)) is not None:
            await self.repo.update(chat_id, send_hour=hour)
        elif setting == ReminderSetting.TIMEZONE:
            await self.set_timezone(chat_id, value)
        else:
            raise ButtonExpired

    async def set_timezone(self, chat_id: int, name: str) -> None:
        name = name.strip()
        if name not in ZONES:
            raise ReminderError("reminders.bad_timezone")
        await self.profiles.set_timezone(chat_id, name)

    @asynccontextmanager
    async def _subscription_change(self) -> AsyncIterator[None]:
        """Around a subscription, a change or an unsubscribe. Whatever fell due before it is
        planned with the settings in force then: a watermark that is behind (no planning run
        yet, or a stalled scheduler) is caught up first; the first subscription ever creates
        it. No planning run interleaves, in any replica."""
        async with self.repo.planning_turn():
            watermark = await self.repo.watermark()
            if watermark is None or watermark < self.clock.now():
                await self._plan_due()
            yield

    async def _replan(self, chat_id: int) -> Subscription:
        """Re-plan one chat's deliveries from now to the watermark after its settings changed;
        later ones are the planning runs' work."""
        now = self.clock.now()
        await self.repo.drop_pending(chat_id, now)
        subscription = await self._row(chat_id)
        until = await self.repo.watermark()
        if until is not None and until > now and subscription.active:
            group = [(ReminderRule.of(subscription, self.default_timezone), [chat_id])]
            await self.repo.insert_planned(self._planned(group, now, until, now))
        return subscription

    # ---- planning -----------------------------------------------------------------------------

    async def resume(self) -> None:
        """Start-up, before the first update: deliveries left ``sending`` go back to the queue
        and everything due since the watermark (the downtime too) is planned, so a reminder
        due in the first minute is queued when the first sending run starts."""
        _log_released(await self.repo.recover_in_flight(self.clock.now()))
        await self.plan_due()

    async def plan_due(self) -> int:
        """Plan every delivery due between the watermark and a little ahead of now; with no
        watermark yet (the first start), from now. Returns how many rows were inserted."""
        async with self.repo.planning_turn():
            return await self._plan_due()

    async def _plan_due(self) -> int:
        now = self.clock.now()
        start = await self.repo.watermark() or now
        end = now + PLAN_AHEAD
        if start >= end:
            return 0
        groups = await self.rule_groups()
        inserted = await self.repo.insert_planned(self._planned(groups, start, end, now))
        await self.repo.set_watermark(end)
        if inserted.total():
            log.info(
                "reminders planned: %s pending, %s missed (due %s to %s)",
                inserted[DeliveryStatus.PENDING], inserted[DeliveryStatus.MISSED],
                start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds"),
            )  # fmt: skip
        return inserted.total()

    async def rule_groups(self) -> list[tuple[ReminderRule, list[int]]]:
        """The active subscriptions as rules, each with the chats that share it."""
        rows = await self.repo.active_groups()
        return [(ReminderRule.of(row, self.default_timezone), chats) for row, chats in rows]

    def _planned(
        self,
        groups: Iterable[tuple[ReminderRule, Sequence[int]]],
        start: datetime,
        end: datetime,
        now: datetime,
    ) -> Iterator[tuple[Planned, Selection, DeliveryStatus]]:
        """Deliveries due in ``[start, end)`` with the selection each is about and its first
        status: due more than ``CATCH_UP`` before ``now`` is already missed."""
        for rule, chat_ids in groups:
            for item in plan_groups(self.catalog.calendar, [(rule, chat_ids)], start, end):
                late = item.due_at < now - CATCH_UP
                yield (
                    item,
                    rule.selection,
                    DeliveryStatus.MISSED if late else DeliveryStatus.PENDING,
                )

    # ---- sending ------------------------------------------------------------------------------

    async def drain(self, bot: Bot) -> int:
        """Send everything that is due, in batches, until ``stop_after_batch``; returns how many
        deliveries were handled. A run that handled any logs one line with the outcomes."""
        handled = 0
        outcomes: Counter[DeliveryStatus] = Counter()
        limit = asyncio.Semaphore(PAID_CONCURRENCY if self.paid.active else CONCURRENCY)

        async def deliver(delivery: Delivery) -> None:
            async with limit:
                try:
                    outcomes[await self._deliver(bot, delivery)] += 1
                except Exception as error:  # a bug with one chat must not stop the others
                    log.exception("reminder %s failed", delivery.key)
                    await self.repo.mark(delivery, DeliveryStatus.FAILED, error=repr(error)[:200])
                    outcomes[DeliveryStatus.FAILED] += 1

        _log_released(await self.repo.requeue_expired(self.clock.now()))
        async with self.paid.fan_out(bot):  # with paid broadcast on: its Stars spent
            while not self._stopping:
                batch = await self.repo.claim_due(self.clock.now(), BATCH)
                if not batch:
                    break
                async with asyncio.TaskGroup() as group:
                    with bulk_sends():  # reminders take the slots that replies to people leave
                        for delivery in batch:
                            group.create_task(deliver(delivery))
                handled += len(batch)
        if handled:
            log.info(
                "reminders handled: %s (%s)",
                handled,
                ", ".join(f"{OUTCOME_NAMES[status]} {n}" for status, n in outcomes.items()),
            )
        return handled

    def stop_after_batch(self) -> None:
        """Shutdown: the batch already claimed is sent, nothing more is claimed (a claimed
        delivery left unsent would be sent again at the next start: a possible duplicate)."""
        self._stopping = True

    async def _deliver(self, bot: Bot, delivery: Delivery) -> DeliveryStatus:
        """Send one delivery; returns the status it was marked with."""
        now = self.clock.now()
        if delivery.due_at < now - CATCH_UP:
            return await self.sender.mark(
                delivery, DeliveryStatus.MISSED, "older than the catch-up window"
            )
        chat = await self.profiles.chats.get(delivery.chat_id)
        if chat is not None and not chat.active:
            return await self.sender.mark(delivery, DeliveryStatus.SKIPPED, "the chat is inactive")
        selection = delivery.selection
        if selection is None:  # planned before rows kept their selection
            subscription = await self.repo.get(delivery.chat_id)
            if subscription is None:
                return await self.sender.mark(delivery, DeliveryStatus.SKIPPED, "unsubscribed")
            selection = Selection(subscription.scope, subscription.topics)
        events = events_on(self.catalog.calendar, delivery.occurrence, selection)
        if not events:
            return await self.sender.mark(
                delivery, DeliveryStatus.SKIPPED, "no events match the selection"
            )
        lang = await self.profiles.chat_language(chat) if chat else self.profiles.default
        screen = views.reminder(
            self.catalog,
            Translator(self.catalog.ui, lang),
            events,
            delivery.occurrence,
            delivery.lead,
        )
        return await self.sender.send(bot, delivery, screen)

    # ---- what users read ----------------------------------------------------------------------

    def upcoming(self, chat_timezone: str | None, count: int) -> Upcoming:
        """The next ``count`` anniversaries from the chat's local today."""
        zone = self.zone(chat_timezone)
        today = self.clock.now().astimezone(ZoneInfo(zone)).date()
        return Upcoming(zone, today, next_anniversaries(self.catalog.calendar, today, count))

    def anniversaries(
        self, year: int, month: int | None = None
    ) -> list[tuple[date, CalendarEvent]]:
        """The key dates of ``year``, or every date of one ``month`` of it (a month is short
        enough to list them all)."""
        selection = Selection(Scope.ALL if month else Scope.KEY)
        return anniversaries_in(self.catalog.calendar, selection, year, month)

    def ics(self, lang: Lang) -> bytes:
        """All calendar events as yearly all-day events (RFC 5545), in ``lang``."""
        # Imported on first use: icalendar is a few megabytes that a bot nobody asks for a
        # calendar file should not load at start-up.
        from bot.reminders.ics import anniversaries_ics  # noqa: PLC0415

        name = Translator(self.catalog.ui, lang).plain("reminders.ics_name")
        return anniversaries_ics(self.catalog, lang, name, self.clock.now())


def _log_released(released: Counter[DeliveryStatus]) -> None:
    """The claims of a process that died, released (``storage/reminders.py``)."""
    if released.total():
        log.warning(
            "reminders claimed by a process that stopped: %s sent again (their requests had"
            " not left), %s recorded unknown (theirs may have: never sent twice)",
            released[DeliveryStatus.PENDING], released[DeliveryStatus.UNKNOWN],
        )  # fmt: skip
