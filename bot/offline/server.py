"""The offline Telegram over real HTTP: ``/bot{token}/{method}`` answered by ``FakeTelegram``.

A bot started as its own process (``TELEGRAM_API_URL=http://127.0.0.1:PORT``) talks to it
through aiogram's real aiohttp session. Form fields (urlencoded or multipart, files as parts
with a filename) and JSON bodies are accepted; the answer is exactly what
``FakeTelegram.handle`` returns, with its HTTP status. ``getUpdates`` long-polls: it waits up
to ``timeout`` seconds for ``push_update``. ``hold(method)`` keeps that method's requests
waiting until released, so a test can catch a handler in the middle of a request.

``latency=(low, high)`` delays every request by a random time in that range (seconds, on the
FakeTelegram's clock) before Telegram sees it: the jitter of a real network, which moves
requests closer together than the bot sent them. Telegram counts its limits on arrival, so
this is what the bot's pacing margin has to absorb.

``python -m bot.offline.server --port N [--latency-ms LOW-HIGH]`` runs one with a fresh
FakeTelegram on the system clock, enforcing Telegram's limits strictly
(``RateLimits.strict()``), and prints its URL; the bot token is that FakeTelegram's
(``FakeTelegram.token``). A server in its own process is what a real-time measurement needs:
Telegram is remote, so the bot's busy event loop must not delay (and so bunch) the moment a
request reaches it. Three routes under ``/offline/`` let the process that drives it see
inside: ``GET /offline/token``, ``POST /offline/chats`` (a JSON list of chats to add) and
``GET /offline/requests`` (every request as it was counted: method, chat, time, error).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
from collections import defaultdict
from typing import Any

from aiohttp import web

from bot.clock import SystemClock
from bot.offline.records import RateLimits
from bot.offline.telegram import FakeTelegram


class Hold:
    def __init__(self) -> None:
        self.arrived = asyncio.Event()  # set when the first held request comes in
        self._released = asyncio.Event()

    def release(self) -> None:
        """Answer the held requests, and later ones without holding them."""
        self._released.set()

    async def wait_released(self) -> None:
        await self._released.wait()


class BotApiServer:
    def __init__(
        self,
        telegram: FakeTelegram,
        *,
        latency: tuple[float, float] = (0.0, 0.0),
        rng: random.Random | None = None,
    ) -> None:
        self.telegram = telegram
        self.latency = latency
        self._rng = rng or random.Random()
        self.in_transit = 0  # requests on their (simulated) way to Telegram
        self.calls: list[str] = []  # methods in the order their requests arrived
        self._arrived: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._holds: dict[str, Hold] = {}
        self._pushed = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.app.router.add_get("/offline/token", self._token)
        self.app.router.add_post("/offline/chats", self._add_chats)
        self.app.router.add_get("/offline/requests", self._requests)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """``FakeTelegram.push_update``, and wake the getUpdates requests waiting for it."""
        pushed = self.telegram.push_update(update)
        self._pushed.set()
        self._pushed = asyncio.Event()
        return pushed

    def arrived(self, method: str) -> asyncio.Event:
        """Set once a request for ``method`` has come in."""
        return self._arrived[method]

    def hold(self, method: str) -> Hold:
        hold = self._holds[method] = Hold()
        return hold

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        # Handlers are cancelled when the client goes away: a long poll the bot abandoned
        # (it stopped polling) must not be answered, and so recorded, later.
        self._runner = web.AppRunner(self.app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        return self.url

    async def close(self) -> None:
        for hold in self._holds.values():
            hold.release()  # a request still held would keep the server's shutdown waiting
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        self._arrived[method].set()
        params, files = await _read_params(request)
        hold = self._holds.get(method)
        if hold is not None:
            hold.arrived.set()
            await hold.wait_released()
        await self._travel()
        if method == "getUpdates":
            await self._long_poll(params)
        status, payload = self.telegram.handle(request.match_info["token"], method, params, files)
        return web.json_response(payload, status=status)

    async def _token(self, _: web.Request) -> web.Response:
        return web.json_response({"token": self.telegram.token})

    async def _add_chats(self, request: web.Request) -> web.Response:
        chats = await request.json()
        for chat in chats:
            self.telegram.add_chat(chat)
        return web.json_response({"added": len(chats)})

    async def _requests(self, _: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "method": seen.method,
                    "chat_id": seen.params.get("chat_id"),
                    "at": seen.at.isoformat(),
                    "error": seen.error,
                }
                for seen in self.telegram.requests
            ]
        )

    async def _travel(self) -> None:
        low, high = self.latency
        if high <= 0:
            return
        self.in_transit += 1
        try:
            await self.telegram.clock.sleep(self._rng.uniform(low, high))
        finally:
            self.in_transit -= 1

    async def _long_poll(self, params: dict[str, str]) -> None:
        """Wait until an update at or after ``offset`` is queued, at most ``timeout`` s."""
        offset = int(params.get("offset") or 0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        while not self.telegram.webhook_url and not any(
            update["update_id"] >= offset for update in self.telegram.updates
        ):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(self._pushed.wait(), remaining)
            except TimeoutError:
                return


async def _read_params(
    request: web.Request,
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Form fields as strings (what FakeTelegram.handle takes) and file parts by field name."""
    params: dict[str, str] = dict(request.query)
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        body = await request.json()
        for key, value in body.items():
            if value is not None:
                params[key] = value if isinstance(value, str) else json.dumps(value)
        return params, files
    for key, field in (await request.post()).items():
        if isinstance(field, web.FileField):
            files[key] = (field.filename, field.file.read())
        else:  # a multipart part without a text/* type comes as bytes
            params[key] = field if isinstance(field, str) else bytes(field).decode()
    return params, files


async def serve(host: str, port: int, latency: tuple[float, float]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    telegram = FakeTelegram(SystemClock(), limits=RateLimits.strict())
    server = BotApiServer(telegram, latency=latency)
    print(await server.start(host, port), flush=True)  # noqa: T201 (the caller reads the URL)
    try:
        await stop.wait()
    finally:
        await server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.offline.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument(
        "--latency-ms",
        type=_latency_ms,
        default=(0.0, 0.0),
        metavar="LOW-HIGH",
        help="delay each request by a random time in this range, e.g. 20-120",
    )
    options = parser.parse_args(argv)
    asyncio.run(serve(options.host, options.port, options.latency_ms))


def _latency_ms(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    try:
        bounds = float(low) / 1000, float(high or low) / 1000
    except ValueError:
        raise argparse.ArgumentTypeError(f"not LOW-HIGH milliseconds: {text!r}") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"need 0 <= LOW <= HIGH: {text!r}")
    return bounds


if __name__ == "__main__":
    main()
