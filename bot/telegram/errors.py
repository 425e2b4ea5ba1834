"""Domain errors with a user-facing meaning: the errors router turns them into replies."""

from __future__ import annotations


class UserFacingError(Exception):
    """Something the user asked for cannot happen now; ``key`` names the interface string that
    says why (a reply to a message, an alert on a button)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class ButtonExpired(UserFacingError):
    """A button whose game, screen or data is gone (or never was: forged callback data)."""

    def __init__(self) -> None:
        super().__init__("errors.button_expired")


class NotAnAdmin(UserFacingError):
    """Only the chat's administrators may do this (change a group's settings)."""

    def __init__(self) -> None:
        super().__init__("errors.admins_only")
