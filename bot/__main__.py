"""Command line: ``python -m bot [run|demo|check-content]``."""

from __future__ import annotations

import sys

from content.loader import ContentError, load_catalog
from content.report import content_report


def check_content() -> int:
    try:
        catalog = load_catalog()
    except ContentError as error:
        print(error, file=sys.stderr)
        return 1
    print(content_report(catalog))
    return 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command == "check-content":
        return check_content()
    print(f"unknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
