"""The webhook is never open: with no WEBHOOK_SECRET the bot generates one, registers it with
setWebhook and checks it on every request; replicas on one database share it."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from test_shutdown import (
    TIMEOUT,
    assert_no_errors,
    bot_process,
    free_port,
    post,
    sent_to_alice,
    start_update,
)

from bot.app.config import Settings
from bot.app.container import Services, create_services
from bot.app.webhook import create_web_app, webhook_secret
from bot.clock import FakeClock, SystemClock
from bot.offline.server import BotApiServer
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from content.loader import Catalog

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def help_update(user: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
    return {
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 0, "chat": chat, "from": user,
            "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }  # fmt: skip


async def test_replicas_starting_together_generate_one_secret_and_check_it(
    tmp_path: Path,
    postgres_url: str | None,
    settings: Settings,
    clock: FakeClock,
    telegram: FakeTelegram,
    catalog: Catalog,
) -> None:
    database = postgres_url or tmp_path / "bot.sqlite3"
    replicas: list[Services] = [
        await create_services(
            settings, clock, catalog=catalog, database=database, rng=random.Random(n)
        )
        for n in range(3)
    ]
    try:
        secrets = await asyncio.gather(
            *(webhook_secret(None, replica.shared) for replica in replicas)
        )
        assert len(set(secrets)) == 1, "every replica checks the one secret Telegram was given"
        secret = secrets[0]
        assert len(secret) >= 32
        assert secret != await webhook_secret(SecretStr("configured"), replicas[0].shared)
        assert await webhook_secret(SecretStr("configured"), replicas[0].shared) == "configured"

        # Any replica accepts the shared secret and only it.
        world = offline_world(telegram, replicas[2])
        app = create_web_app(
            replicas[2], world.bot, world.dispatcher, path="/telegram", secret=secret
        )
        alice = world.user("Alice", "en")
        update = help_update(alice.user, alice.private)
        async with TestClient(TestServer(app)) as client:
            assert (await client.post("/telegram", json=update)).status == 401
            wrong = await client.post("/telegram", json=update, headers={SECRET_HEADER: "x"})
            assert wrong.status == 401
            assert world.messages(alice.private) == [], "nothing processed without the secret"
            right = await client.post("/telegram", json=update, headers={SECRET_HEADER: secret})
            assert right.status == 200
            assert "What I can do" in world.last_text(alice.private)
            health = await client.get("/healthz")
            backend = "postgresql" if postgres_url else "sqlite"
            health_report = await health.json()
            assert health_report["database"] == {"backend": backend, "ok": True}
    finally:
        for replica in replicas:
            await replica.close()


@pytest.mark.slow
async def test_the_bot_without_a_configured_secret_registers_and_checks_its_own(
    tmp_path: Path, postgres_url: str | None
) -> None:
    """The real `python -m bot webhook` with no WEBHOOK_SECRET; a restart keeps the secret."""
    telegram = FakeTelegram(SystemClock())
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/telegram"
    registered: list[str] = []
    async with (
        BotApiServer(telegram) as server,
        asyncio.timeout(TIMEOUT * 2),
        aiohttp.ClientSession() as http,
    ):
        for _ in range(2):
            async with bot_process(
                tmp_path, "webhook", database=postgres_url,
                BOT_TOKEN=telegram.token, TELEGRAM_API_URL=server.url, WEBHOOK_URL=webhook,
                WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port),
            ) as child:  # fmt: skip
                await child.wait_for_line("listening on")
                (set_webhook,) = [r for r in telegram.requests if r.method == "setWebhook"][
                    len(registered) :
                ]
                secret = str(set_webhook.params["secret_token"])
                registered.append(secret)
                update = start_update(server)
                before = sent_to_alice(telegram)
                assert await post(http, webhook, update, secret=None) == 401
                assert await post(http, webhook, update, secret="guess") == 401
                assert sent_to_alice(telegram) == before, "nothing processed without the secret"
                assert await post(http, webhook, update, secret=secret) == 200
                assert len(sent_to_alice(telegram)) == len(before) + 1
                child.process.terminate()
                assert await child.exit_code() == 0, child.stderr
            assert_no_errors(child)
    assert registered[0] == registered[1], "the restarted bot kept the secret Telegram has"
