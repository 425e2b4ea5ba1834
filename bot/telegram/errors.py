"""Domain errors with a user-facing meaning: the errors router turns them into replies."""

from __future__ import annotations


class UserFacingError(Exception):
    """Something the user asked for cannot happen now; ``key`` names the interface string that
    says why (a reply to a message, an alert on a button)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
