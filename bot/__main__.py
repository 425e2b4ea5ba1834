"""Command line: ``python -m bot [run|demo|check-content]``."""

from __future__ import annotations

import asyncio
import logging
import sys

from pydantic import ValidationError

from bot.config import Settings
from bot.demo import run_demo
from bot.runner import run_polling
from content.loader import ContentError, load_catalog
from content.report import content_report
from storage.db import StorageError

USAGE = """usage: python -m bot [command]

  run (default)   run the bot with long polling (needs BOT_TOKEN)
  demo            chat with the bot in this terminal: no token, no network
  check-content   validate all content and print counts per language"""


def check_content() -> int:
    try:
        catalog = load_catalog()
    except ContentError as error:
        print(error, file=sys.stderr)
        return 1
    print(content_report(catalog))
    return 0


def run() -> int:
    settings = Settings()
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        print(
            "BOT_TOKEN is not set. Export the token from @BotFather (or put it in .env),\n"
            "or try the bot without one: python -m bot demo",
            file=sys.stderr,
        )
        return 2
    asyncio.run(run_polling(settings, settings.bot_token.get_secret_value()))
    return 0


def demo() -> int:
    return asyncio.run(run_demo())


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    logging.basicConfig(
        level=logging.WARNING if command == "demo" else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    commands = {"run": run, "demo": demo, "check-content": check_content}
    if command not in commands:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        return commands[command]()
    except (ContentError, StorageError, ValidationError) as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
