"""Whole numbers typed by users or carried in callback data.

``str.isdigit()`` is not a guard for ``int()``: it accepts "²" and "①", which ``int()``
rejects. Only ASCII digits (with an optional minus) are numbers here.
"""

from __future__ import annotations

import re

_INTEGER = re.compile(r"-?[0-9]{1,18}")


def parse_number(text: str, low: int, high: int) -> int | None:
    """``text`` as an int in ``low..high`` (inclusive), or None for anything else."""
    if _INTEGER.fullmatch(text) is None:
        return None
    value = int(text)
    return value if low <= value <= high else None
