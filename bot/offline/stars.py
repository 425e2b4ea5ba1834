"""Paid broadcast in the Bot API emulator: the bot's Star balance and the 1,000/s budget.

As the Bot API documents it (7.11, 9.1): a message sent with ``allow_paid_broadcast`` costs
0.1 Star, taken from the bot's balance when the message is delivered; such messages may go at
up to 1,000 a second overall, where the free ones stop at 30; a chat's own limits stay; the
feature needs a balance of at least 10,000 Stars. ``getMyStarBalance`` returns a StarAmount.
The emulator charges every paid message (Telegram says it charges only those over the free
30 a second: the emulator is the stricter of the two). The refusal's words are not documented;
the emulator answers ``BALANCE_TOO_LOW``, Telegram's error for a Stars balance that is short.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.offline.records import bad_request

NANOSTARS_PER_STAR = 1_000_000_000
NANOSTARS_PER_MESSAGE = NANOSTARS_PER_STAR // 10  # 0.1 Star
MINIMUM_BALANCE = 10_000 * NANOSTARS_PER_STAR
PAID_PER_SECOND = 1000


class StarBalance:
    def __init__(self, stars: Decimal | int = 0) -> None:
        self.nanostars = int(Decimal(stars) * NANOSTARS_PER_STAR)  # exact: no float drift
        self.paid_messages = 0
        self._sent: deque[datetime] = deque()  # every message, paid or not, in the last second

    @property
    def stars(self) -> Decimal:
        return Decimal(self.nanostars) / NANOSTARS_PER_STAR

    def payload(self) -> dict[str, Any]:
        """A StarAmount: whole Stars rounded toward 0 and the rest in nanostars."""
        whole = int(self.nanostars / NANOSTARS_PER_STAR)
        rest = self.nanostars - whole * NANOSTARS_PER_STAR
        return {"amount": whole, "nanostar_amount": rest} if rest else {"amount": whole}

    def check_balance(self) -> None:
        """Before a paid message: refused unless the balance holds the feature's minimum."""
        if self.nanostars < MINIMUM_BALANCE:
            raise bad_request("BALANCE_TOO_LOW")

    def wait(self, now: datetime) -> timedelta | None:
        """How long a paid message must wait for the 1,000 in any second; None: it may go."""
        while self._sent and now - self._sent[0] >= timedelta(seconds=1):
            self._sent.popleft()
        if len(self._sent) >= PAID_PER_SECOND:
            return self._sent[0] + timedelta(seconds=1) - now
        return None

    def count(self, now: datetime) -> None:
        """Every message that goes counts toward the paid 1,000 a second."""
        self._sent.append(now)

    def charge(self) -> None:
        """A paid message was delivered."""
        self.nanostars -= NANOSTARS_PER_MESSAGE
        self.paid_messages += 1
