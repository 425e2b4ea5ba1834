"""Routers, each built fresh by its module's ``setup()`` (a Router can be attached only once)."""

from __future__ import annotations

from aiogram import Router

from handlers import admin, errors, fallback, quiz, reminders, start
from handlers.library import content, inline, search
from handlers.profiles import language, membership


def setup_routers() -> list[Router]:
    # Order matters: specific handlers first, the catch-all fallback last.
    return [
        errors.setup(),
        membership.setup(),
        admin.setup(),
        quiz.setup(),
        reminders.setup(),
        start.setup(),
        language.setup(),
        content.setup(),
        inline.setup(),
        search.setup(),
        fallback.setup(),
    ]
