"""``/metrics`` over HTTP: a route on the webhook server, or in polling mode a small server of
its own on METRICS_PORT (polling has no web server to share, and without the variable none is
opened)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.telegram.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

METRICS_KEY = web.AppKey("metrics", Metrics)
METRICS_PATH = "/metrics"


def add_metrics_route(app: web.Application, metrics: Metrics) -> None:
    app[METRICS_KEY] = metrics
    app.router.add_get(METRICS_PATH, metrics_endpoint)


async def metrics_endpoint(request: web.Request) -> web.Response:
    body = await request.app[METRICS_KEY].exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def serve_metrics(metrics: Metrics, host: str, port: int) -> web.AppRunner:
    """Start the polling mode's metrics server; the caller cleans the runner up."""
    app = web.Application()
    add_metrics_route(app, metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("metrics on %s:%s%s", host, port, METRICS_PATH)
    return runner
