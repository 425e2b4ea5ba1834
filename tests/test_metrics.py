"""/metrics end to end: updates through the real dispatcher and the offline Telegram (a 429 and
a handler error among them), then a scrape of the webhook app, parsed with prometheus-client's
own parser, and of the polling mode's server over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app.container import Services
from bot.app.metrics import add_metrics_route, serve_metrics
from bot.app.webhook import create_web_app
from bot.clock import FakeClock
from bot.offline.world import World
from bot.telegram.metrics import Metrics
from bot.telegram.pacing import Lane

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(app: web.Application) -> Samples:
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return parse(await response.text())


async def test_updates_requests_429s_and_errors_are_counted_exactly(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.run_scheduler = False
    alice, bob = world.user("Alice", "en"), world.user("Bob", "en")
    await alice.send("/fact")  # handled
    await alice.send("/nonsense")  # the fallback's hint: unhandled
    await bob.send_sticker()  # the fallback's "send text": unhandled
    await alice.inline("")  # handled
    await alice.press(world.last(alice.private), "forged:data")  # the fallback: expired
    world.telegram.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await bob.send("/fact")  # handled, after a 429 and a retry

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the fact store is broken")

    monkeypatch.setattr(services.library, "random_fact", broken)
    await alice.send("/fact")  # error (answered with the polite generic reply)

    # The webhook app: its start-up and shutdown hooks run around the scrape.
    samples = await scrape(
        create_web_app(services, world.bot, world.dispatcher, path="/telegram", secret="s")
    )

    assert value(samples, "nwfz_updates_total", kind="message", outcome="handled") == 2
    assert value(samples, "nwfz_updates_total", kind="message", outcome="unhandled") == 2
    assert value(samples, "nwfz_updates_total", kind="message", outcome="error") == 1
    assert value(samples, "nwfz_updates_total", kind="inline_query", outcome="handled") == 1
    assert value(samples, "nwfz_updates_total", kind="callback_query", outcome="unhandled") == 1
    assert value(samples, "nwfz_update_duration_seconds_count", kind="message") == 5
    assert value(samples, "nwfz_update_duration_seconds_count", kind="callback_query") == 1
    assert value(samples, "nwfz_telegram_retry_after_total", method="sendMessage") == 1
    assert value(samples, "nwfz_telegram_requests_total", method="sendMessage", outcome="ok") == 5
    assert (
        value(samples, "nwfz_telegram_requests_total", method="sendMessage", outcome="retry_after")
        == 1
    )
    assert (
        value(samples, "nwfz_telegram_requests_total", method="answerCallbackQuery", outcome="ok")
        == 1
    )
    # The same figures as the offline Telegram's own log of what reached it.
    sent = [r for r in world.telegram.requests if r.method == "sendMessage"]
    assert len([r for r in sent if r.error is None]) == 5
    assert len([r for r in sent if r.error and r.error.startswith("Too Many")]) == 1
    assert value(samples, "nwfz_send_queue_requests") == 0


async def test_queue_depth_and_deliveries_are_read_at_scrape_time(
    world: World, services: Services
) -> None:
    clock = services.clock
    assert isinstance(clock, FakeClock)
    app = web.Application()
    add_metrics_route(app, services.metrics)
    alice = world.user("Alice", "en")
    clock.set(datetime(2026, 8, 28, 20, 0, tzinfo=UTC))
    await alice.send("/subscribe")
    clock.set(datetime(2026, 8, 29, 4, 0, tzinfo=UTC))
    planned = await services.reminders.plan_due()
    assert planned > 0
    pacer = services.limiter.pacer
    for ticket in ("a", "b", "c"):
        pacer.push(ticket, alice.id, Lane.BULK)

    before = await scrape(app)
    assert value(before, "nwfz_send_queue_requests") == 3
    assert value(before, "nwfz_reminder_deliveries", status="pending") == planned
    assert value(before, "nwfz_reminder_deliveries", status="sent") == 0

    for ticket in ("a", "b", "c"):
        pacer.discard(ticket, alice.id, Lane.BULK)
    handled = await services.reminders.drain(world.bot)
    after = await scrape(app)
    assert handled == planned
    assert value(after, "nwfz_send_queue_requests") == 0
    assert value(after, "nwfz_reminder_deliveries", status="sent") == planned
    # No delivery is pending any more: the gauge says 0, not the figure of the last scrape.
    assert ("nwfz_reminder_deliveries", frozenset({("status", "pending")})) not in after


async def test_each_instance_has_its_own_registry(world: World, services: Services) -> None:
    other = Metrics()  # a second bot in the same process registers the same names
    other.updates.labels(kind="message", outcome="handled").inc(7)
    await world.user("Alice", "en").send("/fact")
    assert value(parse((await other.exposition()).decode()), "nwfz_updates_total",
                 kind="message", outcome="handled") == 7  # fmt: skip
    samples = parse((await services.metrics.exposition()).decode())
    assert value(samples, "nwfz_updates_total", kind="message", outcome="handled") == 1


async def test_polling_mode_serves_metrics_on_its_own_port(
    world: World, services: Services
) -> None:
    await world.user("Alice", "en").send("/help")
    runner = await serve_metrics(services.metrics, "127.0.0.1", 0)
    try:
        host, port = runner.addresses[0][:2]
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{host}:{port}/metrics") as response,
        ):
            assert response.status == 200
            samples = parse(await response.text())
    finally:
        await runner.cleanup()
    assert value(samples, "nwfz_updates_total", kind="message", outcome="handled") == 1
