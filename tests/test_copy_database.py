"""``python -m bot copy-database``: a SQLite database that served users (subscriptions, quiz
scores, deliveries) copied into PostgreSQL, then the bot started on the copy shows the same."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.config import Settings
from bot.app.container import create_services
from bot.clock import FakeClock
from bot.offline.telegram import FakeTelegram
from bot.offline.wiring import offline_world
from bot.offline.world import Actor, World
from content.loader import Catalog
from storage.copy import COPY_ORDER
from tests.vocabulary import start_group_game

ROOT = Path(__file__).resolve().parent.parent
OWNER = 424242  # BOT_ADMIN_IDS in the test settings

pytestmark = [
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
    pytest.mark.slow,  # each test runs the CLI in a process of its own
]


async def copy_command(sqlite_file: Path, target: str) -> tuple[int, str, str]:
    environment = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    environment.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(sqlite_file))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "copy-database", "--to", target,
        cwd=sqlite_file.parent, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def screens(world: World, owner: Actor, alice: Actor, group: dict[str, object]) -> list[str]:
    """What the owner, a subscriber and a group see of the stored data."""
    await owner.send("/admin")
    report = world.last_text(owner.private)
    await alice.send("/reminders")
    settings = world.last_text(alice.private)
    await alice.send("/stats")
    stats = world.last_text(alice.private)
    await owner.send("/top", chat=group)
    top = world.last_text(group)
    return [report, settings, stats, top]


async def test_copy_to_postgresql_then_the_bot_on_the_copy_sees_the_same(
    tmp_path: Path,
    postgres_url: str,
    settings: Settings,
    clock: FakeClock,
    telegram: FakeTelegram,
    catalog: Catalog,
) -> None:
    sqlite_file = tmp_path / "bot.sqlite3"
    services = await create_services(
        settings, clock, catalog=catalog, database=sqlite_file, rng=random.Random(1)
    )
    world = offline_world(telegram, services)
    owner, alice = world.user("Owner", "en"), world.user("Alice", "en")
    owner.user["id"] = owner.private["id"] = OWNER
    telegram.add_chat(owner.private)
    group = world.group("Club", {owner: "creator", alice: "member"})
    for actor, chat in ((alice, alice.private), (owner, group)):
        await actor.send("/subscribe", chat=chat)
    await services.reminders.plan_due()  # the watermark
    clock.advance(timedelta(days=370))  # a year of reminders falls due: deliveries
    await services.reminders.plan_due()
    await start_group_game(group, owner, alice)
    poll = world.last_poll(group)
    await owner.answer_poll(poll, world.right_option(poll))
    await alice.answer_poll(poll, world.right_option(poll))
    deliveries = await services.reminders.repo.statuses()
    assert deliveries, "the database holds deliveries"
    before = await screens(world, owner, alice, group)
    last_round = await services.db.fetch_value("SELECT MAX(id) FROM quiz_rounds")
    await services.close()

    code, out, err = await copy_command(sqlite_file, postgres_url)
    assert code == 0, err
    counts = {
        line.split()[0]: int(line.split()[1].replace(",", "")) for line in out.splitlines()[:-1]
    }
    assert list(counts) == list(COPY_ORDER)
    for table in ("chats", "users", "subscriptions", "deliveries", "quiz_scores", "quiz_answers"):
        assert counts[table] > 0, table
    assert counts["deliveries"] == len(deliveries)

    copy = await create_services(
        settings, clock, catalog=catalog, database=postgres_url, rng=random.Random(1)
    )
    try:
        fresh = offline_world(telegram, copy)
        world.bot, world.dispatcher = fresh.bot, fresh.dispatcher  # the same people, new bot
        assert await copy.reminders.repo.statuses() == deliveries
        assert await screens(world, owner, alice, group) == before
        # The identity sequence was moved past the copied rounds: a new game gets a new id.
        await alice.send("/quiz canwfz")
        opened = await copy.quiz.repo.open_round(alice.private["id"])
        assert opened is not None and opened.id > last_round
    finally:
        await copy.close()

    code, out, err = await copy_command(sqlite_file, postgres_url)
    assert code != 0 and "not empty" in err and "cannot copy" in err
    assert out == ""


async def test_copy_refuses_what_it_cannot_copy(tmp_path: Path, postgres_url: str) -> None:
    code, _, err = await copy_command(tmp_path / "absent.sqlite3", postgres_url)
    assert code != 0 and "no database at" in err
    code, _, err = await copy_command(tmp_path / "absent.sqlite3", "sqlite:///elsewhere")
    assert code != 0 and "postgresql://" in err
