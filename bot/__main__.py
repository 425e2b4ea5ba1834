"""Command line: ``python -m bot [run|webhook|demo|check-content|qr|backup|copy-database]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from bot.app.config import Settings
from bot.app.demo import run_demo
from bot.app.dispatcher import create_bot
from bot.app.runner import run_polling, run_webhook
from bot.library.deeplinks import (
    SUBSCRIBE_PAYLOAD,
    deep_link,
    qr_png,
    qr_svg,
    quiz_payload,
    topic_payload,
    with_language,
)
from bot.telegram.middlewares.logs import configure_logging
from content.guarantees import check_guarantees
from content.loader import ContentError, load_catalog
from content.models import LANGS
from content.report import content_report, guarantees_report
from storage.copy import copy_database
from storage.database import StorageError
from storage.db import backup_database, is_postgres, sqlite_path
from storage.postgres import open_postgres
from storage.sqlite import open_sqlite

USAGE = """usage: python -m bot [command]

  run (default)   run the bot with long polling (needs BOT_TOKEN)
  webhook         run behind an aiohttp web server (needs BOT_TOKEN and WEBHOOK_URL)
  demo            chat with the bot in this terminal: no token, no network
  check-content [--today YYYY-MM-DD]
                  validate all content (numbers against sources, review dates, sources in
                  ru/en/kk) and print counts per language
  qr KIND [TOPIC] [--lang xx] [--group] [--bot NAME] [--out file.png|file.svg]
                  print a deep link (KIND: topic, quiz, subscribe) and write its QR code
  backup PATH     copy the SQLite database (DATABASE_URL/DATABASE_PATH) to PATH, also while
                  the bot runs (PostgreSQL: use pg_dump)
  copy-database --to postgresql://user@host:port/db
                  copy the SQLite database's rows into an empty PostgreSQL database (migrated
                  first); then set DATABASE_URL to it"""


def check_content(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot check-content")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="judge review dates as of this day (YYYY-MM-DD) instead of today",
    )
    options = parser.parse_args(args)
    try:
        catalog = load_catalog()
    except ContentError as error:
        print(error, file=sys.stderr)
        return 1
    # The local calendar day is what a content reviewer means by "today".
    today = options.today or date.today()  # noqa: DTZ011
    findings = check_guarantees(catalog, today)
    print(content_report(catalog))
    print()
    print(guarantees_report(catalog, findings))
    if findings.problems:
        print(ContentError(findings.problems), file=sys.stderr)
        return 1
    return 0


def _token(settings: Settings) -> str | None:
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        print(
            "BOT_TOKEN is not set. Export the token from @BotFather (or put it in .env),\n"
            "or try the bot without one: python -m bot demo",
            file=sys.stderr,
        )
        return None
    return settings.bot_token.get_secret_value().strip()


def run(args: list[str]) -> int:
    settings = Settings()
    token = _token(settings)
    if token is None:
        return 2
    configure_logging(logging.INFO, settings.log_format, token)
    asyncio.run(run_polling(settings, token))
    return 0


def webhook(args: list[str]) -> int:
    settings = Settings()
    token = _token(settings)
    if token is None:
        return 2
    if not settings.webhook_url:
        print(
            "WEBHOOK_URL is not set: the public HTTPS address Telegram should post to",
            file=sys.stderr,
        )
        return 2
    configure_logging(logging.INFO, settings.log_format, token)
    asyncio.run(run_webhook(settings, token))
    return 0


def qr(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot qr", description="deep link and QR code")
    parser.add_argument("kind", choices=["topic", "quiz", "subscribe"])
    parser.add_argument("topic", nargs="?", default=None)
    parser.add_argument("--lang", choices=list(LANGS), default=None)
    parser.add_argument("--group", action="store_true", help="open in a group (?startgroup=)")
    parser.add_argument(
        "--bot", default=os.environ.get("BOT_USERNAME"), help="the bot's @username"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the QR code (.png or .svg)")
    options = parser.parse_args(args)
    catalog = load_catalog()
    # A topic link needs a topic; a quiz link may name one; a subscribe link takes none.
    names_topic = options.kind == "topic" or (options.kind == "quiz" and options.topic is not None)
    if names_topic and options.topic not in catalog.topics:
        print(
            f"unknown topic {options.topic!r}; topics: {', '.join(catalog.topics)}",
            file=sys.stderr,
        )
        return 2
    username = options.bot or asyncio.run(_username())
    if not username:
        print(
            "name the bot: --bot USERNAME, BOT_USERNAME, or BOT_TOKEN to ask Telegram",
            file=sys.stderr,
        )
        return 2
    if options.kind == "topic":
        payload = topic_payload(options.topic)
    elif options.kind == "quiz":
        payload = quiz_payload(options.topic)
    else:
        payload = SUBSCRIBE_PAYLOAD
    link = deep_link(username, with_language(payload, options.lang), group=options.group)
    print(link)
    if options.out is not None:
        suffix = options.out.suffix.lower()
        if suffix not in {".png", ".svg"}:
            print("--out must end in .png or .svg", file=sys.stderr)
            return 2
        options.out.write_bytes(qr_png(link) if suffix == ".png" else qr_svg(link))
        print(f"QR code written to {options.out}")
    return 0


async def _username() -> str | None:
    settings = Settings()
    if settings.bot_token is None:
        return None
    bot = create_bot(settings.bot_token.get_secret_value(), settings.telegram_api_url)
    try:
        return (await bot.get_me()).username
    finally:
        await bot.session.close()


def backup(args: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot backup",
        description="a consistent copy of the database, also while the bot runs",
    )
    parser.add_argument("path", type=Path, help="where to write the copy")
    options = parser.parse_args(args)
    database = Settings().database
    if is_postgres(database):
        raise StorageError(
            "backup copies a SQLite database; DATABASE_URL names PostgreSQL: back it up with"
            " pg_dump (or the server's own backups)"
        )
    source = Path(sqlite_path(database))
    backup_database(source, options.path)
    print(f"backed up {source} to {options.path}")
    return 0


def copy_to_postgres(args: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot copy-database",
        description="copy the SQLite database (DATABASE_URL or DATABASE_PATH) into an empty"
        " PostgreSQL database",
    )
    parser.add_argument("--to", required=True, metavar="postgresql://user@host:port/db")
    options = parser.parse_args(args)
    source = Settings().database
    try:
        if is_postgres(source):
            raise StorageError("copy-database reads a SQLite database; DATABASE_URL is PostgreSQL")
        if not is_postgres(options.to):
            raise StorageError("--to must be a postgresql:// URL")
        if not Path(sqlite_path(source)).is_file():  # opening it would create an empty one
            raise StorageError(f"no database at {sqlite_path(source)}: check DATABASE_URL")
        counts = asyncio.run(copy_rows(sqlite_path(source), options.to))
    except StorageError as error:
        print(f"cannot copy: {error}", file=sys.stderr)
        return 1
    for table, count in counts.items():
        print(f"{table:<15} {count:>9,}")
    print(f"copied {sum(counts.values()):,} rows from {sqlite_path(source)}")
    return 0


async def copy_rows(source_path: str, target_url: str) -> dict[str, int]:
    source = await open_sqlite(source_path)
    try:
        target = await open_postgres(target_url)
        try:
            return await copy_database(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


def demo(args: list[str]) -> int:
    return asyncio.run(run_demo())


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    configure_logging(logging.WARNING, "text", None)
    commands = {
        "run": run, "webhook": webhook, "demo": demo, "check-content": check_content, "qr": qr,
        "backup": backup, "copy-database": copy_to_postgres,
    }  # fmt: skip
    if command not in commands:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        return commands[command](argv[1:])
    except (ContentError, StorageError, ValidationError) as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
